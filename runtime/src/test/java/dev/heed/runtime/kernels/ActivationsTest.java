package dev.heed.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ActivationsTest {
  @Test void erfMatchesTabulatedValuesInEachRange() {
    // Abramowitz & Stegun / standard tables, one point in each of Cody's three ranges.
    assertEquals(0.0, Activations.erf(0.0));
    assertEquals(0.1124629160182849, Activations.erf(0.1), 1e-15);
    assertEquals(0.8427007929497149, Activations.erf(1.0), 1e-15);
    assertEquals(-0.9953222650189527, Activations.erf(-2.0), 1e-15);
    assertEquals(0.9999999999984626, Activations.erf(5.0), 1e-15);
    assertEquals(1.0, Activations.erf(30.0));
    assertTrue(Double.isNaN(Activations.erf(Double.NaN)));
  }

  @Test void geluIsXTimesNormalCdf() {
    assertEquals(0.8413447460685429f, Activations.gelu(1f), 1e-7f);          // Φ(1)
    assertEquals(-2 * 0.022750131948179195f, Activations.gelu(-2f), 1e-7f);  // -2·Φ(-2)
    assertEquals(0f, Activations.gelu(0f));
    assertEquals(10f, Activations.gelu(10f));
  }

  @Test void geluTanhIsCloseToGeluAndMatchesItsFormula() {
    for (float x = -5; x <= 5; x += 0.25f) {
      assertEquals(Activations.gelu(x), Activations.geluTanh(x), 1e-3f, "x=" + x);
    }
    double inner = Math.sqrt(2 / Math.PI) * (1 + 0.044715);
    assertEquals((float) (0.5 * (1 + Math.tanh(inner))), Activations.geluTanh(1f));
  }

  /** The bulk GELU (vector erf approximation here) stays within 1e-6·max(1, |x|) of the exact one, odd lengths too. */
  @Test void bulkGeluMatchesTheExactOne() {
    int n = 100_003;
    float[] x = new float[n + 2];
    java.util.SplittableRandom r = new java.util.SplittableRandom(5);
    for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble() * 16 - 8);
    x[0] = 0f;
    x[1] = -0f;
    x[2] = 30f;
    x[3] = -30f;
    float[] out = new float[n + 2];
    out[n] = 42f;
    Activations.gelu(x, out, n);
    for (int i = 0; i < n; i++) {
      double want = Activations.gelu(x[i]);
      assertEquals(want, out[i], 1e-6 * Math.max(1, Math.abs(x[i])), "gelu(" + x[i] + ")");
    }
    assertEquals(42f, out[n], "past n untouched");
    VectorActivations.gelu(x, out, 5, 7);
    assertEquals(Activations.gelu(x[6]), out[6], 1e-6 * Math.max(1, Math.abs(x[6])), "a sub-range");
  }

  @Test void sigmoidIsSymmetricAndSaturates() {
    assertEquals(0.5f, Activations.sigmoid(0f));
    assertEquals(1f, Activations.sigmoid(3f) + Activations.sigmoid(-3f), 1e-7f);
    assertEquals(1f, Activations.sigmoid(100f));
    assertEquals(0f, Activations.sigmoid(-200f));
  }
}
