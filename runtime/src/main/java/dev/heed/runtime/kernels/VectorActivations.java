package dev.heed.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API activations behind the bulk methods of {@link Activations}. Loaded only when
 * {@link Simd#enabled()}.
 */
final class VectorActivations {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final float INV_SQRT2 = (float) (1 / Math.sqrt(2));
  // Abramowitz and Stegun 7.1.26: erf(z) = 1 - t·(a1 + t·(a2 + t·(a3 + t·(a4 + t·a5))))·e^(-z²),
  // t = 1 / (1 + p·z), z >= 0; absolute error below 1.5e-7.
  private static final float P = 0.3275911f;
  private static final float A1 = 0.254829592f;
  private static final float A2 = -0.284496736f;
  private static final float A3 = 1.421413741f;
  private static final float A4 = -1.453152027f;
  private static final float A5 = 1.061405429f;

  private VectorActivations() {}

  /** {@code out[i] = 0.5·x·(1 + erf(x/√2))} for i in {@code [from, to)}. */
  static void gelu(float[] x, float[] out, int from, int to) {
    int i = from;
    for (int end = from + S.loopBound(to - from); i < end; i += S.length()) {
      FloatVector v = FloatVector.fromArray(S, x, i);
      FloatVector u = v.mul(INV_SQRT2);
      FloatVector z = u.abs();
      FloatVector t = FloatVector.broadcast(S, 1f).div(z.fma(P, 1f));
      FloatVector poly = t.fma(A5, A4).fma(t, FloatVector.broadcast(S, A3)).fma(t, FloatVector.broadcast(S, A2))
          .fma(t, FloatVector.broadcast(S, A1)).mul(t);
      FloatVector erfAbs = poly.mul(z.mul(z).neg().lanewise(VectorOperators.EXP)).neg().add(1f);
      FloatVector erf = erfAbs.blend(erfAbs.neg(), u.compare(VectorOperators.LT, 0f));
      v.mul(0.5f).mul(erf.add(1f)).intoArray(out, i);
    }
    for (; i < to; i++) out[i] = Activations.gelu(x[i]);
  }
}
