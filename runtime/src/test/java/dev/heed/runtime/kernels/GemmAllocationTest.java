package dev.heed.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Steady-state kernels allocate nothing proportional to their sizes: the bytes the calling
 * thread allocates in one warmed-up call stay under {@link #BOUND} (Parallel's loop objects
 * and a capturing lambda fit; a packing buffer of even 8 rows would not). For products large
 * enough to run in parallel only the caller's share is counted, but the caller runs a part of
 * the product too, so a per-call buffer in the kernel would show; Parallel's pool threads are
 * checked as well.
 */
class GemmAllocationTest {
  private static final long BOUND = 2048;
  /** How long a kernel may take to reach its steady state (C2-compiled) before it is measured for good. */
  private static final long WARM_UP_LIMIT_NANOS = 30_000_000_000L;
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  /** The bytes each of several calls allocated on this thread, after {@code warmups} calls to let C2 compile. */
  private static long[] allocatedPerCall(Runnable call, int warmups) {
    for (int i = 0; i < warmups; i++) call.run();
    long[] bytes = new long[15];
    for (int i = 0; i < bytes.length; i++) {
      long before = THREADS.getCurrentThreadAllocatedBytes();
      call.run();
      bytes[i] = THREADS.getCurrentThreadAllocatedBytes() - before;
    }
    Arrays.sort(bytes);
    return bytes;
  }

  /**
   * The median call stays under the bound (the median: one call interrupted by a deoptimisation
   * does not fail it). Steady state means compiled by C2: until then a kernel's vectors are
   * objects. C2 compiles in the background, later when its queue is long (a busy machine, a
   * full test run), so while the median is over the bound the kernel keeps warming up, for up
   * to {@link #WARM_UP_LIMIT_NANOS}, before the assertion.
   */
  private static void assertBounded(String what, Runnable call, int warmups) {
    assertTrue(THREADS.isThreadAllocatedMemorySupported() && THREADS.isThreadAllocatedMemoryEnabled(), "no allocation counter");
    long[] bytes = allocatedPerCall(call, warmups);
    long deadline = System.nanoTime() + WARM_UP_LIMIT_NANOS;
    while (bytes[bytes.length / 2] > BOUND && System.nanoTime() < deadline) bytes = allocatedPerCall(call, warmups);
    long median = bytes[bytes.length / 2];
    System.out.println(what + ": bytes allocated per call on the calling thread, sorted: " + Arrays.toString(bytes));
    assertTrue(median <= BOUND, what + ": " + median + " bytes per call (sorted: " + Arrays.toString(bytes) + ")");
  }

  /**
   * For parallel calls: the median bytes all of Parallel's pool threads together allocated per
   * call stays under the bound too (measured apart from the caller, whose counter the reading
   * of theirs would disturb).
   */
  private static void assertWorkersBounded(String what, Runnable call) {
    long[] ids = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("heed-worker-")).mapToLong(Thread::threadId).toArray();
    long[] bytes = new long[15];
    for (int i = 0; i < bytes.length; i++) {
      long before = Arrays.stream(THREADS.getThreadAllocatedBytes(ids)).sum();
      call.run();
      bytes[i] = Arrays.stream(THREADS.getThreadAllocatedBytes(ids)).sum() - before;
    }
    Arrays.sort(bytes);
    System.out.println(what + ": bytes the " + ids.length + " pool threads allocated per call, sorted: " + Arrays.toString(bytes));
    assertTrue(bytes[bytes.length / 2] <= BOUND, what + " on pool threads: " + Arrays.toString(bytes));
  }

  private static float[] filled(int n, float v) {
    float[] a = new float[n];
    Arrays.fill(a, v);
    return a;
  }

  @Test void packedLinearWithEpilogueAllocatesNothingOnTheCallingThread() {
    // 7 × 64 × 48: below Gemm.PARALLEL_WORK, so all of it runs here; edges in rows and columns.
    int rows = 7, in = 64, out = 48;
    PackedLinear w = PackedLinear.of(filled(out * in, 0.01f), out, in);
    float[] x = filled(rows * in, 0.5f), bias = filled(out, 0.1f), res = filled(rows * out, 1f), y = new float[rows * out];
    assertBounded("small packed linear", () -> Gemm.linear(x, w, bias, Activation.GELU, res, y, rows), 3000);
    assertBounded("small packed linear, no epilogue", () -> Gemm.linear(x, w, null, y, rows), 1000);
  }

  @Test void largePackedLinearAllocatesOnlyParallelsLoopObjects() {
    int rows = 512, in = 384, out = 384;
    PackedLinear w = PackedLinear.of(filled(out * in, 0.01f), out, in);
    float[] x = filled(rows * in, 0.5f), bias = filled(out, 0.1f), res = filled(rows * out, 1f), y = new float[rows * out];
    assertBounded("large packed linear", () -> Gemm.linear(x, w, bias, Activation.RELU, res, y, rows), 300);
    assertWorkersBounded("large packed linear", () -> Gemm.linear(x, w, bias, Activation.RELU, res, y, rows));
    // m < n: the parallel split is over columns.
    int few = 16, wide = 1536;
    PackedLinear w2 = PackedLinear.of(filled(wide * in, 0.01f), wide, in);
    float[] x2 = filled(few * in, 0.5f), y2 = new float[few * wide];
    assertBounded("wide packed linear", () -> Gemm.linear(x2, w2, null, Activation.GELU_TANH, null, y2, few), 300);
    assertWorkersBounded("wide packed linear", () -> Gemm.linear(x2, w2, null, Activation.GELU_TANH, null, y2, few));
  }

  @Test void scalarLinearAllocatesNothing() {
    int rows = 7, in = 64, out = 48;
    float[] w = filled(out * in, 0.01f), x = filled(rows * in, 0.5f), res = filled(rows * out, 1f), y = new float[rows * out];
    assertBounded("scalar linear", () -> ScalarGemm.linear(x, w, null, Activation.SIGMOID, res, y, rows, in, out), 3000);
  }

  @Test void normsAndActivationsAllocateNothing() {
    int rows = 8, d = 384;
    float[] a = filled(rows * d, 0.5f), b = filled(rows * d, 0.25f), g = filled(d, 1f), beta = filled(d, 0f);
    float[] out = new float[rows * d];
    assertBounded("addLayerNorm", () -> Norms.addLayerNorm(a, b, g, beta, out, rows, d, 1e-5f), 3000);
    assertBounded("rmsNorm", () -> Norms.rmsNorm(a, g, out, rows, d, 1e-5f), 3000);
    assertBounded("gelu", () -> Activations.apply(Activation.GELU, a, out, rows * d), 3000);
    int big = 1024;
    float[] a2 = filled(big * d, 0.5f), b2 = filled(big * d, 0.25f), out2 = new float[big * d];
    assertBounded("parallel addLayerNorm", () -> Norms.addLayerNorm(a2, b2, g, beta, out2, big, d, 1e-5f), 300);
    assertWorkersBounded("parallel addLayerNorm", () -> Norms.addLayerNorm(a2, b2, g, beta, out2, big, d, 1e-5f));
  }
}
