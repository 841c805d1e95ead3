package dev.heed.runtime.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernel behind {@link Attention#head}: the same key blocks and online softmax
 * as {@link Attention#scalarHead}, with k transposed once per head so that a vector of scores
 * is {@code d} broadcast-FMAs (no horizontal sums), exp computed a vector at a time, and each
 * vector of the output row kept in a register while the block's values stream past. Loaded
 * only when {@link Simd#enabled()}.
 */
final class VectorAttention {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  private static final int KEY_BLOCK = Attention.KEY_BLOCK;

  private VectorAttention() {}

  static void head(float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
      float[] mask, int maskOff, int maskRowStride, int maskColStride,
      float[] out, int outOff, int sq, int sk, int d, int dv, float scale) {
    // kt[p, j] = k[j, p]: a row of kt is one feature across all keys.
    float[] kt = new float[d * sk];
    for (int j = 0; j < sk; j++) {
      for (int p = 0; p < d; p++) kt[p * sk + j] = k[kOff + j * d + p];
    }
    float[] scores = new float[KEY_BLOCK];
    float[] acc = new float[dv];
    int dvVectors = dv - dv % L;
    for (int i = 0; i < sq; i++) {
      int qi = qOff + i * d;
      int maskRow = maskOff + i * maskRowStride;
      float max = Float.NEGATIVE_INFINITY;
      float sum = 0f;
      Arrays.fill(acc, 0f);
      for (int j0 = 0; j0 < sk; j0 += KEY_BLOCK) {
        int n = Math.min(KEY_BLOCK, sk - j0);
        int nVectors = n - n % L;
        // Scores: scale · q_i · kt[:, j0 + jj] + mask, a vector of keys at a time.
        for (int jj = 0; jj < nVectors; jj += L) {
          FloatVector s = FloatVector.zero(S);
          for (int p = 0; p < d; p++) {
            s = FloatVector.broadcast(S, q[qi + p]).fma(FloatVector.fromArray(S, kt, p * sk + j0 + jj), s);
          }
          s = s.mul(scale);
          if (mask != null) {
            s = maskColStride == 0 ? s.add(mask[maskRow]) : s.add(FloatVector.fromArray(S, mask, maskRow + j0 + jj));
          }
          s.intoArray(scores, jj);
        }
        for (int jj = nVectors; jj < n; jj++) {
          float s = 0f;
          for (int p = 0; p < d; p++) s += q[qi + p] * kt[p * sk + j0 + jj];
          s *= scale;
          if (mask != null) s += mask[maskRow + (j0 + jj) * maskColStride];
          scores[jj] = s;
        }
        float blockMax = Float.NEGATIVE_INFINITY;
        for (int jj = 0; jj < n; jj++) blockMax = Math.max(blockMax, scores[jj]);
        float newMax = Math.max(max, blockMax);
        float correction = (float) Math.exp(max - newMax);
        // Probabilities (unnormalised): e^(s - max), summed.
        float blockSum = 0f;
        for (int jj = 0; jj < nVectors; jj += L) {
          FloatVector e = FloatVector.fromArray(S, scores, jj).sub(newMax).lanewise(VectorOperators.EXP);
          e.intoArray(scores, jj);
          blockSum += e.reduceLanes(VectorOperators.ADD);
        }
        for (int jj = nVectors; jj < n; jj++) {
          scores[jj] = (float) Math.exp(scores[jj] - newMax);
          blockSum += scores[jj];
        }
        sum = sum * correction + blockSum;
        // acc = acc · correction + Σ_jj e_jj · v[j0 + jj], one vector of the row at a time.
        for (int c = 0; c < dvVectors; c += L) {
          FloatVector a = FloatVector.fromArray(S, acc, c).mul(correction);
          for (int jj = 0; jj < n; jj++) {
            a = FloatVector.broadcast(S, scores[jj]).fma(FloatVector.fromArray(S, v, vOff + (j0 + jj) * dv + c), a);
          }
          a.intoArray(acc, c);
        }
        for (int c = dvVectors; c < dv; c++) {
          float a = acc[c] * correction;
          for (int jj = 0; jj < n; jj++) a += scores[jj] * v[vOff + (j0 + jj) * dv + c];
          acc[c] = a;
        }
        max = newMax;
      }
      float inv = sum == 0f ? 0f : 1f / sum; // no keys: zeros, as softmax·v over nothing
      int oi = outOff + i * dv;
      for (int c = 0; c < dv; c++) out[oi + c] = acc[c] * inv;
    }
  }
}
