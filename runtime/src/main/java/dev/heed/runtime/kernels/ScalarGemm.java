package dev.heed.runtime.kernels;

import dev.heed.runtime.Parallel;

/**
 * The scalar kernels behind {@link Gemm}: plain Java loops, blocked for cache, for JVMs
 * started without {@code jdk.incubator.vector} (see {@link Simd}). Arguments are checked by
 * {@link Gemm}.
 */
final class ScalarGemm {
  /** Columns of B and C handled per block, so a block of B rows stays in cache. */
  private static final int N_BLOCK = 512;
  /** Rows of B per block. */
  private static final int K_BLOCK = 256;
  /** Rows of x that share one pass over a row of w in {@link #linear}. */
  private static final int ROW_GROUP = 4;
  /** Target size in floats of the block of w reused across rows in {@link #linear}. */
  private static final int W_BLOCK_FLOATS = 1 << 15;

  private ScalarGemm() {}

  /**
   * {@code C[m, n] = A[m, k] · B[k, n]}, all row-major, starting at the given offsets.
   * C is overwritten.
   */
  static void matmul(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int k, int n) {
    if (m == 0 || n == 0) return;
    long work = (long) m * k * n;
    if (work < Gemm.PARALLEL_WORK || Parallel.threads() == 1) {
      matmulBlock(a, aOff, b, bOff, c, cOff, k, n, 0, m, 0, n);
    } else if (m >= 2 * Parallel.threads()) {
      int minRows = (int) Math.max(1, Gemm.PARALLEL_WORK / ((long) k * n + 1));
      Parallel.forRange(m, minRows, (from, to) -> matmulBlock(a, aOff, b, bOff, c, cOff, k, n, from, to, 0, n));
    } else {
      int colBlocks = (n + 63) / 64;
      Parallel.forRange(colBlocks, (from, to) ->
          matmulBlock(a, aOff, b, bOff, c, cOff, k, n, 0, m, from * 64, Math.min(n, to * 64)));
    }
  }

  /** Rows {@code [r0, r1)} and columns {@code [c0, c1)} of C. */
  private static void matmulBlock(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
      int k, int n, int r0, int r1, int c0, int c1) {
    for (int i = r0; i < r1; i++) {
      int ci = cOff + i * n;
      for (int j = c0; j < c1; j++) c[ci + j] = 0f;
    }
    for (int j0 = c0; j0 < c1; j0 += N_BLOCK) {
      int j1 = Math.min(c1, j0 + N_BLOCK);
      for (int p0 = 0; p0 < k; p0 += K_BLOCK) {
        int p1 = Math.min(k, p0 + K_BLOCK);
        for (int i = r0; i < r1; i++) {
          int ai = aOff + i * k;
          int ci = cOff + i * n;
          int p = p0;
          // Four rows of B per pass: one load and store of C for four multiply-adds.
          for (; p + 4 <= p1; p += 4) {
            float a0 = a[ai + p];
            float a1 = a[ai + p + 1];
            float a2 = a[ai + p + 2];
            float a3 = a[ai + p + 3];
            int b0 = bOff + p * n;
            int b1 = b0 + n;
            int b2 = b1 + n;
            int b3 = b2 + n;
            for (int j = j0; j < j1; j++) {
              c[ci + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
            }
          }
          for (; p < p1; p++) {
            float aip = a[ai + p];
            int bp = bOff + p * n;
            for (int j = j0; j < j1; j++) c[ci + j] += aip * b[bp + j];
          }
        }
      }
    }
  }

  /**
   * {@code y[rows, out] = act(x[rows, in] · wᵀ + bias) + residual}, with {@code w} row-major
   * {@code [out, in]} (the layout of PyTorch's {@code nn.Linear}), {@code bias} of length
   * {@code out} or null, {@code residual} laid out as y or null. y is overwritten. The epilogue
   * is applied to each output as it is stored, with {@link Activation#apply(float)}.
   */
  static void linear(float[] x, float[] w, float[] bias, Activation act, float[] residual, float[] y,
      int rows, int in, int out) {
    if (rows == 0 || out == 0) return;
    long work = (long) rows * in * out;
    if (work < Gemm.PARALLEL_WORK || Parallel.threads() == 1) {
      linearBlock(x, w, bias, act, residual, y, in, out, 0, rows, 0, out);
    } else if (rows >= 2 * Parallel.threads()) {
      int minRows = (int) Math.max(1, Gemm.PARALLEL_WORK / ((long) in * out + 1));
      Parallel.forRange(rows, minRows,
          (from, to) -> linearBlock(x, w, bias, act, residual, y, in, out, from, to, 0, out));
    } else {
      int minOuts = (int) Math.max(1, Gemm.PARALLEL_WORK / ((long) rows * in + 1));
      Parallel.forRange(out, minOuts,
          (from, to) -> linearBlock(x, w, bias, act, residual, y, in, out, 0, rows, from, to));
    }
  }

  /** Rows {@code [r0, r1)} and outputs {@code [o0, o1)} of y. */
  private static void linearBlock(float[] x, float[] w, float[] bias, Activation act, float[] residual, float[] y,
      int in, int out, int r0, int r1, int o0, int o1) {
    int oBlock = Math.max(1, W_BLOCK_FLOATS / Math.max(1, in));
    for (int ob = o0; ob < o1; ob += oBlock) {
      int obEnd = Math.min(o1, ob + oBlock);
      int r = r0;
      for (; r + ROW_GROUP <= r1; r += ROW_GROUP) {
        int x0 = r * in;
        int x1 = x0 + in;
        int x2 = x1 + in;
        int x3 = x2 + in;
        for (int o = ob; o < obEnd; o++) {
          int wo = o * in;
          float s0 = 0f;
          float s1 = 0f;
          float s2 = 0f;
          float s3 = 0f;
          for (int i = 0; i < in; i++) {
            float wv = w[wo + i];
            s0 += x[x0 + i] * wv;
            s1 += x[x1 + i] * wv;
            s2 += x[x2 + i] * wv;
            s3 += x[x3 + i] * wv;
          }
          float bo = bias == null ? 0f : bias[o];
          store(y, r * out + o, s0 + bo, act, residual);
          store(y, (r + 1) * out + o, s1 + bo, act, residual);
          store(y, (r + 2) * out + o, s2 + bo, act, residual);
          store(y, (r + 3) * out + o, s3 + bo, act, residual);
        }
      }
      for (; r < r1; r++) {
        int xr = r * in;
        for (int o = ob; o < obEnd; o++) {
          int wo = o * in;
          float s0 = 0f;
          float s1 = 0f;
          int i = 0;
          for (; i + 1 < in; i += 2) {
            s0 += x[xr + i] * w[wo + i];
            s1 += x[xr + i + 1] * w[wo + i + 1];
          }
          if (i < in) s0 += x[xr + i] * w[wo + i];
          store(y, r * out + o, s0 + s1 + (bias == null ? 0f : bias[o]), act, residual);
        }
      }
    }
  }

  /** The epilogue of one output: {@code y[i] = act(v) + residual[i]}. */
  private static void store(float[] y, int i, float v, Activation act, float[] residual) {
    float a = act == Activation.NONE ? v : act.apply(v);
    y[i] = residual == null ? a : a + residual[i];
  }
}
