package dev.heed.runtime.kernels;

/**
 * Dense matrix products on row-major {@code float[]} data: the Vector API kernels when
 * {@link Simd#enabled()}, plain Java loops otherwise. Large products run in parallel via
 * {@link dev.heed.runtime.Parallel}. Outputs must not overlap inputs.
 *
 * <p>For a linear layer whose weight is fixed, pack the weight once with
 * {@link PackedLinear#of} and call {@link #linear(float[], PackedLinear, float[], float[], int)}:
 * the unpacked {@link #linear(float[], float[], float[], float[], int, int, int)} repacks on
 * every call.
 */
public final class Gemm {
  /** Below this many multiply-adds a product runs on the calling thread. */
  static final long PARALLEL_WORK = 100_000;

  private Gemm() {}

  /**
   * {@code C[m, n] = A[m, k] · B[k, n]}, all row-major, starting at the given offsets.
   * C is overwritten.
   */
  public static void matmul(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int k, int n) {
    check("a", a, aOff, (long) m * k);
    check("b", b, bOff, (long) k * n);
    check("c", c, cOff, (long) m * n);
    if (m == 0 || n == 0) return;
    if (Simd.enabled()) {
      VectorGemm.gemm(a, aOff, m, k, VectorGemm.packRows(b, bOff, k, n), n, null, c, cOff);
    } else {
      ScalarGemm.matmul(a, aOff, b, bOff, c, cOff, m, k, n);
    }
  }

  /**
   * {@code y[rows, out] = x[rows, in] · wᵀ + bias}, with {@code w} row-major {@code [out, in]}
   * (the layout of PyTorch's {@code nn.Linear}) and {@code bias} of length {@code out} or null.
   * y is overwritten.
   */
  public static void linear(float[] x, float[] w, float[] bias, float[] y, int rows, int in, int out) {
    check("w", w, 0, (long) out * in);
    checkLinear(x, bias, y, rows, in, out);
    if (Simd.enabled()) {
      VectorGemm.gemm(x, 0, rows, in, VectorGemm.packTransposed(w, out, in), out, bias, y, 0);
    } else {
      ScalarGemm.linear(x, w, bias, y, rows, in, out);
    }
  }

  /**
   * {@code y[rows, w.out()] = x[rows, w.in()] · wᵀ + bias}, as
   * {@link #linear(float[], float[], float[], float[], int, int, int)} with a weight packed
   * once, ahead of time.
   */
  public static void linear(float[] x, PackedLinear w, float[] bias, float[] y, int rows) {
    checkLinear(x, bias, y, rows, w.in(), w.out());
    w.apply(x, bias, y, rows);
  }

  private static void checkLinear(float[] x, float[] bias, float[] y, int rows, int in, int out) {
    check("x", x, 0, (long) rows * in);
    check("y", y, 0, (long) rows * out);
    if (bias != null) check("bias", bias, 0, out);
  }

  static void check(String name, float[] array, int offset, long length) {
    if (offset < 0 || offset + length > array.length) {
      throw new IllegalArgumentException("gemm: " + name + " needs " + length + " floats from offset " + offset
          + " but has " + array.length);
    }
  }
}
