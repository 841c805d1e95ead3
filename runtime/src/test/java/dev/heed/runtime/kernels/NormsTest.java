package dev.heed.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Layer and RMS norm (and their fused residual adds) against the IR's definition in double. */
class NormsTest {
  private static final float EPS = 1e-5f;

  /** Which implementation runs. */
  enum Path { PUBLIC, VECTOR, SCALAR }

  private static float[] random(int n, long seed, double offset, double scale) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) (offset + (r.nextDouble() * 2 - 1) * scale);
    return a;
  }

  /** layer_norm of x (+ b) in double: (x − mean) / √(var + eps) · gamma + beta, var biased. */
  static double[] layerNormReference(float[] x, float[] b, float[] gamma, float[] beta, int rows, int d, float eps) {
    double[] out = new double[rows * d];
    for (int r = 0; r < rows; r++) {
      double[] v = new double[d];
      for (int i = 0; i < d; i++) v[i] = b == null ? x[r * d + i] : (double) (x[r * d + i] + b[r * d + i]);
      double mean = 0;
      for (double e : v) mean += e;
      mean /= d;
      double var = 0;
      for (double e : v) var += (e - mean) * (e - mean);
      var /= d;
      for (int i = 0; i < d; i++) out[r * d + i] = (v[i] - mean) / Math.sqrt(var + eps) * gamma[i] + beta[i];
    }
    return out;
  }

  /** rms_norm of x (+ b) in double: x / √(mean(x²) + eps) · gamma. */
  static double[] rmsNormReference(float[] x, float[] b, float[] gamma, int rows, int d, float eps) {
    double[] out = new double[rows * d];
    for (int r = 0; r < rows; r++) {
      double sq = 0;
      double[] v = new double[d];
      for (int i = 0; i < d; i++) {
        v[i] = b == null ? x[r * d + i] : (double) (x[r * d + i] + b[r * d + i]);
        sq += v[i] * v[i];
      }
      for (int i = 0; i < d; i++) out[r * d + i] = v[i] / Math.sqrt(sq / d + eps) * gamma[i];
    }
    return out;
  }

  static void layerNorm(Path path, float[] a, float[] b, float[] g, float[] beta, float[] out, int rows, int d) {
    switch (path) {
      case PUBLIC -> {
        if (b == null) Norms.layerNorm(a, g, beta, out, rows, d, EPS); else Norms.addLayerNorm(a, b, g, beta, out, rows, d, EPS);
      }
      case VECTOR -> VectorNorms.layerNorm(a, b, g, beta, out, 0, rows, d, EPS);
      case SCALAR -> Norms.layerNormRows(a, b, g, beta, out, 0, rows, d, EPS);
    }
  }

  static void rmsNorm(Path path, float[] a, float[] b, float[] g, float[] out, int rows, int d) {
    switch (path) {
      case PUBLIC -> {
        if (b == null) Norms.rmsNorm(a, g, out, rows, d, EPS); else Norms.addRmsNorm(a, b, g, out, rows, d, EPS);
      }
      case VECTOR -> VectorNorms.rmsNorm(a, b, g, out, 0, rows, d, EPS);
      case SCALAR -> Norms.rmsNormRows(a, b, g, out, 0, rows, d, EPS);
    }
  }

  private static void assertMatches(double[] want, float[] got, int n, String what) {
    for (int i = 0; i < n; i++) {
      assertEquals(want[i], got[i], 2e-5 * Math.max(1, Math.abs(want[i])), what + " at " + i);
    }
  }

  @ParameterizedTest(name = "rows={0} d={1}")
  @CsvSource({"0, 16", "1, 1", "1, 3", "5, 15", "5, 16", "5, 17", "3, 33", "7, 100", "200, 384", "2, 1000", "90, 768"})
  void normsMatchDoubleReference(int rows, int d) {
    // An offset of 3 makes the mean large against the spread: one-pass variance would lose it.
    float[] a = random(rows * d, 1, 3, 1);
    float[] b = random(rows * d, 2, -1, 0.5);
    float[] g = random(d, 3, 1, 0.5);
    float[] beta = random(d, 4, 0, 0.5);
    double[] ln = layerNormReference(a, null, g, beta, rows, d, EPS);
    double[] addLn = layerNormReference(a, b, g, beta, rows, d, EPS);
    double[] rms = rmsNormReference(a, null, g, rows, d, EPS);
    double[] addRms = rmsNormReference(a, b, g, rows, d, EPS);
    for (Path path : Path.values()) {
      float[] out = new float[rows * d + 3];
      Arrays.fill(out, Float.NaN);
      layerNorm(path, a, null, g, beta, out, rows, d);
      assertMatches(ln, out, rows * d, path + " layerNorm");
      layerNorm(path, a, b, g, beta, out, rows, d);
      assertMatches(addLn, out, rows * d, path + " addLayerNorm");
      rmsNorm(path, a, null, g, out, rows, d);
      assertMatches(rms, out, rows * d, path + " rmsNorm");
      rmsNorm(path, a, b, g, out, rows, d);
      assertMatches(addRms, out, rows * d, path + " addRmsNorm");
      for (int i = rows * d; i < out.length; i++) assertEquals(Float.NaN, out[i], path + ": past the end untouched");
    }
  }

  /** In place (out = x, out = a, out = b) gives the same floats as a separate out. */
  @ParameterizedTest(name = "rows={0} d={1}")
  @CsvSource({"3, 17", "200, 384"})
  void inPlaceIsSafe(int rows, int d) {
    float[] a = random(rows * d, 5, 0.5, 1);
    float[] b = random(rows * d, 6, 0, 1);
    float[] g = random(d, 7, 1, 0.5);
    float[] beta = random(d, 8, 0, 0.5);
    for (Path path : Path.values()) {
      float[] separate = new float[rows * d];
      layerNorm(path, a, null, g, beta, separate, rows, d);
      float[] x = a.clone();
      layerNorm(path, x, null, g, beta, x, rows, d);
      assertEquals(Arrays.toString(separate), Arrays.toString(x), path + " layerNorm in place");

      layerNorm(path, a, b, g, beta, separate, rows, d);
      float[] a1 = a.clone();
      layerNorm(path, a1, b, g, beta, a1, rows, d);
      assertEquals(Arrays.toString(separate), Arrays.toString(a1), path + " addLayerNorm into a");
      float[] b1 = b.clone();
      layerNorm(path, a, b1, g, beta, b1, rows, d);
      assertEquals(Arrays.toString(separate), Arrays.toString(b1), path + " addLayerNorm into b");

      rmsNorm(path, a, null, g, separate, rows, d);
      x = a.clone();
      rmsNorm(path, x, null, g, x, rows, d);
      assertEquals(Arrays.toString(separate), Arrays.toString(x), path + " rmsNorm in place");
      rmsNorm(path, a, b, g, separate, rows, d);
      a1 = a.clone();
      rmsNorm(path, a1, b, g, a1, rows, d);
      assertEquals(Arrays.toString(separate), Arrays.toString(a1), path + " addRmsNorm into a");
    }
  }

  /** A constant row has variance 0: layer norm gives beta (up to the mean's rounding), RMS norm x/√(x² + eps)·gamma. */
  @Test void constantRows() {
    int rows = 4, d = 37;
    float[] x = new float[rows * d];
    for (int r = 0; r < rows; r++) Arrays.fill(x, r * d, (r + 1) * d, new float[] {0f, 1f, -2.5f, 0.1f}[r]);
    float[] g = random(d, 9, 1, 0.5);
    float[] beta = random(d, 10, 0, 0.5);
    double[] ln = layerNormReference(x, null, g, beta, rows, d, EPS);
    double[] rms = rmsNormReference(x, null, g, rows, d, EPS);
    for (Path path : Path.values()) {
      float[] out = new float[rows * d];
      layerNorm(path, x, null, g, beta, out, rows, d);
      assertMatches(ln, out, rows * d, path + " layerNorm");
      for (int i = 0; i < d; i++) assertEquals(beta[i], out[i], 1e-6, path + ": zero row gives beta exactly-ish");
      rmsNorm(path, x, null, g, out, rows, d);
      assertMatches(rms, out, rows * d, path + " rmsNorm");
      for (int i = 0; i < d; i++) assertEquals(0f, out[i], path + ": rms of a zero row is zero");
    }
  }

  @Test void rejectsShortArraysAndGammaAsOut() {
    float[] x = new float[6], g = new float[3], beta = new float[3];
    assertThrows(IllegalArgumentException.class, () -> Norms.layerNorm(x, g, beta, new float[5], 2, 3, EPS));
    assertThrows(IllegalArgumentException.class, () -> Norms.layerNorm(new float[5], g, beta, new float[6], 2, 3, EPS));
    assertThrows(IllegalArgumentException.class, () -> Norms.layerNorm(x, new float[2], beta, new float[6], 2, 3, EPS));
    assertThrows(IllegalArgumentException.class, () -> Norms.addLayerNorm(x, new float[5], g, beta, new float[6], 2, 3, EPS));
    assertThrows(IllegalArgumentException.class, () -> Norms.rmsNorm(x, g, new float[6], 2, 4, EPS));
    assertThrows(IllegalArgumentException.class, () -> Norms.addRmsNorm(x, x, g, new float[6], -1, 3, EPS));
    float[] big = new float[6];
    assertThrows(IllegalArgumentException.class, () -> Norms.rmsNorm(x, big, big, 2, 3, EPS));
  }
}
