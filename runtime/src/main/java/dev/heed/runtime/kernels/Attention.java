package dev.heed.runtime.kernels;

import java.util.Arrays;

/**
 * Fused scaled dot-product attention for one (batch, head) matrix:
 * {@code out[sq, dv] = softmax(q[sq, d] · k[sk, d]ᵀ · scale + mask) · v[sk, dv]}, softmax over
 * keys. Each query row walks the keys in blocks of {@value #KEY_BLOCK} with an online softmax
 * (running maximum and sum, the partial output rescaled when the maximum grows), so no
 * {@code [sq, sk]} scores matrix is ever held: only one block of scores per row. Runs the
 * Vector API kernel when {@link Simd#enabled()}.
 *
 * <p>The mask is additive and broadcast: element (i, j) is
 * {@code mask[maskOff + i·maskRowStride + j·maskColStride]}, strides 0 along broadcast axes.
 */
public final class Attention {
  /** Keys per block of the online softmax. */
  static final int KEY_BLOCK = 64;

  private Attention() {}

  /**
   * Heads per parallel chunk so that a chunk is worth handing to another thread: see
   * {@link dev.heed.runtime.Parallel#forRange(int, int, dev.heed.runtime.Parallel.RangeBody)}.
   */
  public static int grain(int sq, int sk, int d, int dv) {
    long work = (long) sq * sk * (d + dv);
    return (int) Math.max(1, Gemm.PARALLEL_WORK / Math.max(1, work));
  }

  /** One (batch, head): see the class comment. {@code mask} may be null. */
  public static void head(float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
      float[] mask, int maskOff, int maskRowStride, int maskColStride,
      float[] out, int outOff, int sq, int sk, int d, int dv, float scale) {
    if (Simd.enabled()) {
      VectorAttention.head(q, qOff, k, kOff, v, vOff, mask, maskOff, maskRowStride, maskColStride, out, outOff, sq, sk, d, dv,
          scale);
    } else {
      scalarHead(q, qOff, k, kOff, v, vOff, mask, maskOff, maskRowStride, maskColStride, out, outOff, sq, sk, d, dv, scale);
    }
  }

  /** The plain-Java kernel: the same blocks and online softmax, one scalar at a time. */
  static void scalarHead(float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
      float[] mask, int maskOff, int maskRowStride, int maskColStride,
      float[] out, int outOff, int sq, int sk, int d, int dv, float scale) {
    float[] scores = new float[Math.min(KEY_BLOCK, Math.max(1, sk))];
    float[] acc = new float[dv];
    for (int i = 0; i < sq; i++) {
      int qi = qOff + i * d;
      float max = Float.NEGATIVE_INFINITY;
      float sum = 0f;
      Arrays.fill(acc, 0f);
      for (int j0 = 0; j0 < sk; j0 += KEY_BLOCK) {
        int n = Math.min(KEY_BLOCK, sk - j0);
        // Scores of this block, and their maximum.
        float blockMax = Float.NEGATIVE_INFINITY;
        for (int jj = 0; jj < n; jj++) {
          int kj = kOff + (j0 + jj) * d;
          float s = 0f;
          for (int p = 0; p < d; p++) s += q[qi + p] * k[kj + p];
          s *= scale;
          if (mask != null) s += mask[maskOff + i * maskRowStride + (j0 + jj) * maskColStride];
          scores[jj] = s;
          blockMax = Math.max(blockMax, s);
        }
        // Rescale what came before to the new maximum, then add this block.
        float newMax = Math.max(max, blockMax);
        float correction = (float) Math.exp(max - newMax);
        sum *= correction;
        for (int c = 0; c < dv; c++) acc[c] *= correction;
        for (int jj = 0; jj < n; jj++) {
          float e = (float) Math.exp(scores[jj] - newMax);
          sum += e;
          int vj = vOff + (j0 + jj) * dv;
          for (int c = 0; c < dv; c++) acc[c] += e * v[vj + c];
        }
        max = newMax;
      }
      float inv = sum == 0f ? 0f : 1f / sum; // no keys: zeros, as softmax·v over nothing
      int oi = outOff + i * dv;
      for (int c = 0; c < dv; c++) out[oi + c] = acc[c] * inv;
    }
  }
}
