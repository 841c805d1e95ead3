package dev.heed.runtime.kernels;

import dev.heed.runtime.Parallel;

/**
 * Scalar activation functions the generated code calls per element. Each is computed in
 * double and rounded once to float, matching heed's reference interpreter.
 */
public final class Activations {
  /** Elements per parallel chunk of a bulk activation. */
  private static final int ELEMENTWISE_GRAIN = 1 << 14;

  private Activations() {}

  /** The exact GELU, x·Φ(x) = 0.5·x·(1 + erf(x/√2)). */
  public static float gelu(float x) {
    double d = x;
    return (float) (0.5 * d * (1.0 + erf(d / Math.sqrt(2.0))));
  }

  /**
   * {@code out[i] = gelu(x[i])} for {@code i < n}, in parallel: {@link #apply} with
   * {@link Activation#GELU}. With the Vector API ({@link Simd#enabled()}) erf is a float
   * rational approximation (Abramowitz and Stegun 7.1.26, absolute error below 2e-7) instead
   * of {@link #erf}; otherwise this is {@link #gelu(float)} element by element.
   */
  public static void gelu(float[] x, float[] out, int n) {
    apply(Activation.GELU, x, out, n);
  }

  /**
   * {@code out[i] = act(x[i])} for {@code i < n}: vectorised when {@link Simd#enabled()} (see
   * {@link Activation} for how close that is to {@link Activation#apply(float)}), else
   * {@link Activation#apply(float)} element by element; in parallel chunks of
   * 16 384 elements when n is larger. {@code out} may be {@code x} (in
   * place); it must not otherwise overlap it. Allocates nothing when {@code n} is at most one
   * chunk.
   */
  public static void apply(Activation act, float[] x, float[] out, int n) {
    java.util.Objects.requireNonNull(act, "act");
    Gemm.check("x", x, 0, n);
    Gemm.check("out", out, 0, n);
    if (n <= ELEMENTWISE_GRAIN) {
      applyRange(act, x, out, 0, n);
    } else {
      Parallel.forRange(n, ELEMENTWISE_GRAIN, (from, to) -> applyRange(act, x, out, from, to));
    }
  }

  private static void applyRange(Activation act, float[] x, float[] out, int from, int to) {
    if (Simd.enabled()) {
      VectorActivations.apply(act, x, from, out, from, to - from, null, 0);
    } else {
      for (int i = from; i < to; i++) out[i] = act.apply(x[i]);
    }
  }

  /** GELU's tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
  public static float geluTanh(float x) {
    double d = x;
    return (float) (0.5 * d * (1.0 + StrictMath.tanh(Math.sqrt(2.0 / Math.PI) * (d + 0.044715 * d * d * d))));
  }

  /** The logistic function 1 / (1 + e^(-x)). */
  public static float sigmoid(float x) {
    return (float) (1.0 / (1.0 + StrictMath.exp(-(double) x)));
  }

  // W. J. Cody, "Rational Chebyshev approximations for the error function",
  // Math. Comp. 23 (1969) 631-638, as in his CALERF routine (netlib specfun/erf):
  //   |x| <= 0.46875:        erf(x)  = x · A(x²) / B(x²)
  //   0.46875 < |x| <= 4:    erfc(x) = e^(-x²) · C(x) / D(x)
  //   |x| > 4:               erfc(x) = e^(-x²) / x · (1/√π + 1/x² · P(1/x²) / Q(1/x²))
  // with erf = 1 - erfc and erf(-x) = -erf(x); e^(-x²) is split as e^(-t²)·e^(-(x-t)(x+t)),
  // t = x rounded down to a multiple of 1/16, so that x² loses no bits.

  private static final double[] A = {
    3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03,
    1.85777706184603153e-1};
  private static final double[] B = {
    2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03};
  private static final double[] C = {
    5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01, 2.98635138197400131e02,
    8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03,
    2.15311535474403846e-8};
  private static final double[] D = {
    1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
    3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03};
  private static final double[] P = {
    3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2,
    6.58749161529837803e-4, 1.63153871373020978e-2};
  private static final double[] Q = {
    2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1, 6.05183413124413191e-2,
    2.33520497626869185e-3};
  private static final double ONE_OVER_SQRT_PI = 5.6418958354775628695e-1;
  /** erfc(x) underflows to 0 in double beyond this. */
  private static final double ERFC_ZERO = 26.543;

  /** The error function, (2/√π)·∫₀ˣ e^(-t²) dt, to about 1e-16 relative. */
  public static double erf(double x) {
    if (Double.isNaN(x)) return x;
    double y = Math.abs(x);
    if (y <= 0.46875) {
      double ysq = y > 1.11e-16 ? y * y : 0.0;
      double num = A[4] * ysq;
      double den = ysq;
      for (int i = 0; i < 3; i++) {
        num = (num + A[i]) * ysq;
        den = (den + B[i]) * ysq;
      }
      return x * (num + A[3]) / (den + B[3]);
    }
    double erfc = erfcAbove(y);
    return x > 0 ? (0.5 - erfc) + 0.5 : (erfc - 0.5) - 0.5;
  }

  /** erfc(y) for y > 0.46875. */
  private static double erfcAbove(double y) {
    double r;
    if (y <= 4.0) {
      double num = C[8] * y;
      double den = y;
      for (int i = 0; i < 7; i++) {
        num = (num + C[i]) * y;
        den = (den + D[i]) * y;
      }
      r = (num + C[7]) / (den + D[7]);
    } else {
      if (y >= ERFC_ZERO) return 0.0;
      double ysq = 1.0 / (y * y);
      double num = P[5] * ysq;
      double den = ysq;
      for (int i = 0; i < 4; i++) {
        num = (num + P[i]) * ysq;
        den = (den + Q[i]) * ysq;
      }
      r = ysq * (num + P[4]) / (den + Q[4]);
      r = (ONE_OVER_SQRT_PI - r) / y;
    }
    double t = Math.floor(y * 16.0) / 16.0;
    double del = (y - t) * (y + t);
    return StrictMath.exp(-t * t) * StrictMath.exp(-del) * r;
  }
}
