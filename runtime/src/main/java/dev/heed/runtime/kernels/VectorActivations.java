package dev.heed.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API activations behind the bulk methods of {@link Activations} and the GEMM epilogue
 * of {@link VectorGemm}. Loaded only when {@link Simd#enabled()}.
 *
 * <p>Each activation is one loop over a contiguous range, {@code out[j] = act(x[j]) (+ res[j])},
 * whole vectors in float, then the elements past the last whole vector with the scalar
 * {@link Activation#apply(float)}. Every FloatVector stays inside the loop that made it
 * (see {@link VectorGemm} on the boxing cliff).
 *
 * <ul>
 *   <li>GELU: 0.5·x·(1 + erf(x/√2)) with erf from Abramowitz and Stegun 7.1.26,
 *       erf(z) = 1 − t·(a1 + t·(a2 + t·(a3 + t·(a4 + t·a5))))·e^(−z²), t = 1/(1 + p·z), z ≥ 0,
 *       absolute error below 1.5e-7 (2e-7 after float rounding);
 *   <li>GELU_TANH: x·sigmoid(2u), u = √(2/π)·(x + 0.044715·x³), which equals
 *       0.5·x·(1 + tanh(u)) without its cancellation, e^(−2u) as below;
 *   <li>TANH: (1 − e)/(1 + e), e = e^(−2|x|), with the sign of x; the odd series
 *       x − x³/3 + 2x⁵/15 below |x| = 1/16;
 *   <li>SIGMOID: 1/(1 + e^(−x)), e^(−x) as below;
 *   <li>RELU: {@code max(x, 0)}, Java's max (NaN stays NaN, −0 becomes 0).
 * </ul>
 *
 * <p>No lanewise EXP or TANH from the Vector API: C2 computes those with its own vector math
 * library and the interpreter and C1 lane by lane with Math, so the same call would give
 * different bits once the JIT compiled it ({@code KernelDeterminismTest}). The exp written out in
 * the GELU, GELU_TANH, TANH and SIGMOID loops uses
 * only multiply-adds and bit operations, which give the same bits in every tier.
 */
final class VectorActivations {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  private static final float INV_SQRT2 = (float) (1 / Math.sqrt(2));
  private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);
  private static final float GELU_TANH_CUBIC = 0.044715f;
  // Abramowitz and Stegun 7.1.26 (see the class comment).
  private static final float P = 0.3275911f;
  private static final float A1 = 0.254829592f;
  private static final float A2 = -0.284496736f;
  private static final float A3 = 1.421413741f;
  private static final float A4 = -1.453152027f;
  private static final float A5 = 1.061405429f;

  // e^x = 2^(x·log2 e) = 2^n · 2^r, n the nearest integer, |r| <= 1/2, 2^r by a degree-5
  // polynomial (relative error about 2e-7), 2^n built in the exponent bits; the same scheme
  // as VectorAttention's softmax.
  private static final float LOG2E = 1.44269504088896341f;
  private static final float ROUND = 12582912f; // 1.5·2^23: adding it rounds to an integer
  private static final float EXP_LOW = -87.3f;
  private static final float EXP_HIGH = 88.3f;
  private static final float E1 = 0.6931470632553101f;
  private static final float E2 = 0.24022237956523895f;
  private static final float E3 = 0.05550689250230789f;
  private static final float E4 = 0.00967189110815525f;
  private static final float E5 = 0.001327406382188201f;

  private VectorActivations() {}

  /** {@code out[i] = 0.5·x·(1 + erf(x/√2))} for i in {@code [from, to)}. */
  static void gelu(float[] x, float[] out, int from, int to) {
    gelu(x, from, out, from, to - from, null, 0);
  }

  /**
   * {@code out[oi + j] = act(x[xi + j]) + res[ri + j]} for {@code j < len}; without the sum when
   * {@code res} is null. {@code out} may be {@code x} at the same offset (in place).
   */
  static void apply(Activation act, float[] x, int xi, float[] out, int oi, int len, float[] res, int ri) {
    switch (act) {
      case NONE -> identity(x, xi, out, oi, len, res, ri);
      case RELU -> relu(x, xi, out, oi, len, res, ri);
      case GELU -> gelu(x, xi, out, oi, len, res, ri);
      case GELU_TANH -> geluTanh(x, xi, out, oi, len, res, ri);
      case TANH -> tanh(x, xi, out, oi, len, res, ri);
      case SIGMOID -> sigmoid(x, xi, out, oi, len, res, ri);
    }
  }

  /**
   * The GEMM epilogue on one output tile, in place: {@code c = act(c) + res} over {@code rows}
   * rows of {@code cols} floats from {@code ci}, rows {@code ldc} apart; {@code res} (or null)
   * laid out as c.
   */
  static void epilogue(Activation act, float[] c, int ci, int ldc, int rows, int cols, float[] res) {
    for (int r = 0, i = ci; r < rows; r++, i += ldc) apply(act, c, i, c, i, cols, res, i);
  }

  private static void identity(float[] x, int xi, float[] out, int oi, int len, float[] res, int ri) {
    if (res == null) {
      if (x != out || xi != oi) System.arraycopy(x, xi, out, oi, len);
      return;
    }
    int j = 0;
    for (int end = S.loopBound(len); j < end; j += L) {
      FloatVector.fromArray(S, x, xi + j).add(FloatVector.fromArray(S, res, ri + j)).intoArray(out, oi + j);
    }
    for (; j < len; j++) out[oi + j] = x[xi + j] + res[ri + j];
  }

  private static void relu(float[] x, int xi, float[] out, int oi, int len, float[] res, int ri) {
    int j = 0;
    for (int end = S.loopBound(len); j < end; j += L) {
      FloatVector v = FloatVector.fromArray(S, x, xi + j).max(0f);
      if (res != null) v = v.add(FloatVector.fromArray(S, res, ri + j));
      v.intoArray(out, oi + j);
    }
    tail(Activation.RELU, x, xi, out, oi, j, len, res, ri);
  }

  private static void gelu(float[] x, int xi, float[] out, int oi, int len, float[] res, int ri) {
    int j = 0;
    for (int end = S.loopBound(len); j < end; j += L) {
      FloatVector v = FloatVector.fromArray(S, x, xi + j);
      FloatVector u = v.mul(INV_SQRT2);
      FloatVector z = u.abs();
      FloatVector t = FloatVector.broadcast(S, 1f).div(z.fma(P, 1f));
      FloatVector poly = t.fma(A5, A4).fma(t, FloatVector.broadcast(S, A3)).fma(t, FloatVector.broadcast(S, A2))
          .fma(t, FloatVector.broadcast(S, A1)).mul(t);
      // e^(−z²), written out here (see the constants) so that no FloatVector leaves this loop.
      FloatVector ex = z.mul(z).neg();
      FloatVector exr = ex.fma(LOG2E, ROUND);
      FloatVector exRem = ex.fma(FloatVector.broadcast(S, LOG2E), exr.sub(ROUND).neg());
      FloatVector exPoly = exRem.fma(E5, E4).fma(exRem, FloatVector.broadcast(S, E3)).fma(exRem, FloatVector.broadcast(S, E2))
          .fma(exRem, FloatVector.broadcast(S, E1)).fma(exRem, FloatVector.broadcast(S, 1f));
      FloatVector exp = exPoly.mul(exr.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).add(0x3f800000)
          .reinterpretAsFloats()).blend(0f, ex.compare(VectorOperators.LT, EXP_LOW));
      FloatVector erfAbs = poly.mul(exp).neg().add(1f);
      FloatVector erf = erfAbs.blend(erfAbs.neg(), u.compare(VectorOperators.LT, 0f));
      FloatVector y = v.mul(0.5f).mul(erf.add(1f));
      if (res != null) y = y.add(FloatVector.fromArray(S, res, ri + j));
      y.intoArray(out, oi + j);
    }
    tail(Activation.GELU, x, xi, out, oi, j, len, res, ri);
  }

  /**
   * GELU's tanh form as {@code x·sigmoid(2u)}, u = √(2/π)·(x + 0.044715·x³): the same value,
   * since {@code 0.5·(1 + tanh(u)) = 1 / (1 + e^(−2u))}, without tanh's cancellation.
   */
  private static void geluTanh(float[] x, int xi, float[] out, int oi, int len, float[] res, int ri) {
    int j = 0;
    for (int end = S.loopBound(len); j < end; j += L) {
      FloatVector v = FloatVector.fromArray(S, x, xi + j);
      FloatVector u = v.mul(v).fma(GELU_TANH_CUBIC, 1f).mul(v).mul(SQRT_2_OVER_PI);
      // e^(−2u), written out here (see the constants) so that no FloatVector leaves this loop.
      FloatVector nx = u.mul(-2f).min(EXP_HIGH);
      FloatVector nr = nx.fma(LOG2E, ROUND);
      FloatVector nRem = nx.fma(FloatVector.broadcast(S, LOG2E), nr.sub(ROUND).neg());
      FloatVector nPoly = nRem.fma(E5, E4).fma(nRem, FloatVector.broadcast(S, E3)).fma(nRem, FloatVector.broadcast(S, E2))
          .fma(nRem, FloatVector.broadcast(S, E1)).fma(nRem, FloatVector.broadcast(S, 1f));
      FloatVector e = nPoly.mul(nr.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).add(0x3f800000)
          .reinterpretAsFloats()).blend(0f, nx.compare(VectorOperators.LT, EXP_LOW));
      // −∞ · sigmoid(−∞) is −∞ · 0, NaN, as in the scalar form (and PyTorch's); e is capped, so
      // the division alone would give −∞.
      FloatVector y = v.div(e.add(1f)).blend(Float.NaN, v.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY));
      if (res != null) y = y.add(FloatVector.fromArray(S, res, ri + j));
      y.intoArray(out, oi + j);
    }
    tail(Activation.GELU_TANH, x, xi, out, oi, j, len, res, ri);
  }

  /**
   * tanh(x) = sign(x)·(1 − e)/(1 + e) with e = e^(−2|x|), |x| capped at 9 (tanh 9 rounds to 1);
   * below |x| = 1/16, where 1 − e would cancel, the odd series x − x³/3 + 2x⁵/15 (relative
   * error under 4e-9 there).
   */
  private static void tanh(float[] x, int xi, float[] out, int oi, int len, float[] res, int ri) {
    int j = 0;
    for (int end = S.loopBound(len); j < end; j += L) {
      FloatVector v = FloatVector.fromArray(S, x, xi + j);
      FloatVector a = v.abs().min(9f);
      // e^(−2|x|), written out here (see the constants) so that no FloatVector leaves this loop.
      FloatVector nx = a.mul(-2f);
      FloatVector nr = nx.fma(LOG2E, ROUND);
      FloatVector nRem = nx.fma(FloatVector.broadcast(S, LOG2E), nr.sub(ROUND).neg());
      FloatVector nPoly = nRem.fma(E5, E4).fma(nRem, FloatVector.broadcast(S, E3)).fma(nRem, FloatVector.broadcast(S, E2))
          .fma(nRem, FloatVector.broadcast(S, E1)).fma(nRem, FloatVector.broadcast(S, 1f));
      FloatVector e = nPoly.mul(nr.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).add(0x3f800000)
          .reinterpretAsFloats());
      FloatVector t = e.neg().add(1f).div(e.add(1f));
      FloatVector a2 = a.mul(a);
      FloatVector series = a2.fma(2f / 15f, -1f / 3f).mul(a2).fma(a, a);
      t = t.blend(series, a.compare(VectorOperators.LT, 0.0625f));
      // The sign bit of x (so tanh(−0) is −0).
      FloatVector y = t.reinterpretAsInts().or(v.reinterpretAsInts().and(0x80000000)).reinterpretAsFloats();
      if (res != null) y = y.add(FloatVector.fromArray(S, res, ri + j));
      y.intoArray(out, oi + j);
    }
    tail(Activation.TANH, x, xi, out, oi, j, len, res, ri);
  }

  private static void sigmoid(float[] x, int xi, float[] out, int oi, int len, float[] res, int ri) {
    int j = 0;
    for (int end = S.loopBound(len); j < end; j += L) {
      // e^(−x), written out here (see the constants) so that no FloatVector leaves this loop.
      FloatVector nx = FloatVector.fromArray(S, x, xi + j).neg().min(EXP_HIGH);
      FloatVector nr = nx.fma(LOG2E, ROUND);
      FloatVector nRem = nx.fma(FloatVector.broadcast(S, LOG2E), nr.sub(ROUND).neg());
      FloatVector nPoly = nRem.fma(E5, E4).fma(nRem, FloatVector.broadcast(S, E3)).fma(nRem, FloatVector.broadcast(S, E2))
          .fma(nRem, FloatVector.broadcast(S, E1)).fma(nRem, FloatVector.broadcast(S, 1f));
      FloatVector e = nPoly.mul(nr.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).add(0x3f800000)
          .reinterpretAsFloats()).blend(0f, nx.compare(VectorOperators.LT, EXP_LOW));
      FloatVector y = FloatVector.broadcast(S, 1f).div(e.add(1f));
      if (res != null) y = y.add(FloatVector.fromArray(S, res, ri + j));
      y.intoArray(out, oi + j);
    }
    tail(Activation.SIGMOID, x, xi, out, oi, j, len, res, ri);
  }

  /** Elements {@code [j, len)} with the scalar definition. */
  private static void tail(Activation act, float[] x, int xi, float[] out, int oi, int j, int len, float[] res, int ri) {
    if (res == null) {
      for (; j < len; j++) out[oi + j] = act.apply(x[xi + j]);
    } else {
      for (; j < len; j++) out[oi + j] = act.apply(x[xi + j]) + res[ri + j];
    }
  }
}
