package heed.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.compiler.SampleInputs;
import dev.heed.compiler.ir.Graph;
import dev.heed.runtime.HeedModel;
import dev.heed.runtime.Tensor;
import dev.heed.runtime.io.RandomWeights;
import heed.examples.gpt.Gpt;
import heed.examples.minilm.MiniLM;
import heed.examples.seed.Transformer;
import java.lang.management.ManagementFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A generated model in steady state allocates nothing but its outputs: intermediate tensors
 * live in the slots of a workspace that the model's pool hands to each call, and the kernels
 * keep their working memory per thread. Measured on the calling thread, per call, in a JVM of
 * its own started with {@code -Dheed.threads=1} so that the calling thread does all the work
 * (generated/pom.xml): at most the output tensors' bytes plus 64 KiB of small bookkeeping
 * (parallel-loop objects, the outputs' records). With two threads the same steady state was
 * measured by hand at 56 KB per MiniLM 2×16 call over all threads (outputs 49 KB), but the
 * JVM-wide sum also counts whatever the test runner's own threads allocate meanwhile.
 */
class ZeroAllocationTest {
  /** Allowance per call beyond the outputs' arrays. */
  static final long SLACK = 64 << 10;

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  /** Bytes allocated so far by the calling thread. */
  private static long allocatedByThisThread() {
    return THREADS.getThreadAllocatedBytes(Thread.currentThread().threadId());
  }

  private static long outputBytes(Map<String, Tensor> out) {
    long n = 0;
    for (Tensor t : out.values()) n += (long) t.size() * (t.dtype() == dev.heed.runtime.DType.I64 ? 8 : 4);
    return n;
  }

  /**
   * Warms {@code model} up on {@code inputs}, then measures the bytes all threads allocate per
   * call, in rounds of calls until a round stays within the budget (for at most two minutes):
   * until the JIT has compiled the kernels, Vector API code allocates its vectors, and on a busy
   * machine the compiler threads take their time. The least round counts, so that a one-off
   * allocation elsewhere in the JVM, by the test runner or the JIT, does not.
   */
  private static void assertAllocatesOnlyOutputs(String what, HeedModel model, Map<String, Tensor> inputs) {
    assertTrue(THREADS.isThreadAllocatedMemorySupported() && THREADS.isThreadAllocatedMemoryEnabled(),
        "this JVM does not measure allocation per thread");
    assertEquals(1, dev.heed.runtime.Parallel.threads(), "run with -Dheed.threads=1 (generated/pom.xml does)");
    long out = 0;
    for (int i = 0; i < 30; i++) out = outputBytes(model.run(inputs));
    int calls = 16;
    long best = Long.MAX_VALUE;
    long deadline = System.nanoTime() + 120_000_000_000L;
    for (int round = 0; best > out + SLACK && (round < 40 || System.nanoTime() < deadline); round++) {
      long before = allocatedByThisThread();
      for (int i = 0; i < calls; i++) model.run(inputs);
      long perCall = (allocatedByThisThread() - before) / calls;
      best = Math.min(best, perCall);
    }
    System.out.printf("%s: %d bytes allocated per call, outputs %d bytes%n", what, best, out);
    assertTrue(best <= out + SLACK, what + ": " + best + " bytes allocated per call, but the outputs take " + out
        + " (allowed: outputs + " + SLACK + ")");
  }

  private static void check(String spec, HeedModel model, Map<String, Integer> sizes) {
    Graph ir = Examples.compile(spec).ir();
    Map<String, Tensor> inputs = SampleInputs.make(ir, sizes, 17);
    assertAllocatesOnlyOutputs(ir.name() + " " + sizes, model, inputs);
  }

  @Test
  void miniLmAllocatesOnlyItsOutputs() {
    MiniLM model = new MiniLM(new RandomWeights(1));
    check("examples/minilm/minilm.heed", model, Map.of("batch", 2, "seq", 16));
    check("examples/minilm/minilm.heed", model, Map.of("batch", 4, "seq", 64));
    // Back to the smaller size: the grown slots serve it without allocating.
    check("examples/minilm/minilm.heed", model, Map.of("batch", 2, "seq", 16));
  }

  @Test
  void gptAllocatesOnlyItsOutputs() {
    Gpt model = new Gpt(new RandomWeights(1));
    check("examples/gpt/gpt.heed", model, Map.of("batch", 2, "seq", 16));
    check("examples/gpt/gpt.heed", model, Map.of("batch", 4, "seq", 64));
  }

  @Test
  void seedTransformerAllocatesOnlyItsOutputs() {
    Transformer model = new Transformer(new RandomWeights(1));
    check("examples/seed/transformer.heed", model, Map.of("batch", 2, "src_seq", 16, "tgt_seq", 12));
    check("examples/seed/transformer.heed", model, Map.of("batch", 4, "src_seq", 64, "tgt_seq", 48));
  }
}
