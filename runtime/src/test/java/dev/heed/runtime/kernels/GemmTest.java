package dev.heed.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class GemmTest {
  private static float[] random(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
    return a;
  }

  private static void assertClose(double expected, float actual, String where) {
    assertEquals(expected, actual, 1e-4 * Math.max(1, Math.abs(expected)), where);
  }

  @ParameterizedTest
  @CsvSource({"1, 1, 1", "7, 13, 5", "65, 130, 33", "3, 300, 700", "200, 64, 1", "1, 600, 1030", "4, 0, 3"})
  void matmulMatchesNaiveLoop(int m, int k, int n) {
    int aOff = 3;
    int bOff = 5;
    int cOff = 2;
    float[] a = random(aOff + m * k, 1);
    float[] b = random(bOff + k * n, 2);
    float[] c = random(cOff + m * n + 4, 3); // garbage that must be overwritten, plus a tail
    float[] tail = java.util.Arrays.copyOfRange(c, cOff + m * n, c.length);
    Gemm.matmul(a, aOff, b, bOff, c, cOff, m, k, n);
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int p = 0; p < k; p++) s += (double) a[aOff + i * k + p] * b[bOff + p * n + j];
        assertClose(s, c[cOff + i * n + j], "c[" + i + "," + j + "]");
      }
    }
    for (int t = 0; t < tail.length; t++) assertEquals(tail[t], c[cOff + m * n + t], "past the end untouched");
    assertEquals(c[0], random(cOff + m * n + 4, 3)[0], "before the offset untouched");
  }

  @ParameterizedTest
  @CsvSource({"1, 1, 1", "7, 13, 5", "65, 130, 33", "1, 700, 300", "9, 3000, 17", "130, 31, 257"})
  void linearMatchesNaiveLoop(int rows, int in, int out) {
    float[] x = random(rows * in, 4);
    float[] w = random(out * in, 5);
    for (boolean withBias : new boolean[] {false, true}) {
      float[] bias = withBias ? random(out, 6) : null;
      float[] y = random(rows * out, 7);
      Gemm.linear(x, w, bias, y, rows, in, out);
      for (int r = 0; r < rows; r++) {
        for (int o = 0; o < out; o++) {
          double s = withBias ? bias[o] : 0;
          for (int i = 0; i < in; i++) s += (double) x[r * in + i] * w[o * in + i];
          assertClose(s, y[r * out + o], "y[" + r + "," + o + "] bias=" + withBias);
        }
      }
    }
  }

  @ParameterizedTest
  // 14 and 13 rows: on AVX2 the last two row blocks are 4 + 4 and 4 + 3 rows (VectorGemm.rowStart), here over two K blocks.
  @CsvSource({"1, 1, 1", "8, 16, 32", "9, 257, 33", "17, 300, 95", "64, 513, 64", "130, 31, 257", "3, 0, 5",
      "14, 600, 40", "13, 600, 33",
      "400, 64, 700", // m < n but enough row blocks to split by rows (VectorGemm.ROW_BLOCKS_BY_ROWS)
      // At most VectorGemm.DEEP_ROWS rows, with 512-bit vectors: K unsplit in sub-slices of KA
      // (512 + 488), two slabs of B that reuse the kept A, two-row edge tiles (block1) ...
      "130, 1000, 700",
      // ... and K deeper than K_DEEP, in two blocks of 1600 (sub-slices 512 × 3 + 64).
      "20, 3200, 90",
      // A wide product (VectorGemm.wide): with 512-bit vectors two K blocks of 500 and slabs of
      // 256 columns (the last 88 wide, with an edge panel), two-row edge tiles at the bottom.
      "530, 1000, 600"})
  void packedLinearMatchesNaiveLoop(int rows, int in, int out) {
    float[] x = random(rows * in, 8);
    float[] w = random(out * in, 9);
    float[] bias = random(out, 10);
    PackedLinear packed = PackedLinear.of(w, out, in);
    assertEquals(out, packed.out());
    assertEquals(in, packed.in());
    float[] y = random(rows * out + 3, 11);
    float[] tail = java.util.Arrays.copyOfRange(y, rows * out, y.length);
    Gemm.linear(x, packed, bias, y, rows);
    for (int r = 0; r < rows; r++) {
      for (int o = 0; o < out; o++) {
        double s = bias[o];
        for (int i = 0; i < in; i++) s += (double) x[r * in + i] * w[o * in + i];
        assertClose(s, y[r * out + o], "y[" + r + "," + o + "]");
      }
    }
    for (int t = 0; t < tail.length; t++) assertEquals(tail[t], y[rows * out + t], "past the end untouched");
  }

  /** Both kernel families directly, whichever one Gemm picked in this JVM. */
  @ParameterizedTest
  @CsvSource({"1, 5, 1", "8, 256, 32", "15, 600, 47", "70, 257, 100", "33, 1, 65"})
  void scalarAndVectorKernelsAgree(int m, int k, int n) {
    float[] a = random(m * k, 12);
    float[] b = random(k * n, 13);
    float[] scalar = new float[m * n];
    ScalarGemm.matmul(a, 0, b, 0, scalar, 0, m, k, n);
    float[] vector = new float[m * n];
    VectorGemm.gemm(a, 0, m, k, VectorGemm.packRows(b, 0, k, n), n, null, vector, 0);
    for (int i = 0; i < m * n; i++) assertClose(scalar[i], vector[i], "c[" + i / n + "," + i % n + "]");
  }

  /**
   * Products split into parts of columns, or wide enough for several slabs of B, keep their
   * packed A per thread for the call (VectorGemm.part): back-to-back calls of the same shape with
   * different A must not reuse an earlier call's packing.
   */
  @ParameterizedTest(name = "out={0}")
  @ValueSource(ints = {700, 1600})
  void consecutiveProductsDoNotReuseEachOthersPackedA(int out) {
    int rows = 20, in = 300;
    PackedLinear packed = PackedLinear.of(random(out * in, 20), out, in);
    for (long seed = 21; seed < 24; seed++) {
      float[] x = random(rows * in, seed);
      float[] y = new float[rows * out];
      Gemm.linear(x, packed, null, y, rows);
      float[] w = random(out * in, 20);
      for (int r = 0; r < rows; r++) {
        for (int o = 0; o < out; o++) {
          double s = 0;
          for (int i = 0; i < in; i++) s += (double) x[r * in + i] * w[o * in + i];
          assertClose(s, y[r * out + o], "call " + seed + " y[" + r + "," + o + "]");
        }
      }
    }
  }

  @Test void vectorKernelsAreOnInTests() {
    // surefire passes --add-modules jdk.incubator.vector (root pom): the fast path is what the tests check.
    assertEquals(true, Simd.enabled(), Simd.describe());
  }

  @Test void rejectsArraysTooShort() {
    assertThrows(IllegalArgumentException.class,
        () -> Gemm.matmul(new float[5], 0, new float[6], 0, new float[4], 0, 2, 3, 2));
    assertThrows(IllegalArgumentException.class,
        () -> Gemm.linear(new float[6], new float[6], new float[1], new float[4], 2, 3, 2));
    assertThrows(IllegalArgumentException.class, () -> PackedLinear.of(new float[5], 2, 3));
    PackedLinear w = PackedLinear.of(new float[6], 2, 3);
    assertThrows(IllegalArgumentException.class, () -> Gemm.linear(new float[5], w, null, new float[4], 2));
    assertThrows(IllegalArgumentException.class, () -> Gemm.linear(new float[6], w, null, new float[3], 2));
  }
}
