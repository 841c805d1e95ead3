package dev.heed.runtime.kernels;

import dev.heed.runtime.Parallel;
import java.util.Objects;

/**
 * Normalisation over the last axis of row-major {@code [rows, d]} data, as heed's IR defines
 * it, optionally fused with the residual add before it:
 * <ul>
 *   <li>{@code layer_norm}: {@code (x − mean) / √(var + eps) · gamma + beta}, var the biased
 *       (population) variance;
 *   <li>{@code rms_norm}: {@code x / √(mean(x²) + eps) · gamma};
 *   <li>{@code add_layer_norm}, {@code add_rms_norm}: the same of {@code a + b}, a and b of the
 *       same shape, without a separate pass (or array) for the sum.
 * </ul>
 * All in float, two-pass for layer norm (the mean, then {@code Σ(x − mean)²}), so a large mean
 * does not cancel the variance away; {@code inv = 1 / (float) √(var / d + eps)} as the
 * generated code computes it. The vector kernels ({@link VectorNorms}, when
 * {@link Simd#enabled()}) sum in vector lanes, so results can differ from a sequential float
 * loop in the last bits.
 *
 * <p>Aliasing: {@code out} may be the same array as {@code x} (or {@code a} or {@code b}): each
 * row is read completely (for its statistics) before any of it is written, and the final pass
 * writes each element after reading it, so normalising in place is safe. {@code out} must not
 * overlap an input in any other way (the arrays have no offsets, so this only rules out
 * {@code gamma} or {@code beta} as {@code out}). The add variants write {@code a + b} to
 * {@code out} first and read it back, so out may be a or b.
 *
 * <p>Rows run in parallel via {@link Parallel} when {@code rows · d} exceeds
 * 32 768 floats, along d in vectors. No allocation per call except
 * Parallel's small loop objects for large inputs.
 */
public final class Norms {
  /** Below this many floats a normalisation runs on the calling thread. */
  static final int PARALLEL_FLOATS = 1 << 15;

  private Norms() {}

  /** {@code out = (x − mean) / √(var + eps) · gamma + beta} per row of {@code x[rows, d]}. */
  public static void layerNorm(float[] x, float[] gamma, float[] beta, float[] out, int rows, int d, float eps) {
    check(x, null, gamma, beta, true, out, rows, d);
    run(x, null, gamma, beta, true, out, rows, d, eps);
  }

  /** {@code out = layerNorm(a + b)}, a and b both {@code [rows, d]}. */
  public static void addLayerNorm(float[] a, float[] b, float[] gamma, float[] beta, float[] out, int rows, int d,
      float eps) {
    Objects.requireNonNull(b, "b");
    check(a, b, gamma, beta, true, out, rows, d);
    run(a, b, gamma, beta, true, out, rows, d, eps);
  }

  /** {@code out = x / √(mean(x²) + eps) · gamma} per row of {@code x[rows, d]}. */
  public static void rmsNorm(float[] x, float[] gamma, float[] out, int rows, int d, float eps) {
    check(x, null, gamma, null, false, out, rows, d);
    run(x, null, gamma, null, false, out, rows, d, eps);
  }

  /** {@code out = rmsNorm(a + b)}, a and b both {@code [rows, d]}. */
  public static void addRmsNorm(float[] a, float[] b, float[] gamma, float[] out, int rows, int d, float eps) {
    Objects.requireNonNull(b, "b");
    check(a, b, gamma, null, false, out, rows, d);
    run(a, b, gamma, null, false, out, rows, d, eps);
  }

  private static void check(float[] a, float[] b, float[] gamma, float[] beta, boolean layer, float[] out,
      int rows, int d) {
    if (rows < 0 || d < 0) throw new IllegalArgumentException("norm: negative shape [" + rows + ", " + d + "]");
    long size = (long) rows * d;
    Gemm.check(b == null ? "x" : "a", a, 0, size);
    if (b != null) Gemm.check("b", b, 0, size);
    Gemm.check("gamma", gamma, 0, d);
    if (layer) Gemm.check("beta", beta, 0, d);
    Gemm.check("out", out, 0, size);
    if (out == gamma || out == beta) throw new IllegalArgumentException("norm: out must not be gamma or beta");
  }

  /** Rows of {@code layerNorm} or {@code rmsNorm} of a (+ b), in parallel when large; arguments checked. */
  static void run(float[] a, float[] b, float[] gamma, float[] beta, boolean layer, float[] out,
      int rows, int d, float eps) {
    if (rows == 0 || d == 0) return;
    if ((long) rows * d <= PARALLEL_FLOATS || Parallel.threads() == 1) {
      rowRange(a, b, gamma, beta, layer, out, 0, rows, d, eps);
    } else {
      Parallel.forRange(rows, Math.max(1, PARALLEL_FLOATS / d),
          (from, to) -> rowRange(a, b, gamma, beta, layer, out, from, to, d, eps));
    }
  }

  /** Rows {@code [r0, r1)} of {@link #run}, on this thread. */
  static void rowRange(float[] a, float[] b, float[] gamma, float[] beta, boolean layer, float[] out,
      int r0, int r1, int d, float eps) {
    if (Simd.enabled()) {
      if (layer) VectorNorms.layerNorm(a, b, gamma, beta, out, r0, r1, d, eps);
      else VectorNorms.rmsNorm(a, b, gamma, out, r0, r1, d, eps);
    } else {
      if (layer) layerNormRows(a, b, gamma, beta, out, r0, r1, d, eps);
      else rmsNormRows(a, b, gamma, out, r0, r1, d, eps);
    }
  }

  /** The scalar kernel: rows {@code [r0, r1)} of layer norm of a (+ b). */
  static void layerNormRows(float[] a, float[] b, float[] gamma, float[] beta, float[] out, int r0, int r1, int d,
      float eps) {
    for (int r = r0; r < r1; r++) {
      int base = r * d;
      float[] x = sumInto(a, b, out, base, d);
      float mean = 0f;
      for (int i = 0; i < d; i++) mean += x[base + i];
      mean /= d;
      float var = 0f;
      for (int i = 0; i < d; i++) {
        float dev = x[base + i] - mean;
        var += dev * dev;
      }
      float inv = 1f / (float) Math.sqrt(var / d + eps);
      for (int i = 0; i < d; i++) out[base + i] = (x[base + i] - mean) * inv * gamma[i] + beta[i];
    }
  }

  /** The scalar kernel: rows {@code [r0, r1)} of RMS norm of a (+ b). */
  static void rmsNormRows(float[] a, float[] b, float[] gamma, float[] out, int r0, int r1, int d, float eps) {
    for (int r = r0; r < r1; r++) {
      int base = r * d;
      float[] x = sumInto(a, b, out, base, d);
      float sq = 0f;
      for (int i = 0; i < d; i++) sq += x[base + i] * x[base + i];
      float inv = 1f / (float) Math.sqrt(sq / d + eps);
      for (int i = 0; i < d; i++) out[base + i] = x[base + i] * inv * gamma[i];
    }
  }

  /** The row to normalise: a itself, or {@code a + b} written to out. */
  private static float[] sumInto(float[] a, float[] b, float[] out, int base, int d) {
    if (b == null) return a;
    for (int i = 0; i < d; i++) out[base + i] = a[base + i] + b[base + i];
    return out;
  }
}
