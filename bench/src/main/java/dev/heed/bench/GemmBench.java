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
 * Square SGEMM, {@code n × n × n}: {@link Gemm#matmul} (packs B on every call, as for
 * activations) and {@link Gemm#linear} with a {@link PackedLinear} weight (packed once, as
 * generated models do). Threads: {@code -Dheed.threads}, set per fork by {@link BenchMain}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class GemmBench {
  @Param({"1024"})
  public int n;

  private float[] a;
  private float[] b;
  private float[] c;
  private PackedLinear w;

  @Setup
  public void setUp() {
    SplittableRandom r = new SplittableRandom(1);
    a = random(r, n * n);
    b = random(r, n * n);
    c = new float[n * n];
    w = PackedLinear.of(b, n, n);
  }

  private static float[] random(SplittableRandom r, int size) {
    float[] x = new float[size];
    for (int i = 0; i < size; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
    return x;
  }

  @Benchmark
  public float[] matmul() {
    Gemm.matmul(a, 0, b, 0, c, 0, n, n, n);
    return c;
  }

  @Benchmark
  public float[] linearPacked() {
    Gemm.linear(a, w, null, c, n);
    return c;
  }
}
