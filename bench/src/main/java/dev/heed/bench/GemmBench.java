package dev.heed.bench;

import dev.heed.runtime.kernels.Gemm;
import dev.heed.runtime.kernels.PackedLinear;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * SGEMM {@code C[m, n] = A[m, k] · B[k, n]}: {@link Gemm#matmul} (packs B on every call, as for
 * activations) and {@link Gemm#linear} with a {@link PackedLinear} weight (packed once, as
 * generated models do). Threads: {@code -Dheed.threads}, set per fork by {@link BenchMain}.
 *
 * <p>By default the product is square, {@code n × n × n} ({@link BenchMain} reads {@code n}).
 * Other shapes: {@code -p shape=MxKxN}, e.g. MiniLM's linear layers at 8×128 tokens
 * ({@code 1024x384x384}, {@code 1024x384x1152}, {@code 1024x384x1536}, {@code 1024x1536x384}) or
 * at one sequence ({@code 128x...}); then {@code n} is ignored. GFLOP/s = {@code 2·m·k·n / time}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class GemmBench {
  @Param({"1024"})
  public int n;

  /** {@code square} ({@code n³}) or {@code MxKxN}. */
  @Param({"square"})
  public String shape;

  private int rows;
  private int depth;
  private int cols;
  private float[] a;
  private float[] b;
  private float[] c;
  private PackedLinear w;

  @Setup
  public void setUp() {
    if (shape.equals("square")) {
      rows = depth = cols = n;
    } else {
      String[] mkn = shape.split("x");
      rows = Integer.parseInt(mkn[0]);
      depth = Integer.parseInt(mkn[1]);
      cols = Integer.parseInt(mkn[2]);
    }
    SplittableRandom r = new SplittableRandom(1);
    a = random(r, rows * depth);
    b = random(r, depth * cols);
    c = new float[rows * cols];
    // Gemm.linear multiplies by wᵀ: w is [cols, depth].
    w = PackedLinear.of(b, cols, depth);
  }

  private static float[] random(SplittableRandom r, int size) {
    float[] x = new float[size];
    for (int i = 0; i < size; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
    return x;
  }

  @Benchmark
  public float[] matmul() {
    Gemm.matmul(a, 0, b, 0, c, 0, rows, depth, cols);
    return c;
  }

  @Benchmark
  public float[] linearPacked() {
    Gemm.linear(a, w, null, c, rows);
    return c;
  }
}
