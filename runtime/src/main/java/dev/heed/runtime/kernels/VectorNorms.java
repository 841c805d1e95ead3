package dev.heed.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels behind {@link Norms}. Loaded only when {@link Simd#enabled()}.
 *
 * <p>Per row, along d: pass 1 sums the row (for the add variants it first writes
 * {@code a + b} to out, which later passes read); pass 2 (layer norm) sums
 * {@code (x − mean)²}, or pass 1 sums {@code x²} (RMS norm); the last pass writes
 * {@code (x − mean)·inv·gamma + beta} or {@code x·inv·gamma}. Sums run in two vector
 * accumulators (independent add chains), reduced across lanes at the end; the elements past the
 * last whole vector are added in scalar. Every FloatVector stays inside one method (see
 * {@link VectorGemm} on the boxing cliff).
 */
final class VectorNorms {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  private VectorNorms() {}

  /** Rows {@code [r0, r1)} of {@code layerNorm(a (+ b))}; b null for none. */
  static void layerNorm(float[] a, float[] b, float[] gamma, float[] beta, float[] out, int r0, int r1, int d,
      float eps) {
    int whole = S.loopBound(d);
    for (int r = r0; r < r1; r++) {
      int base = r * d;
      // Pass 1: the sum of the row (of a + b, written to out).
      float[] x = b == null ? a : out;
      FloatVector s0 = FloatVector.zero(S);
      FloatVector s1 = FloatVector.zero(S);
      int i = 0;
      if (b == null) {
        for (; i + L < whole; i += 2 * L) {
          s0 = s0.add(FloatVector.fromArray(S, a, base + i));
          s1 = s1.add(FloatVector.fromArray(S, a, base + i + L));
        }
        for (; i < whole; i += L) s0 = s0.add(FloatVector.fromArray(S, a, base + i));
      } else {
        for (; i < whole; i += L) {
          FloatVector v = FloatVector.fromArray(S, a, base + i).add(FloatVector.fromArray(S, b, base + i));
          v.intoArray(out, base + i);
          s0 = s0.add(v);
        }
        for (int j = whole; j < d; j++) out[base + j] = a[base + j] + b[base + j];
      }
      FloatVector t = s0.add(s1);
      for (int step = L / 2; step > 0; step >>= 1) t = t.add(t.slice(step)); // lane 0: the pairwise sum
      float sum = t.lane(0);
      for (int j = whole; j < d; j++) sum += x[base + j];
      float mean = sum / d;
      // Pass 2: Σ (x − mean)².
      FloatVector m = FloatVector.broadcast(S, mean);
      FloatVector q0 = FloatVector.zero(S);
      FloatVector q1 = FloatVector.zero(S);
      i = 0;
      for (; i + L < whole; i += 2 * L) {
        FloatVector d0 = FloatVector.fromArray(S, x, base + i).sub(m);
        FloatVector d1 = FloatVector.fromArray(S, x, base + i + L).sub(m);
        q0 = d0.fma(d0, q0);
        q1 = d1.fma(d1, q1);
      }
      for (; i < whole; i += L) {
        FloatVector d0 = FloatVector.fromArray(S, x, base + i).sub(m);
        q0 = d0.fma(d0, q0);
      }
      t = q0.add(q1);
      for (int step = L / 2; step > 0; step >>= 1) t = t.add(t.slice(step));
      float var = t.lane(0);
      for (int j = whole; j < d; j++) {
        float dev = x[base + j] - mean;
        var += dev * dev;
      }
      float inv = 1f / (float) Math.sqrt(var / d + eps);
      // Pass 3: normalise, scale, shift.
      for (i = 0; i < whole; i += L) {
        FloatVector.fromArray(S, x, base + i).sub(m).mul(inv)
            .fma(FloatVector.fromArray(S, gamma, i), FloatVector.fromArray(S, beta, i))
            .intoArray(out, base + i);
      }
      for (int j = whole; j < d; j++) out[base + j] = (x[base + j] - mean) * inv * gamma[j] + beta[j];
    }
  }

  /** Rows {@code [r0, r1)} of {@code rmsNorm(a (+ b))}; b null for none. */
  static void rmsNorm(float[] a, float[] b, float[] gamma, float[] out, int r0, int r1, int d, float eps) {
    int whole = S.loopBound(d);
    for (int r = r0; r < r1; r++) {
      int base = r * d;
      float[] x = b == null ? a : out;
      FloatVector q0 = FloatVector.zero(S);
      FloatVector q1 = FloatVector.zero(S);
      int i = 0;
      if (b == null) {
        for (; i + L < whole; i += 2 * L) {
          FloatVector v0 = FloatVector.fromArray(S, a, base + i);
          FloatVector v1 = FloatVector.fromArray(S, a, base + i + L);
          q0 = v0.fma(v0, q0);
          q1 = v1.fma(v1, q1);
        }
        for (; i < whole; i += L) {
          FloatVector v0 = FloatVector.fromArray(S, a, base + i);
          q0 = v0.fma(v0, q0);
        }
      } else {
        for (; i < whole; i += L) {
          FloatVector v = FloatVector.fromArray(S, a, base + i).add(FloatVector.fromArray(S, b, base + i));
          v.intoArray(out, base + i);
          q0 = v.fma(v, q0);
        }
        for (int j = whole; j < d; j++) out[base + j] = a[base + j] + b[base + j];
      }
      FloatVector t = q0.add(q1);
      for (int step = L / 2; step > 0; step >>= 1) t = t.add(t.slice(step)); // lane 0: the pairwise sum
      float sq = t.lane(0);
      for (int j = whole; j < d; j++) sq += x[base + j] * x[base + j];
      float inv = 1f / (float) Math.sqrt(sq / d + eps);
      for (i = 0; i < whole; i += L) {
        FloatVector.fromArray(S, x, base + i).mul(inv).mul(FloatVector.fromArray(S, gamma, i)).intoArray(out, base + i);
      }
      for (int j = whole; j < d; j++) out[base + j] = x[base + j] * inv * gamma[j];
    }
  }
}
