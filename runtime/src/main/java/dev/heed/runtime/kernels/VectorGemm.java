package dev.heed.runtime.kernels;

import dev.heed.runtime.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernels behind {@link Gemm} and {@link PackedLinear}: C = A·B (+ bias) with
 * B packed into column panels, an {@value #MR}-row by two-vector register block, K split into
 * blocks of {@value #KC} for cache, and row tiles × panel groups shared out by {@link Parallel}.
 * Loaded only when {@link Simd#enabled()}; the only class in heed that names Vector API types.
 *
 * <p>Packed B: panel {@code p} holds columns {@code [p·NR, p·NR + NR)} of B for every k, one
 * row of {@link #NR} floats per k, the last panel zero-padded:
 * {@code packed[(p·k + kk)·NR + j] = B[kk, p·NR + j]}.
 *
 * <p>Every FloatVector lives and dies inside one kernel method: passing vectors to a method
 * C2 does not inline makes it allocate them (the "boxing cliff").
 */
final class VectorGemm {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  /** Rows of C per register block. */
  static final int MR = 8;
  /** Columns of C per register block and per packed panel: two vectors. */
  static final int NR = 2 * L;
  /** Depth of one K block: a panel's {@code KC × NR} slice stays in L1 while row blocks pass over it. */
  static final int KC = 256;
  /** Rows of C per parallel tile: the tile's {@code MC × KC} slice of A stays in L2. */
  static final int MC = 64;
  /** Parallel tiles to aim for per thread, so threads that finish early take over work. */
  private static final int TILES_PER_THREAD = 4;

  private VectorGemm() {}

  static int bits() {
    return S.vectorBitSize();
  }

  /** Floats a packed copy of a {@code k × n} B takes. */
  static int packedSize(int k, int n) {
    return Math.ceilDiv(n, NR) * k * NR;
  }

  /** Packs row-major {@code B[k, n]} (from {@code bOff}) into panels. */
  static float[] packRows(float[] b, int bOff, int k, int n) {
    float[] packed = new float[packedSize(k, n)];
    for (int p = 0; p * NR < n; p++) {
      int cols = Math.min(NR, n - p * NR);
      for (int kk = 0; kk < k; kk++) {
        System.arraycopy(b, bOff + kk * n + p * NR, packed, (p * k + kk) * NR, cols);
      }
    }
    return packed;
  }

  /** Packs {@code B = wᵀ} for a row-major {@code w[out, in]}: B is {@code [in, out]}. */
  static float[] packTransposed(float[] w, int out, int in) {
    float[] packed = new float[packedSize(in, out)];
    for (int o = 0; o < out; o++) {
      int dst = (o / NR) * in * NR + o % NR;
      int src = o * in;
      for (int kk = 0; kk < in; kk++) packed[dst + kk * NR] = w[src + kk];
    }
    return packed;
  }

  /**
   * {@code C[m, n] = A[m, k] · B[k, n] + bias}, with A and C row-major from their offsets, B
   * packed ({@link #packRows}), {@code bias} of length n or null. C is overwritten.
   */
  static void gemm(float[] a, int aOff, int m, int k, float[] packed, int n, float[] bias, float[] c, int cOff) {
    if (m == 0 || n == 0) return;
    if (k == 0) {
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) c[cOff + i * n + j] = bias == null ? 0f : bias[j];
      }
      return;
    }
    int panels = Math.ceilDiv(n, NR);
    int rowTiles = Math.ceilDiv(m, MC);
    boolean parallel = (long) m * k * n >= Gemm.PARALLEL_WORK && Parallel.threads() > 1;
    int wanted = parallel ? TILES_PER_THREAD * Parallel.threads() : 1;
    int perGroup = Math.ceilDiv(panels, Math.min(panels, Math.max(1, Math.ceilDiv(wanted, rowTiles))));
    int groups = Math.ceilDiv(panels, perGroup);
    Parallel.RangeBody tiles = (from, to) -> {
      for (int t = from; t < to; t++) {
        int r0 = (t / groups) * MC;
        int p0 = (t % groups) * perGroup;
        tile(a, aOff, k, packed, n, bias, c, cOff, r0, Math.min(m, r0 + MC), p0, Math.min(panels, p0 + perGroup));
      }
    };
    if (parallel) Parallel.forRange(rowTiles * groups, tiles); else tiles.run(0, rowTiles * groups);
  }

  /** Rows {@code [r0, r1)} of C times panels {@code [p0, p1)}: K blocks, then panels, then row blocks. */
  private static void tile(float[] a, int aOff, int k, float[] packed, int n, float[] bias, float[] c, int cOff,
      int r0, int r1, int p0, int p1) {
    // A partial last panel goes to a scratch tile NR wide, copied out once K is done.
    int lastPanel = (n - 1) / NR;
    int edgeCols = n - lastPanel * NR;
    float[] scratch = p1 - 1 == lastPanel && edgeCols < NR ? new float[(r1 - r0) * NR] : null;
    for (int k0 = 0; k0 < k; k0 += KC) {
      int k1 = Math.min(k, k0 + KC);
      boolean first = k0 == 0;
      for (int p = p0; p < p1; p++) {
        int n0 = p * NR;
        int bi = p * k * NR;
        boolean full = n0 + NR <= n;
        float[] dst = full ? c : scratch;
        int ldc = full ? n : NR;
        int dst0 = full ? cOff + r0 * n + n0 : 0;
        float[] panelBias = full ? bias : null;
        int r = r0;
        for (; r + MR <= r1; r += MR) {
          block8(a, aOff + r * k, k, k0, k1, packed, bi, dst, dst0 + (r - r0) * ldc, ldc, panelBias, n0, first);
        }
        for (; r < r1; r++) {
          block1(a, aOff + r * k, k0, k1, packed, bi, dst, dst0 + (r - r0) * ldc, panelBias, n0, first);
        }
      }
    }
    if (scratch != null) {
      int n0 = lastPanel * NR;
      for (int r = r0; r < r1; r++) {
        for (int j = 0; j < edgeCols; j++) {
          c[cOff + r * n + n0 + j] = scratch[(r - r0) * NR + j] + (bias == null ? 0f : bias[n0 + j]);
        }
      }
    }
  }

  /**
   * The register block: 8 rows × 2 vectors of C, in 16 accumulators, for k in {@code [k0, k1)}.
   * Starts from the bias (or zero) on the first K block, else from C; stores to C.
   */
  private static void block8(float[] a, int ai, int lda, int k0, int k1, float[] b, int bi, float[] c, int ci, int ldc,
      float[] bias, int biasOff, boolean first) {
    int c1 = ci + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc, c6 = c5 + ldc, c7 = c6 + ldc;
    FloatVector acc00, acc01, acc10, acc11, acc20, acc21, acc30, acc31;
    FloatVector acc40, acc41, acc50, acc51, acc60, acc61, acc70, acc71;
    if (first) {
      FloatVector init0 = bias == null ? FloatVector.zero(S) : FloatVector.fromArray(S, bias, biasOff);
      FloatVector init1 = bias == null ? FloatVector.zero(S) : FloatVector.fromArray(S, bias, biasOff + L);
      acc00 = init0; acc01 = init1; acc10 = init0; acc11 = init1; acc20 = init0; acc21 = init1; acc30 = init0; acc31 = init1;
      acc40 = init0; acc41 = init1; acc50 = init0; acc51 = init1; acc60 = init0; acc61 = init1; acc70 = init0; acc71 = init1;
    } else {
      acc00 = FloatVector.fromArray(S, c, ci); acc01 = FloatVector.fromArray(S, c, ci + L);
      acc10 = FloatVector.fromArray(S, c, c1); acc11 = FloatVector.fromArray(S, c, c1 + L);
      acc20 = FloatVector.fromArray(S, c, c2); acc21 = FloatVector.fromArray(S, c, c2 + L);
      acc30 = FloatVector.fromArray(S, c, c3); acc31 = FloatVector.fromArray(S, c, c3 + L);
      acc40 = FloatVector.fromArray(S, c, c4); acc41 = FloatVector.fromArray(S, c, c4 + L);
      acc50 = FloatVector.fromArray(S, c, c5); acc51 = FloatVector.fromArray(S, c, c5 + L);
      acc60 = FloatVector.fromArray(S, c, c6); acc61 = FloatVector.fromArray(S, c, c6 + L);
      acc70 = FloatVector.fromArray(S, c, c7); acc71 = FloatVector.fromArray(S, c, c7 + L);
    }
    int a0 = ai, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda, a6 = a5 + lda, a7 = a6 + lda;
    for (int p = k0; p < k1; p++) {
      int bp = bi + p * NR;
      FloatVector b0 = FloatVector.fromArray(S, b, bp);
      FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
      FloatVector x = FloatVector.broadcast(S, a[a0 + p]);
      acc00 = x.fma(b0, acc00); acc01 = x.fma(b1, acc01);
      x = FloatVector.broadcast(S, a[a1 + p]);
      acc10 = x.fma(b0, acc10); acc11 = x.fma(b1, acc11);
      x = FloatVector.broadcast(S, a[a2 + p]);
      acc20 = x.fma(b0, acc20); acc21 = x.fma(b1, acc21);
      x = FloatVector.broadcast(S, a[a3 + p]);
      acc30 = x.fma(b0, acc30); acc31 = x.fma(b1, acc31);
      x = FloatVector.broadcast(S, a[a4 + p]);
      acc40 = x.fma(b0, acc40); acc41 = x.fma(b1, acc41);
      x = FloatVector.broadcast(S, a[a5 + p]);
      acc50 = x.fma(b0, acc50); acc51 = x.fma(b1, acc51);
      x = FloatVector.broadcast(S, a[a6 + p]);
      acc60 = x.fma(b0, acc60); acc61 = x.fma(b1, acc61);
      x = FloatVector.broadcast(S, a[a7 + p]);
      acc70 = x.fma(b0, acc70); acc71 = x.fma(b1, acc71);
    }
    acc00.intoArray(c, ci); acc01.intoArray(c, ci + L);
    acc10.intoArray(c, c1); acc11.intoArray(c, c1 + L);
    acc20.intoArray(c, c2); acc21.intoArray(c, c2 + L);
    acc30.intoArray(c, c3); acc31.intoArray(c, c3 + L);
    acc40.intoArray(c, c4); acc41.intoArray(c, c4 + L);
    acc50.intoArray(c, c5); acc51.intoArray(c, c5 + L);
    acc60.intoArray(c, c6); acc61.intoArray(c, c6 + L);
    acc70.intoArray(c, c7); acc71.intoArray(c, c7 + L);
  }

  /** One row × 2 vectors of C: the rows left over below a multiple of {@link #MR}. */
  private static void block1(float[] a, int ai, int k0, int k1, float[] b, int bi, float[] c, int ci,
      float[] bias, int biasOff, boolean first) {
    FloatVector acc0, acc1;
    if (first) {
      acc0 = bias == null ? FloatVector.zero(S) : FloatVector.fromArray(S, bias, biasOff);
      acc1 = bias == null ? FloatVector.zero(S) : FloatVector.fromArray(S, bias, biasOff + L);
    } else {
      acc0 = FloatVector.fromArray(S, c, ci);
      acc1 = FloatVector.fromArray(S, c, ci + L);
    }
    for (int p = k0; p < k1; p++) {
      int bp = bi + p * NR;
      FloatVector x = FloatVector.broadcast(S, a[ai + p]);
      acc0 = x.fma(FloatVector.fromArray(S, b, bp), acc0);
      acc1 = x.fma(FloatVector.fromArray(S, b, bp + L), acc1);
    }
    acc0.intoArray(c, ci);
    acc1.intoArray(c, ci + L);
  }
}
