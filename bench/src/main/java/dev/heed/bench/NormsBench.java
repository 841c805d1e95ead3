package dev.heed.bench;

import dev.heed.runtime.kernels.Activation;
import dev.heed.runtime.kernels.Activations;
import dev.heed.runtime.kernels.Gemm;
import dev.heed.runtime.kernels.Norms;
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
 * The kernels around MiniLM's linear layers at {@code rows × 384} (8×128 tokens: 1024 rows):
 * {@link Norms#addLayerNorm} against a separate residual add then {@link Norms#layerNorm}, and
 * the FFN's first linear layer with GELU fused ({@code fusedGelu}) against the linear layer then
 * {@link Activations#apply} over its output ({@code unfusedGelu}) and without activation
 * ({@code linearOnly}). Threads:
 * {@code -Dheed.threads} (JMH: {@code -jvmArgsAppend -Dheed.threads=2}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class NormsBench {
  @Param({"1024"})
  public int rows;

  @Param({"384"})
  public int d;

  /** FFN width for the GELU benchmarks. */
  @Param({"1536"})
  public int ffn;

  private float[] a;
  private float[] b;
  private float[] sum;
  private float[] gamma;
  private float[] beta;
  private float[] out;
  private PackedLinear w;
  private float[] bias;
  private float[] hidden;

  @Setup
  public void setUp() {
    SplittableRandom r = new SplittableRandom(1);
    a = random(r, rows * d);
    b = random(r, rows * d);
    sum = new float[rows * d];
    gamma = random(r, d);
    beta = random(r, d);
    out = new float[rows * d];
    w = PackedLinear.of(random(r, ffn * d), ffn, d);
    bias = random(r, ffn);
    hidden = new float[rows * ffn];
  }

  private static float[] random(SplittableRandom r, int size) {
    float[] x = new float[size];
    for (int i = 0; i < size; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
    return x;
  }

  @Benchmark
  public float[] layerNorm() {
    Norms.layerNorm(a, gamma, beta, out, rows, d, 1e-12f);
    return out;
  }

  @Benchmark
  public float[] addLayerNorm() {
    Norms.addLayerNorm(a, b, gamma, beta, out, rows, d, 1e-12f);
    return out;
  }

  /** What addLayerNorm replaces: the residual add as its own pass, then layer norm. */
  @Benchmark
  public float[] addThenLayerNorm() {
    for (int i = 0; i < sum.length; i++) sum[i] = a[i] + b[i];
    Norms.layerNorm(sum, gamma, beta, out, rows, d, 1e-12f);
    return out;
  }

  @Benchmark
  public float[] rmsNorm() {
    Norms.rmsNorm(a, gamma, out, rows, d, 1e-6f);
    return out;
  }

  /** The FFN's first linear layer alone, for the cost of the epilogue in {@link #fusedGelu}. */
  @Benchmark
  public float[] linearOnly() {
    Gemm.linear(a, w, bias, hidden, rows);
    return hidden;
  }

  @Benchmark
  public float[] fusedGelu() {
    Gemm.linear(a, w, bias, Activation.GELU, null, hidden, rows);
    return hidden;
  }

  @Benchmark
  public float[] unfusedGelu() {
    Gemm.linear(a, w, bias, hidden, rows);
    Activations.apply(Activation.GELU, hidden, hidden, rows * ffn);
    return hidden;
  }
}
