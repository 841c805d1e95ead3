package dev.heed.runtime.kernels;

import java.util.Objects;

/**
 * Dense matrix products on row-major {@code float[]} data: the Vector API kernels when
 * {@link Simd#enabled()}, plain Java loops otherwise. Large products run in parallel via
 * {@link dev.heed.runtime.Parallel}. Outputs must not overlap inputs.
 *
 * <p>For a linear layer whose weight is fixed, pack the weight once with
 * {@link PackedLinear#of} and call {@link #linear(float[], PackedLinear, float[], float[], int)}:
 * the unpacked {@link #linear(float[], float[], float[], float[], int, int, int)} repacks on
 * every call. The {@link Activation} overloads fuse a linear layer's epilogue,
 * {@code y = act(x·wᵀ + bias) + residual}, into the product: each strip of output tiles gets it
 * right after its last multiply-adds, while it is in cache, instead of in further passes over y.
 *
 * <p>With a packed weight, a call allocates nothing in steady state apart from
 * {@link dev.heed.runtime.Parallel}'s small loop objects when it runs in parallel: the vector
 * kernel's packing buffers are per thread and of a fixed size.
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
    linear(x, w, bias, Activation.NONE, null, y, rows, in, out);
  }

  /**
   * {@code y[rows, out] = act(x[rows, in] · wᵀ + bias) + residual}: a linear layer with its
   * epilogue fused, as {@link #linear(float[], PackedLinear, float[], Activation, float[], float[], int)}
   * but with {@code w} row-major {@code [out, in]}, packed on every call.
   */
  public static void linear(float[] x, float[] w, float[] bias, Activation act, float[] residual, float[] y,
      int rows, int in, int out) {
    check("w", w, 0, (long) out * in);
    checkLinear(x, bias, act, residual, y, rows, in, out);
    if (Simd.enabled()) {
      VectorGemm.gemm(x, 0, rows, in, VectorGemm.packTransposed(w, out, in), out, bias, act, residual, null, y, 0);
    } else {
      ScalarGemm.linear(x, w, bias, act, residual, y, rows, in, out);
    }
  }

  /**
   * {@code y[rows, w.out()] = x[rows, w.in()] · wᵀ + bias}, as
   * {@link #linear(float[], float[], float[], float[], int, int, int)} with a weight packed
   * once, ahead of time.
   */
  public static void linear(float[] x, PackedLinear w, float[] bias, float[] y, int rows) {
    linear(x, w, bias, Activation.NONE, null, y, rows);
  }

  /**
   * {@code y[rows, w.out()] = act(x[rows, w.in()] · wᵀ + bias) + residual}: a linear layer and
   * its epilogue in one pass. The epilogue runs inside the product, on each strip of output
   * tiles (8 rows × up to 512 columns on the vector path, one output on the scalar path) right
   * after its last multiply-adds, while it is in L1; {@code act(v)} is
   * {@link Activation#apply(float)} (to about 1e-6 on the vector path, see {@link Activation}).
   *
   * <p>{@code bias}: length {@code w.out()}, or null for none. {@code act}: not null
   * ({@link Activation#NONE} for none). {@code residual}: {@code rows · w.out()} floats laid out
   * as y, or null for none. y is overwritten; it must not be the same array as x or residual
   * (checked: IllegalArgumentException) and must not otherwise share memory with them. x,
   * bias and residual are only read, and may be the same array as one another.
   *
   * <p>A steady-state call allocates nothing proportional to the sizes on any thread: the
   * vector kernel's buffers are per thread and of a fixed size.
   */
  public static void linear(float[] x, PackedLinear w, float[] bias, Activation act, float[] residual, float[] y,
      int rows) {
    checkLinear(x, bias, act, residual, y, rows, w.in(), w.out());
    w.apply(x, bias, act, residual, null, y, rows);
  }

  /**
   * {@code y = layerNorm(act(x · wᵀ + bias) + residual)} over each row of y: a linear layer, its
   * epilogue and the layer norm that follows it (a BERT-style layer's residual + norm) in one
   * pass. Each block of rows is normalised as soon as its last column is stored, while it is
   * in cache; the result is bit for bit that of {@link #linear(float[], PackedLinear, float[],
   * Activation, float[], float[], int)} followed by {@link Norms#layerNorm}.
   *
   * <p>Arguments as for that {@code linear}, plus {@code gamma} and {@code beta} of length
   * {@code w.out()} and {@code eps}; y must not be gamma or beta.
   */
  public static void linearLayerNorm(float[] x, PackedLinear w, float[] bias, Activation act, float[] residual,
      float[] gamma, float[] beta, float eps, float[] y, int rows) {
    checkLinear(x, bias, act, residual, y, rows, w.in(), w.out());
    checkNorm(gamma, y, w.out(), "gamma");
    checkNorm(beta, y, w.out(), "beta");
    w.apply(x, bias, act, residual, new RowNorm(true, gamma, beta, eps), y, rows);
  }

  /**
   * {@code y = rmsNorm(act(x · wᵀ + bias) + residual)} over each row of y: as
   * {@link #linearLayerNorm} with an RMS norm (scale {@code gamma} only).
   */
  public static void linearRmsNorm(float[] x, PackedLinear w, float[] bias, Activation act, float[] residual,
      float[] gamma, float eps, float[] y, int rows) {
    checkLinear(x, bias, act, residual, y, rows, w.in(), w.out());
    checkNorm(gamma, y, w.out(), "gamma");
    w.apply(x, bias, act, residual, new RowNorm(false, gamma, null, eps), y, rows);
  }

  private static void checkNorm(float[] p, float[] y, int out, String name) {
    check(name, Objects.requireNonNull(p, name), 0, out);
    if (p == y) throw new IllegalArgumentException("gemm: y must not be the same array as " + name);
  }

  private static void checkLinear(float[] x, float[] bias, Activation act, float[] residual, float[] y,
      int rows, int in, int out) {
    Objects.requireNonNull(act, "act (use Activation.NONE for none)");
    if (rows < 0) throw new IllegalArgumentException("gemm: negative rows " + rows);
    check("x", x, 0, (long) rows * in);
    check("y", y, 0, (long) rows * out);
    if (bias != null) check("bias", bias, 0, out);
    if (residual != null) check("residual", residual, 0, (long) rows * out);
    if (y == x) throw new IllegalArgumentException("gemm: y must not be the same array as x");
    if (y == residual) throw new IllegalArgumentException("gemm: y must not be the same array as residual");
  }

  static void check(String name, float[] array, int offset, long length) {
    if (offset < 0 || offset + length > array.length) {
      throw new IllegalArgumentException("gemm: " + name + " needs " + length + " floats from offset " + offset
          + " but has " + array.length);
    }
  }
}
