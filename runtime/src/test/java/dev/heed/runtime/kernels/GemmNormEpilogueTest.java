package dev.heed.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * {@code y = norm(act(x·wᵀ + bias) + residual)} ({@link Gemm#linearLayerNorm},
 * {@link Gemm#linearRmsNorm}): bit for bit the unfused sequence (the linear with its epilogue,
 * then {@link Norms} on the result), and close to a double-precision reference, for shapes
 * that take each way through the kernel: one part, parts of rows (the norm in the store), parts
 * of columns (the norm as a pass after), several column slabs and K blocks, no depth.
 */
class GemmNormEpilogueTest {
  @ParameterizedTest(name = "rows={0} in={1} out={2}")
  @CsvSource({
      "1, 7, 5",       // one row block, tiny: on the calling thread
      "3, 64, 17",     // edge tiles only
      "8, 384, 384",   // one row block of MiniLM's width: one part
      "16, 384, 384",  // two row blocks, m < n: split by rows because of the norm
      "9, 300, 1536",  // two row blocks, wide: split by rows
      "7, 200, 1536",  // one row block, wide: parts of columns, the norm runs after them
      "130, 384, 384", // MiniLM's attention output at 130 rows, with an edge row block
      "20, 600, 384",  // 20 rows: on AVX2 the last blocks are 4 + 4 rows, over two K blocks
      "33, 513, 1600", // several column slabs (n > 1536) and three K blocks (AVX2; AVX-512: one, as two sub-slices)
      "130, 1536, 384", // MiniLM's second feed-forward product at 130 rows: K = 1536 in one block (AVX-512), or six
      "520, 800, 560", // wide (VectorGemm.wide): K blocks of 400, slabs of 256 columns; the norm after the last slab
      "5, 0, 17"})     // no depth: norm(act(bias) + residual)
  void fusedNormIsTheLinearThenTheNorm(int rows, int in, int out) {
    float[] x = GemmEpilogueTest.random(rows * in, 11, 1 / Math.sqrt(Math.max(1, in)));
    float[] w = GemmEpilogueTest.random(out * in, 12, 1);
    float[] bias = GemmEpilogueTest.random(out, 13, 0.5);
    float[] res = GemmEpilogueTest.random(rows * out, 14, 1);
    float[] gamma = GemmEpilogueTest.random(out, 15, 1);
    float[] beta = GemmEpilogueTest.random(out, 16, 1);
    PackedLinear packed = PackedLinear.of(w, out, in);
    for (boolean layer : new boolean[] {true, false}) {
      for (Activation act : new Activation[] {Activation.NONE, Activation.GELU}) {
        for (float[] r : new float[][] {null, res}) {
          String what = (layer ? "layer" : "rms") + " " + act + (r == null ? "" : " + residual");
          float[] want = new float[rows * out];
          Gemm.linear(x, packed, bias, act, r, want, rows);
          if (layer) Norms.layerNorm(want, gamma, beta, want, rows, out, 1e-5f);
          else Norms.rmsNorm(want, gamma, want, rows, out, 1e-5f);

          float[] y = new float[rows * out + 3];
          Arrays.fill(y, Float.NaN);
          if (layer) Gemm.linearLayerNorm(x, packed, bias, act, r, gamma, beta, 1e-5f, y, rows);
          else Gemm.linearRmsNorm(x, packed, bias, act, r, gamma, 1e-5f, y, rows);
          for (int i = 0; i < want.length; i++) {
            assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(y[i]),
                () -> what + ": not the same bits as the unfused sequence");
          }
          for (int t = want.length; t < y.length; t++) assertTrue(Float.isNaN(y[t]), what + ": past the end untouched");
          assertCloseToReference(x, w, bias, act, r, gamma, layer ? beta : null, y, rows, in, out, what);
        }
      }
    }
  }

  /** The norm in double, from its definition, of the float product. */
  private static void assertCloseToReference(float[] x, float[] w, float[] bias, Activation act, float[] res,
      float[] gamma, float[] beta, float[] y, int rows, int in, int out, String what) {
    double[] row = new double[out];
    for (int r = 0; r < rows; r++) {
      for (int o = 0; o < out; o++) {
        double s = bias[o];
        for (int i = 0; i < in; i++) s += (double) x[r * in + i] * w[o * in + i];
        row[o] = GemmEpilogueTest.reference(act, s) + (res == null ? 0 : res[r * out + o]);
      }
      double mean = 0, sq = 0;
      for (double v : row) mean += v / out;
      for (double v : row) sq += (beta == null ? v * v : (v - mean) * (v - mean)) / out;
      double inv = 1 / Math.sqrt(sq + 1e-5);
      for (int o = 0; o < out; o++) {
        double want = beta == null ? row[o] * inv * gamma[o] : (row[o] - mean) * inv * gamma[o] + beta[o];
        assertEquals(want, y[r * out + o], 1e-4 * Math.max(1, Math.abs(want)), what + " y[" + r + "," + o + "]");
      }
    }
  }

  @Test void badNormArgumentsAreRejected() {
    PackedLinear w = PackedLinear.of(new float[12], 4, 3);
    float[] x = new float[6], y = new float[8], g = new float[4];
    assertThrows(IllegalArgumentException.class,
        () -> Gemm.linearLayerNorm(x, w, null, Activation.NONE, null, new float[3], g, 1e-5f, y, 2), "short gamma");
    assertThrows(NullPointerException.class,
        () -> Gemm.linearLayerNorm(x, w, null, Activation.NONE, null, g, null, 1e-5f, y, 2), "no beta");
    assertThrows(IllegalArgumentException.class,
        () -> Gemm.linearRmsNorm(x, w, null, Activation.NONE, null, y, 1e-5f, y, 2), "y is gamma");
  }
}
