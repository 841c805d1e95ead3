package dev.heed.runtime.kernels;

/**
 * The weight of a linear layer, {@code w[out, in]}, laid out once for {@link Gemm#linear(float[],
 * PackedLinear, float[], Activation, float[], float[], int)}: transposed into the column panels the Vector API kernel
 * reads, or kept as is when the scalar kernels run. Generated models build one per linear
 * weight in their constructor. Immutable and safe to share between threads.
 */
public final class PackedLinear {
  private final int out;
  private final int in;
  /** {@code w} itself on the scalar path; the packed panels on the vector path. */
  private final float[] data;
  private final boolean packed;

  private PackedLinear(int out, int in, float[] data, boolean packed) {
    this.out = out;
    this.in = in;
    this.data = data;
    this.packed = packed;
  }

  /** Packs {@code w}, row-major {@code [out, in]} (PyTorch's {@code nn.Linear} layout). */
  public static PackedLinear of(float[] w, int out, int in) {
    if (out < 0 || in < 0) throw new IllegalArgumentException("linear weight: negative shape [" + out + ", " + in + "]");
    Gemm.check("w", w, 0, (long) out * in);
    return Simd.enabled()
        ? new PackedLinear(out, in, VectorGemm.packTransposed(w, out, in), true)
        : new PackedLinear(out, in, w, false);
  }

  /** Output features: rows of w. */
  public int out() {
    return out;
  }

  /** Input features: columns of w. */
  public int in() {
    return in;
  }

  /**
   * {@code y = norm(act(x · wᵀ + bias) + residual)} ({@code norm} null for none); arguments
   * already checked by {@link Gemm}.
   */
  void apply(float[] x, float[] bias, Activation act, float[] residual, RowNorm norm, float[] y, int rows) {
    if (packed) {
      VectorGemm.gemm(x, 0, rows, in, data, out, bias, act, residual, norm, y, 0);
    } else {
      ScalarGemm.linear(x, data, bias, act, residual, y, rows, in, out);
      if (norm != null) norm.all(y, rows, out);
    }
  }
}
