package dev.heed.compiler.emit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.compiler.cli.HeedCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code heed emit --stage plan} and {@code --stage kernels}. */
class EmitStagesTest {
  private static Path spec(String path) {
    return Path.of(System.getProperty("user.dir")).resolve("..").resolve(path).normalize();
  }

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter(), err = new StringWriter();
    int code = HeedCli.execute(new PrintWriter(out), new PrintWriter(err), args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void planListsKernelsSlotsAndPeakForTheGivenSizes() {
    Run r = run("emit", spec("examples/minilm/minilm.heed").toString(), "--stage", "plan", "--dims", "batch=8,seq=128");
    assertEquals(0, r.code(), r.err());
    String o = r.out();
    assertTrue(o.startsWith("buffer plan of MiniLM: "), o);
    assertTrue(o.contains("sizes: batch = 8, seq = 128"), o);
    assertTrue(o.contains("computed once at load time:"), o);
    assertTrue(o.contains("slots:\n  f0   float[batch·seq·384]"), o);
    assertTrue(o.contains("mha"), o);
    assertTrue(o.contains("(view of %"), "q, k, v read through slice views:\n" + o);
    assertTrue(o.contains("peak activation memory (batch = 8, seq = 128):\n  workspace "), o);
    assertTrue(o.contains("without the plan (a buffer per kernel, outputs included): "), o);

    Run defaults = run("emit", spec("examples/minilm/minilm.heed").toString(), "--stage", "plan");
    assertTrue(defaults.out().contains("sizes: batch = 1, seq = 128"), defaults.out());

    Run bad = run("emit", spec("examples/minilm/minilm.heed").toString(), "--stage", "plan", "--dims", "batch=0");
    assertEquals(HeedCli.EXIT_USAGE, bad.code());
    assertTrue(bad.err().contains("--dims batch: expected a whole number from 1 to 2147483647, got '0'"), bad.err());
    Run huge = run("emit", spec("examples/minilm/minilm.heed").toString(), "--stage", "plan", "--dims", "batch=2147483648");
    assertEquals(HeedCli.EXIT_USAGE, huge.code(), huge.err());
    Run big = run("emit", spec("examples/minilm/minilm.heed").toString(), "--stage", "plan", "--dims",
        "batch=2147483647,seq=2147483647");
    assertEquals(HeedCli.EXIT_USAGE, big.code(), big.err());
    assertTrue(big.err().contains("elements, more than a Java array holds (2147483639)"), big.err());
    Run typo = run("emit", spec("examples/minilm/minilm.heed").toString(), "--stage", "plan", "--dims", "batch=2,sq=64");
    assertEquals(HeedCli.EXIT_USAGE, typo.code(), typo.err());
    assertTrue(typo.err().contains("--dims: no symbolic dimension 'sq' in model MiniLM (its symbols: batch, seq)"), typo.err());
  }

  @Test
  void kernelsSayWhyEachEdgeIsNotFused() {
    Run r = run("emit", spec("examples/gpt/gpt.heed").toString(), "--stage", "kernels");
    assertEquals(0, r.code(), r.err());
    String o = r.out();
    assertTrue(o.startsWith("kernels of Gpt after fusion: "), o);
    // A kernel of a standard layer is placed at the spec's call (the layer_norm of Block's ln_1 on line 14).
    assertTrue(o.matches("(?s).* = mha \\[opaque\\] : f32\\[batch, seq, 64\\]  at \\S*gpt\\.heed:15:11\n.*"), o);
    assertTrue(o.matches("(?s).* = layer_norm \\[reduction\\] : f32\\[batch, seq, 64\\]  at \\S*gpt\\.heed:14:11\n.*"), o);
    // The fused Q, K and V projections: three places of the standard layer, one call in the spec.
    assertTrue(o.matches("(?s).* = linear \\[gemm\\] : f32\\[batch, seq, 192\\]  at \\S*gpt\\.heed:15:11\n.*"), o);
    assertTrue(o.contains("\n    <- %"), "edges into kernels, with reasons:\n" + o);
    assertTrue(o.contains("computed once at load time"), o);
    assertTrue(o.contains("fused_linear"), o);
  }
}
