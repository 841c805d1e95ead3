package dev.heed.compiler.passes;

import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.IrPrinter;
import dev.heed.compiler.ir.Verifier;
import dev.heed.runtime.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Runs a list of passes in order, with optional checks and IR dumps:
 * <ul>
 *   <li>{@link #verifyEachPass}: run the {@link Verifier} after every pass; a problem throws
 *       {@link dev.heed.compiler.ir.IrVerifyException} naming the pass;
 *   <li>{@link #printIrAfter}: after the named pass (or {@code "all"} passes) send
 *       {@code // ----- IR after <pass> -----} and the IR text to a consumer;
 *   <li>{@link #dumpIrDir}: write {@code 00_input.ir}, {@code 01_<pass>.ir}, ... into a folder,
 *       each file written atomically.
 * </ul>
 */
public final class PassManager {
  /** One pass's run: its name and what it counted. */
  public record PassRun(String pass, PassStats stats) {}

  /** The final graph and each pass's statistics, in order. */
  public record Result(Graph graph, List<PassRun> runs) {}

  private final List<Pass> passes;
  private boolean verifyEachPass;
  private String printIrAfter;
  private Consumer<String> irSink;
  private Path dumpIrDir;

  public PassManager(List<Pass> passes) {
    this.passes = List.copyOf(passes);
  }

  /**
   * The pipeline that compiles models: infer-shapes, constant-fold, cse, fuse-attention, then
   * the kernel fusions fuse-qkv, fuse-heads, fuse-epilogue, fuse-add-norm, fuse-elementwise,
   * and dce. See {@link #standardPasses()}.
   */
  public static PassManager standard() { return new PassManager(standardPasses()); }

  /**
   * A fresh list of the standard passes, in order:
   * <ol>
   *   <li>{@code infer-shapes}, {@code constant-fold}, {@code cse}, {@code fuse-attention}: the
   *       {@link #portable()} passes;
   *   <li>{@code fuse-qkv} ({@link FuseQkv}): projections of one input into one GEMM, sliced;
   *   <li>{@code fuse-heads} ({@link FuseHeads}): split_heads → attention → merge_heads into
   *       {@code mha};
   *   <li>{@code fuse-epilogue} ({@link FuseEpilogue}): activation and residual add into the GEMM;
   *   <li>{@code fuse-add-norm} ({@link FuseAddNorm}): add → norm into {@code add_layer_norm} /
   *       {@code add_rms_norm};
   *   <li>{@code fuse-elementwise} ({@link FuseElementwise}): elementwise trees into one loop;
   *   <li>{@code dce}.
   * </ol>
   * The kernel fusions make ops only heed's emitters know; {@link KernelPlan} says which nodes
   * of the result are kernels.
   */
  public static List<Pass> standardPasses() {
    return List.of(new InferShapes(), new ConstantFolding(), new CommonSubexpressionElimination(), new FuseAttention(),
        new FuseQkv(), new FuseHeads(), new FuseEpilogue(), new FuseAddNorm(), new FuseElementwise(),
        new DeadCodeElimination());
  }

  /**
   * The passes whose output other tools can read (ONNX export): infer-shapes, constant-fold,
   * cse, fuse-attention, dce. The kernel fusions that follow in {@link #standard()} make ops
   * only heed's emitters know.
   */
  public static PassManager portable() {
    return new PassManager(List.of(new InferShapes(), new ConstantFolding(), new CommonSubexpressionElimination(),
        new FuseAttention(), new DeadCodeElimination()));
  }

  /** Every pass heed knows (those of {@link #standardPasses()}), by name, for tools that pick passes by name. */
  public static Pass byName(String name) {
    for (Pass p : standardPasses()) if (p.name().equals(name)) return p;
    throw new IllegalArgumentException("unknown pass '" + name + "'; the passes are "
        + String.join(", ", standardPasses().stream().map(Pass::name).toList()));
  }

  public List<Pass> passes() { return passes; }

  /** Whether to run the verifier after each pass. */
  public PassManager verifyEachPass(boolean verify) {
    this.verifyEachPass = verify;
    return this;
  }

  /**
   * Print the IR after the pass called {@code pass}, or after every pass for {@code "all"};
   * null turns printing off.
   *
   * @throws IllegalArgumentException if no pass in this manager has that name
   */
  public PassManager printIrAfter(String pass, Consumer<String> sink) {
    if (pass != null) {
      Set<String> names = new LinkedHashSet<>();
      for (Pass p : passes) names.add(p.name());
      if (!pass.equals("all") && !names.contains(pass)) {
        throw new IllegalArgumentException("--print-ir-after: unknown pass '" + pass + "'; expected one of "
            + String.join(", ", names) + " or all");
      }
      Objects.requireNonNull(sink, "sink");
    }
    this.printIrAfter = pass;
    this.irSink = sink;
    return this;
  }

  /** Write the IR before the first pass and after each one into {@code dir} (created if missing); null turns it off. */
  public PassManager dumpIrDir(Path dir) {
    this.dumpIrDir = dir;
    return this;
  }

  /** Runs every pass on {@code g}; returns the final graph. */
  public Graph run(Graph g) { return runWithStats(g).graph(); }

  /** Runs every pass on {@code g}; returns the final graph and what each pass counted. */
  public Result runWithStats(Graph g) {
    List<PassRun> runs = new ArrayList<>();
    dump(0, "input", g);
    for (int i = 0; i < passes.size(); i++) {
      Pass p = passes.get(i);
      PassStats stats = new PassStats();
      g = p.run(g, stats);
      runs.add(new PassRun(p.name(), stats));
      if (verifyEachPass) Verifier.verifyOrThrow(g, "after pass '" + p.name() + "'");
      if (printIrAfter != null && (printIrAfter.equals("all") || printIrAfter.equals(p.name()))) {
        irSink.accept("// ----- IR after " + p.name() + " -----\n" + IrPrinter.print(g));
      }
      dump(i + 1, p.name(), g);
    }
    return new Result(g, runs);
  }

  private void dump(int index, String label, Graph g) {
    if (dumpIrDir == null) return;
    Path target = dumpIrDir.resolve(String.format("%02d_%s.ir", index, label));
    try {
      AtomicFiles.write(target, IrPrinter.print(g).getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + target, e);
    }
  }
}
