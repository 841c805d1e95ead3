package dev.heed.runtime.kernels;

/**
 * An elementwise activation a kernel can apply as it stores its result: the epilogue of
 * {@link Gemm#linear(float[], PackedLinear, float[], Activation, float[], float[], int)}, the
 * bulk {@link Activations#apply}. {@link #apply(float)} is the scalar definition, the same
 * expressions the generated code uses per element (heed's {@code relu}, {@code gelu},
 * {@code gelu_tanh}, {@code tanh}, {@code sigmoid}): computed in double where
 * {@link Activations} does, rounded once to float.
 *
 * <p>The Vector API paths ({@link Simd#enabled()}) compute in float, with an exp made of
 * multiply-adds (see {@code VectorActivations}) and, for GELU, the erf approximation of
 * {@link Activations#gelu(float[], float[], int)}; they agree with {@link #apply(float)} to
 * about 1e-6·max(1, |x|) (tanh and GELU_TANH to 1e-6 relative near zero too). Elements a vector
 * does not cover (the tail of a row) use {@link #apply(float)}.
 */
public enum Activation {
  /** The identity. */
  NONE,
  /** {@code max(x, 0)}, as {@link Math#max(float, float)}. */
  RELU,
  /** The exact GELU, {@link Activations#gelu(float)}: x·Φ(x) with Cody's erf. */
  GELU,
  /** GELU's tanh approximation, {@link Activations#geluTanh(float)}. */
  GELU_TANH,
  /** {@code (float) StrictMath.tanh(x)}: StrictMath, so every JIT tier gives the same bits. */
  TANH,
  /** The logistic function, {@link Activations#sigmoid(float)}. */
  SIGMOID;

  /** This activation of one value. */
  public float apply(float x) {
    return switch (this) {
      case NONE -> x;
      case RELU -> Math.max(x, 0f);
      case GELU -> Activations.gelu(x);
      case GELU_TANH -> Activations.geluTanh(x);
      case TANH -> (float) StrictMath.tanh(x);
      case SIGMOID -> Activations.sigmoid(x);
    };
  }
}
