package dev.heed.bench;

import dev.heed.runtime.Parallel;
import dev.heed.runtime.kernels.Attention;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * MiniLM's self-attention ({@value #HEADS} heads of {@value #D}, padding mask), from q, k, v
 * as a linear layer leaves them, packed rows {@code [batch, seq, 384]}, to the output in the
 * same layout:
 * <ul>
 *   <li>{@code legacy}: what generated code did before {@link Attention#attention}: transpose q,
 *       k and v to {@code [batch, heads, seq, d]} (split_heads), the previous one-head kernel
 *       (kept here, frozen, as {@link LegacyKernel}) per (batch, head) via {@link Parallel},
 *       transpose back (merge_heads), as in the generated MiniLM's {@code transpose},
 *       {@code attention} and {@code transpose2};
 *   <li>{@code transposedHead}: the same transposes around today's {@link Attention#head}, which
 *       runs the new kernel for one head: what not-yet-regenerated code gets;
 *   <li>{@code strided}: {@link Attention#attention} straight on the packed rows, no transposes;
 *   <li>{@code fusedQkv}: the same on q, k, v as column slices of one fused QKV product
 *       {@code [batch, seq, 1152]}.
 * </ul>
 * GFLOP/s counts {@code 4·batch·heads·seq²·d} floating-point operations per call (q·kᵀ and
 * weights·v, two per multiply-add; softmax not counted). {@link #main} runs all four on 1 and 2
 * threads and prints a GFLOP/s table ({@code --paired}: without JMH, interleaved, see
 * {@link #paired}); under plain JMH set threads with {@code -jvmArgsAppend -Dheed.threads=N}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class AttentionBench {
  static final int HEADS = 12;
  static final int D = 32;
  private static final int HIDDEN = HEADS * D;
  private static final float SCALE = (float) (1 / Math.sqrt(D));

  /** {@code batch x seq}. */
  @Param({"8x128", "1x128", "8x512", "1x512"})
  public String shape;

  private int batch;
  private int seq;
  private float[] q, k, v, qkv, mask, out;
  private float[] qT, kT, vT, outT;

  /** Floating-point operations per call at {@code shape}: see the class comment. */
  static double flops(String shape) {
    String[] bs = shape.split("x");
    double b = Integer.parseInt(bs[0]), s = Integer.parseInt(bs[1]);
    return 4 * b * HEADS * s * s * D;
  }

  @Setup
  public void setUp() {
    batch = Integer.parseInt(shape.split("x")[0]);
    seq = Integer.parseInt(shape.split("x")[1]);
    SplittableRandom r = new SplittableRandom(1);
    int n = batch * seq * HIDDEN;
    q = random(r, n);
    k = random(r, n);
    v = random(r, n);
    qkv = new float[3 * n];
    for (int row = 0; row < batch * seq; row++) {
      System.arraycopy(q, row * HIDDEN, qkv, row * 3 * HIDDEN, HIDDEN);
      System.arraycopy(k, row * HIDDEN, qkv, row * 3 * HIDDEN + HIDDEN, HIDDEN);
      System.arraycopy(v, row * HIDDEN, qkv, row * 3 * HIDDEN + 2 * HIDDEN, HIDDEN);
    }
    // Padding mask [batch, 1, 1, seq]: sequence b is padded by b·seq/16 positions.
    mask = new float[batch * seq];
    for (int b = 0; b < batch; b++) {
      Arrays.fill(mask, b * seq + seq - b * seq / 16, (b + 1) * seq, -1e4f);
    }
    out = new float[n];
    qT = new float[n];
    kT = new float[n];
    vT = new float[n];
    outT = new float[n];
  }

  private static float[] random(SplittableRandom r, int size) {
    float[] x = new float[size];
    for (int i = 0; i < size; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
    return x;
  }

  @Benchmark
  public float[] legacy() {
    splitHeads(q, qT);
    splitHeads(k, kT);
    splitHeads(v, vT);
    int s = seq;
    Parallel.forRange(batch * HEADS, Attention.grain(s, s, D, D), (from, to) -> {
      for (int mat = from; mat < to; mat++) {
        int off = mat * s * D;
        LegacyKernel.head(qT, off, kT, off, vT, off, mask, (mat / HEADS) * s, 0, 1, outT, off, s, s, D, D, SCALE);
      }
    });
    mergeHeads(outT, out);
    return out;
  }

  @Benchmark
  public float[] transposedHead() {
    splitHeads(q, qT);
    splitHeads(k, kT);
    splitHeads(v, vT);
    int s = seq;
    Parallel.forRange(batch * HEADS, Attention.grain(s, s, D, D), (from, to) -> {
      for (int mat = from; mat < to; mat++) {
        int off = mat * s * D;
        Attention.head(qT, off, kT, off, vT, off, mask, (mat / HEADS) * s, 0, 1, outT, off, s, s, D, D, SCALE);
      }
    });
    mergeHeads(outT, out);
    return out;
  }

  @Benchmark
  public float[] strided() {
    int s = seq;
    Attention.attention(q, 0, s * HIDDEN, D, HIDDEN, k, 0, s * HIDDEN, D, HIDDEN, v, 0, s * HIDDEN, D, HIDDEN,
        mask, 0, s, 0, 0, 1, out, 0, s * HIDDEN, D, HIDDEN, batch, HEADS, s, s, D, D, SCALE);
    return out;
  }

  @Benchmark
  public float[] fusedQkv() {
    int s = seq, w = 3 * HIDDEN;
    Attention.attention(qkv, 0, s * w, D, w, qkv, HIDDEN, s * w, D, w, qkv, 2 * HIDDEN, s * w, D, w,
        mask, 0, s, 0, 0, 1, out, 0, s * HIDDEN, D, HIDDEN, batch, HEADS, s, s, D, D, SCALE);
    return out;
  }

  /** {@code [batch, seq, heads, d] -> [batch, heads, seq, d]}, as generated code's {@code transpose}. */
  private void splitHeads(float[] x, float[] y) {
    int o = 0;
    for (int b = 0; b < batch; b++) {
      for (int h = 0; h < HEADS; h++) {
        for (int s = 0; s < seq; s++) {
          for (int j = 0; j < D; j++) y[o++] = x[b * seq * HIDDEN + s * HIDDEN + h * D + j];
        }
      }
    }
  }

  /** {@code [batch, heads, seq, d] -> [batch, seq, heads, d]}, as generated code's {@code transpose2}. */
  private void mergeHeads(float[] x, float[] y) {
    int o = 0;
    for (int b = 0; b < batch; b++) {
      for (int s = 0; s < seq; s++) {
        for (int h = 0; h < HEADS; h++) {
          for (int j = 0; j < D; j++) y[o++] = x[b * seq * HIDDEN + h * seq * D + s * D + j];
        }
      }
    }
  }

  /**
   * Runs the four benchmarks at every shape on 1 and 2 threads and prints GFLOP/s.
   * {@code --quick}: shorter runs. Run with
   * {@code java --add-modules jdk.incubator.vector -cp heed-bench.jar dev.heed.bench.AttentionBench}.
   */
  public static void main(String[] args) throws RunnerException {
    boolean quick = List.of(args).contains("--quick");
    if (List.of(args).contains("--paired")) {
      paired(quick);
      return;
    }
    List<String> lines = new ArrayList<>();
    for (int t = 1; t <= 2; t++) {
      String[] jvm = Runtime.version().feature() >= 23
          ? new String[] {"--add-modules=jdk.incubator.vector", "--sun-misc-unsafe-memory-access=allow"}
          : new String[] {"--add-modules=jdk.incubator.vector"};
      var options = new OptionsBuilder()
          .include(AttentionBench.class.getName())
          .forks(1)
          .jvmArgsPrepend(jvm)
          .jvmArgsAppend("-Dheed.threads=" + t)
          .warmupIterations(quick ? 3 : 5)
          .warmupTime(TimeValue.seconds(1))
          .measurementIterations(quick ? 3 : 5)
          .measurementTime(TimeValue.seconds(1))
          .verbosity(VerboseMode.SILENT)
          .build();
      for (RunResult r : new Runner(options).run()) {
        String shape = r.getParams().getParam("shape");
        String name = r.getParams().getBenchmark();
        double micros = r.getPrimaryResult().getScore();
        lines.add(String.format("%-16s %-7s threads=%d %10.1f us %8.1f GFLOP/s", name.substring(name.lastIndexOf('.') + 1),
            shape, t, micros, flops(shape) / micros / 1e3));
      }
    }
    lines.forEach(System.out::println);
  }

  /**
   * Without JMH, for a machine others are using too: in this JVM (threads:
   * {@code -Dheed.threads}), per shape, rounds that time a few calls of each benchmark in turn,
   * so that every one sees the same load; prints the best and the median round as GFLOP/s.
   */
  private static void paired(boolean quick) {
    String[] names = {"legacy", "transposedHead", "strided", "fusedQkv"};
    for (String shape : new String[] {"8x128", "1x128", "8x512", "1x512"}) {
      AttentionBench b = new AttentionBench();
      b.shape = shape;
      b.setUp();
      List<Runnable> calls = List.of(b::legacy, b::transposedHead, b::strided, b::fusedQkv);
      double flops = flops(shape);
      int perRound = (int) Math.max(1, 2e8 / flops); // about 2 ms of the new kernel
      int rounds = quick ? 30 : 100;
      double[][] micros = new double[calls.size()][rounds];
      for (int round = -rounds / 2; round < rounds; round++) { // the first half-rounds warm up
        for (int m = 0; m < calls.size(); m++) {
          long t0 = System.nanoTime();
          for (int i = 0; i < perRound; i++) calls.get(m).run();
          if (round >= 0) micros[m][round] = (System.nanoTime() - t0) / 1e3 / perRound;
        }
      }
      for (int m = 0; m < calls.size(); m++) {
        Arrays.sort(micros[m]);
        System.out.printf("%-16s %-7s threads=%d  best %8.1f us %7.1f GFLOP/s   median %8.1f us %7.1f GFLOP/s%n",
            names[m], shape, Parallel.threads(), micros[m][0], flops / micros[m][0] / 1e3, micros[m][rounds / 2],
            flops / micros[m][rounds / 2] / 1e3);
      }
    }
  }

  /**
   * The one-head kernel {@link Attention#head} ran before the strided kernel replaced it
   * (dev.heed.runtime.kernels.VectorAttention at the time), frozen here as the baseline: per
   * query row, keys in blocks of 64 with an online softmax, k transposed per head.
   */
  static final class LegacyKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int KEY_BLOCK = 64;

    private LegacyKernel() {}

    static void head(float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
        float[] mask, int maskOff, int maskRowStride, int maskColStride,
        float[] out, int outOff, int sq, int sk, int d, int dv, float scale) {
      float[] kt = new float[d * sk];
      for (int j = 0; j < sk; j++) {
        for (int p = 0; p < d; p++) kt[p * sk + j] = k[kOff + j * d + p];
      }
      float[] scores = new float[KEY_BLOCK];
      float[] acc = new float[dv];
      int dvVectors = dv - dv % L;
      for (int i = 0; i < sq; i++) {
        int qi = qOff + i * d;
        int maskRow = maskOff + i * maskRowStride;
        float max = Float.NEGATIVE_INFINITY;
        float sum = 0f;
        Arrays.fill(acc, 0f);
        for (int j0 = 0; j0 < sk; j0 += KEY_BLOCK) {
          int n = Math.min(KEY_BLOCK, sk - j0);
          int nVectors = n - n % L;
          for (int jj = 0; jj < nVectors; jj += L) {
            FloatVector s = FloatVector.zero(S);
            for (int p = 0; p < d; p++) {
              s = FloatVector.broadcast(S, q[qi + p]).fma(FloatVector.fromArray(S, kt, p * sk + j0 + jj), s);
            }
            s = s.mul(scale);
            if (mask != null) {
              s = maskColStride == 0 ? s.add(mask[maskRow]) : s.add(FloatVector.fromArray(S, mask, maskRow + j0 + jj));
            }
            s.intoArray(scores, jj);
          }
          for (int jj = nVectors; jj < n; jj++) {
            float s = 0f;
            for (int p = 0; p < d; p++) s += q[qi + p] * kt[p * sk + j0 + jj];
            s *= scale;
            if (mask != null) s += mask[maskRow + (j0 + jj) * maskColStride];
            scores[jj] = s;
          }
          float blockMax = Float.NEGATIVE_INFINITY;
          for (int jj = 0; jj < n; jj++) blockMax = Math.max(blockMax, scores[jj]);
          float newMax = Math.max(max, blockMax);
          float correction = (float) Math.exp(max - newMax);
          float blockSum = 0f;
          for (int jj = 0; jj < nVectors; jj += L) {
            FloatVector e = FloatVector.fromArray(S, scores, jj).sub(newMax).lanewise(VectorOperators.EXP);
            e.intoArray(scores, jj);
            blockSum += e.reduceLanes(VectorOperators.ADD);
          }
          for (int jj = nVectors; jj < n; jj++) {
            scores[jj] = (float) Math.exp(scores[jj] - newMax);
            blockSum += scores[jj];
          }
          sum = sum * correction + blockSum;
          for (int c = 0; c < dvVectors; c += L) {
            FloatVector a = FloatVector.fromArray(S, acc, c).mul(correction);
            for (int jj = 0; jj < n; jj++) {
              a = FloatVector.broadcast(S, scores[jj]).fma(FloatVector.fromArray(S, v, vOff + (j0 + jj) * dv + c), a);
            }
            a.intoArray(acc, c);
          }
          for (int c = dvVectors; c < dv; c++) {
            float a = acc[c] * correction;
            for (int jj = 0; jj < n; jj++) a += scores[jj] * v[vOff + (j0 + jj) * dv + c];
            acc[c] = a;
          }
          max = newMax;
        }
        float inv = sum == 0f ? 0f : 1f / sum;
        int oi = outOff + i * dv;
        for (int c = 0; c < dv; c++) out[oi + c] = acc[c] * inv;
      }
    }
  }
}
