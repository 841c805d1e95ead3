package dev.heed.compiler.ir;

/** Graphs shared by tests. */
public final class TestGraphs {
  private TestGraphs() {}

  /** {@code ir/every_op.ir}: a small encoder-style graph using every op, fully typed. */
  public static Graph everyOp() {
    return IrParser.parse(IrTestFiles.read(IrTestFiles.resourcesRoot().resolve("ir/every_op.ir")), "every_op.ir");
  }

  /** {@code ir/fused_ops.ir}: the ops kernel fusions make, fully typed. */
  public static Graph fusedOps() {
    return IrParser.parse(IrTestFiles.read(IrTestFiles.resourcesRoot().resolve("ir/fused_ops.ir")), "fused_ops.ir");
  }
}
