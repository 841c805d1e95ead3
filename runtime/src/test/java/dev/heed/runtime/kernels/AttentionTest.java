package dev.heed.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link Attention#head}, one (batch, head) in row-major layout: see also {@link AttentionStridedTest}. */
class AttentionTest {
  private static float[] random(int n, long seed, double range) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) ((r.nextDouble() * 2 - 1) * range);
    return a;
  }

  /** softmax(q·kᵀ·scale + mask)·v in double, materialising the scores: the definition. */
  private static double[] naive(float[] q, float[] k, float[] v, float[] mask, int rowStride, int colStride,
      int sq, int sk, int d, int dv, float scale) {
    double[] out = new double[sq * dv];
    for (int i = 0; i < sq; i++) {
      double[] s = new double[sk];
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < sk; j++) {
        double dot = 0;
        for (int p = 0; p < d; p++) dot += (double) q[i * d + p] * k[j * d + p];
        s[j] = dot * scale + (mask == null ? 0 : mask[1 + i * rowStride + j * colStride]);
        max = Math.max(max, s[j]);
      }
      double sum = 0;
      for (int j = 0; j < sk; j++) sum += s[j] = Math.exp(s[j] - max);
      for (int j = 0; j < sk; j++) {
        for (int c = 0; c < dv; c++) out[i * dv + c] += s[j] / sum * v[j * dv + c];
      }
    }
    return out;
  }

  /** {@link Attention#head} on the vector or the scalar kernel. */
  private static void head(boolean vector, float[] q, float[] k, float[] v, float[] mask, int maskOff, int rowStride,
      int colStride, float[] out, int outOff, int sq, int sk, int d, int dv, float scale) {
    Attention.attention(vector, q, 0, 0, 0, d, k, 0, 0, 0, d, v, 0, 0, 0, dv, mask, maskOff, 0, 0, rowStride, colStride,
        out, outOff, 0, 0, dv, 1, 1, sq, sk, d, dv, scale);
  }

  /** mask: "none", "full" ([sq, sk]), "keys" ([1, sk], rows broadcast) or "scalar" ([1, 1]). */
  @ParameterizedTest
  @CsvSource({
      "1, 1, 1, 1, none", "3, 5, 4, 2, full", "7, 64, 16, 16, keys", "5, 65, 32, 32, full", "9, 150, 33, 17, keys",
      "16, 200, 64, 64, scalar", "2, 130, 8, 40, full", "8, 128, 32, 32, keys", "17, 600, 32, 48, full"})
  void scalarAndVectorKernelsMatchTheDefinition(int sq, int sk, int d, int dv, String maskKind) {
    float[] q = random(sq * d, 1, 2), k = random(sk * d, 2, 2), v = random(sk * dv, 3, 1);
    int rowStride = maskKind.equals("full") ? sk : 0;
    int colStride = maskKind.equals("full") || maskKind.equals("keys") ? 1 : 0;
    float[] mask = maskKind.equals("none") ? null : random(1 + sq * sk, 4, 3);
    if (colStride == 1) mask[1 + sk - 1] = -1e9f; // one masked key (in row 0), the way padding masks do it
    float scale = (float) (1 / Math.sqrt(d));
    double[] want = naive(q, k, v, mask, rowStride, colStride, sq, sk, d, dv, scale);
    for (boolean vector : new boolean[] {false, true}) {
      float[] out = new float[2 + sq * dv];
      head(vector, q, k, v, mask, 1, rowStride, colStride, out, 2, sq, sk, d, dv, scale);
      assertEquals(0f, out[0], "before the offset untouched");
      for (int i = 0; i < sq * dv; i++) {
        assertEquals(want[i], out[2 + i], 2e-5, (vector ? "vector" : "scalar") + " out[" + i / dv + "," + i % dv + "]");
      }
    }
    // The public entry point, whichever kernel this JVM runs.
    float[] out = new float[2 + sq * dv];
    Attention.head(q, 0, k, 0, v, 0, mask, 1, rowStride, colStride, out, 2, sq, sk, d, dv, scale);
    for (int i = 0; i < sq * dv; i++) assertEquals(want[i], out[2 + i], 2e-5, "head out[" + i / dv + "," + i % dv + "]");
  }

  /**
   * A row whose leading keys, whole key blocks of them (64 for the scalar kernel, 256 for the
   * vector one), are masked with -inf and whose later keys are not gets the softmax over the
   * later keys: the running maximum is -inf through the masked blocks, and -inf - (-inf) must
   * not turn their weights into NaN. Rows padded on the left have such masks.
   */
  @Test void leadingKeysMaskedWithMinusInfinityGetWeightZero() {
    int d = 3, dv = 5, sq = 4;
    for (int sk : new int[] {65, 129, 257, 600}) {
      for (int masked : new int[] {64, 128, 256, 512}) {
        if (masked >= sk) continue;
        float[] q = random(sq * d, 7, 2), k = random(sk * d, 8, 2), v = random(sk * dv, 9, 1);
        float[] mask = new float[sk];
        java.util.Arrays.fill(mask, 0, masked, Float.NEGATIVE_INFINITY);
        // The reference: the same attention over the unmasked keys alone.
        float[] kTail = java.util.Arrays.copyOfRange(k, masked * d, sk * d);
        float[] vTail = java.util.Arrays.copyOfRange(v, masked * dv, sk * dv);
        double[] want = naive(q, kTail, vTail, null, 0, 0, sq, sk - masked, d, dv, 0.5f);
        for (boolean vector : Simd.enabled() ? new boolean[] {true, false} : new boolean[] {false}) {
          float[] out = new float[sq * dv];
          head(vector, q, k, v, mask, 0, 0, 1, out, 0, sq, sk, d, dv, 0.5f);
          for (int i = 0; i < sq * dv; i++) {
            assertEquals(want[i], out[i], 2e-5, (vector ? "vector" : "scalar") + ", " + masked + " of " + sk
                + " keys masked: out[" + i / dv + "," + i % dv + "]");
          }
        }
      }
    }
  }

  /**
   * Both kernels take a weight under 2^-64 of its row's largest as 0 (so that weights · v never
   * works on subnormal floats), and keep one just above: one query, two keys scoring 0 and
   * {@code -gap}, values 0 and 1, so the output is the second key's weight, e^-gap / (1 + e^-gap).
   */
  @Test void weightsBelowTwoToTheMinus64AreZero() {
    for (boolean vector : Simd.enabled() ? new boolean[] {true, false} : new boolean[] {false}) {
      for (float gap : new float[] {40f, 50f}) {
        float[] q = {1f}, k = {0f, -gap}, v = {0f, 1f}, out = new float[1];
        Attention.attention(vector, q, 0, 0, 0, 1, k, 0, 0, 0, 1, v, 0, 0, 0, 1, null, 0, 0, 0, 0, 0,
            out, 0, 0, 0, 1, 1, 1, 1, 2, 1, 1, 1f);
        double exact = Math.exp(-gap) / (1 + Math.exp(-gap));
        String what = (vector ? "vector" : "scalar") + ": weight e^-" + gap;
        if (gap > 64 * Math.log(2)) assertEquals(0f, out[0], what + " counts as 0");
        else assertEquals(exact, out[0], 1e-5 * exact, what + " kept");
      }
    }
  }
}
