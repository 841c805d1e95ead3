package dev.heed.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code y = act(x·wᵀ + bias) + residual} against a double-precision loop, for every
 * activation, with and without bias and residual, through the public API (packed and unpacked
 * weight) and through each kernel family directly.
 */
class GemmEpilogueTest {
  private static final int[] ROWS = {1, 3, 7, 17, 33, 100};
  private static final int[] OUTS = {1, 15, 16, 17, 48, 384};
  /** Depths cycled through the shapes: one K block, several, and not multiples of anything. */
  private static final int[] INS = {1, 7, 64, 129, 300, 513};

  /** Which implementation runs the product. */
  enum Path { PACKED, UNPACKED, VECTOR, SCALAR }

  static Stream<Arguments> shapes() {
    List<Arguments> shapes = new ArrayList<>();
    for (int i = 0; i < ROWS.length; i++) {
      for (int j = 0; j < OUTS.length; j++) shapes.add(Arguments.of(ROWS[i], INS[(i + j) % INS.length], OUTS[j]));
    }
    shapes.add(Arguments.of(5, 0, 17)); // no depth: y = act(bias) + residual
    shapes.add(Arguments.of(130, 384, 1152)); // a MiniLM shape, parallel over rows
    shapes.add(Arguments.of(16, 384, 1536)); // parallel over columns (m < n)
    return shapes.stream();
  }

  static float[] random(int n, long seed, double scale) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
    return a;
  }

  /** The activation in double, from its definition. */
  static double reference(Activation act, double v) {
    return switch (act) {
      case NONE -> v;
      case RELU -> Math.max(v, 0);
      case GELU -> 0.5 * v * (1 + Activations.erf(v / Math.sqrt(2)));
      case GELU_TANH -> 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
      case TANH -> Math.tanh(v);
      case SIGMOID -> 1 / (1 + Math.exp(-v));
    };
  }

  static void run(Path path, float[] x, float[] w, float[] bias, Activation act, float[] res, float[] y,
      int rows, int in, int out) {
    switch (path) {
      case PACKED -> Gemm.linear(x, PackedLinear.of(w, out, in), bias, act, res, y, rows);
      case UNPACKED -> Gemm.linear(x, w, bias, act, res, y, rows, in, out);
      case VECTOR -> VectorGemm.gemm(x, 0, rows, in, VectorGemm.packTransposed(w, out, in), out, bias, act, res, null, y, 0);
      case SCALAR -> ScalarGemm.linear(x, w, bias, act, res, y, rows, in, out);
    }
  }

  @ParameterizedTest(name = "rows={0} in={1} out={2}")
  @MethodSource("shapes")
  void everyActivationBiasAndResidualMatchesDoubleReference(int rows, int in, int out) {
    // Scale x so that pre-activations spread over [-4, 4]ish whatever the depth: every activation's curve is used.
    float[] x = random(rows * in, 1, 3 / Math.sqrt(Math.max(1, in) / 3.0));
    float[] w = random(out * in, 2, 1);
    float[] biasValues = random(out, 3, 1);
    float[] resValues = random(rows * out, 4, 1);
    double[] pre = new double[rows * out];
    double[] mag = new double[rows * out];
    for (int r = 0; r < rows; r++) {
      for (int o = 0; o < out; o++) {
        double s = 0, m = 0;
        for (int i = 0; i < in; i++) {
          double t = (double) x[r * in + i] * w[o * in + i];
          s += t;
          m += Math.abs(t);
        }
        pre[r * out + o] = s;
        mag[r * out + o] = m;
      }
    }
    for (Path path : Path.values()) {
      for (Activation act : Activation.values()) {
        for (boolean withBias : new boolean[] {false, true}) {
          for (boolean withRes : new boolean[] {false, true}) {
            float[] bias = withBias ? biasValues : null;
            float[] res = withRes ? resValues : null;
            float[] y = new float[rows * out + 5];
            Arrays.fill(y, Float.NaN); // garbage that must be overwritten, and a tail that must not be
            run(path, x, w, bias, act, res, y, rows, in, out);
            for (int r = 0; r < rows; r++) {
              for (int o = 0; o < out; o++) {
                int i = r * out + o;
                double v = pre[i] + (withBias ? bias[o] : 0);
                double want = reference(act, v) + (withRes ? res[i] : 0);
                // float accumulation error, then the activation's own (vector approximations: ~1e-6)
                double tol = 2e-6 * (1 + mag[i]) + 2e-6 * Math.max(1, Math.abs(want));
                String where = path + " " + act + " bias=" + withBias + " res=" + withRes + " y[" + r + "," + o + "]";
                assertEquals(want, y[i], tol, where);
              }
            }
            for (int t = rows * out; t < y.length; t++) assertTrue(Float.isNaN(y[t]), path + ": past the end untouched");
          }
        }
      }
    }
  }

  /** The fused epilogue equals the unfused sequence linear, activation, add, to within the activation's approximation. */
  @Test void fusedEqualsLinearThenActivationThenAdd() {
    int rows = 37, in = 200, out = 70;
    float[] x = random(rows * in, 5, 0.3);
    float[] w = random(out * in, 6, 1);
    float[] bias = random(out, 7, 1);
    float[] res = random(rows * out, 8, 1);
    PackedLinear packed = PackedLinear.of(w, out, in);
    for (Activation act : Activation.values()) {
      float[] fused = new float[rows * out];
      Gemm.linear(x, packed, bias, act, res, fused, rows);
      float[] plain = new float[rows * out];
      Gemm.linear(x, packed, bias, plain, rows);
      Activations.apply(act, plain, plain, rows * out);
      for (int i = 0; i < plain.length; i++) {
        assertEquals(plain[i] + res[i], fused[i], 2e-6 * Math.max(1, Math.abs(fused[i])), act + " at " + i);
      }
      if (act == Activation.NONE || act == Activation.RELU) {
        for (int i = 0; i < plain.length; i++) assertEquals(plain[i] + res[i], fused[i], 0f, act + " exactly, at " + i);
      }
    }
  }

  @Test void oldLinearIsTheEpilogueWithNone() {
    int rows = 9, in = 33, out = 40;
    float[] x = random(rows * in, 9, 1);
    float[] w = random(out * in, 10, 1);
    float[] bias = random(out, 11, 1);
    PackedLinear packed = PackedLinear.of(w, out, in);
    float[] a = new float[rows * out];
    float[] b = new float[rows * out];
    Gemm.linear(x, packed, bias, a, rows);
    Gemm.linear(x, packed, bias, Activation.NONE, null, b, rows);
    assertEquals(Arrays.toString(a), Arrays.toString(b));
    Gemm.linear(x, w, bias, a, rows, in, out);
    Gemm.linear(x, w, bias, Activation.NONE, null, b, rows, in, out);
    assertEquals(Arrays.toString(a), Arrays.toString(b));
  }

  @Test void rejectsAliasingMissingActivationAndShortResidual() {
    PackedLinear w = PackedLinear.of(new float[4], 2, 2);
    float[] x = new float[4];
    float[] res = new float[4];
    assertThrows(IllegalArgumentException.class, () -> Gemm.linear(x, w, null, Activation.NONE, null, x, 2));
    assertThrows(IllegalArgumentException.class, () -> Gemm.linear(x, w, null, Activation.GELU, res, res, 2));
    assertThrows(IllegalArgumentException.class,
        () -> Gemm.linear(x, new float[4], null, Activation.NONE, null, x, 2, 2, 2));
    assertThrows(IllegalArgumentException.class,
        () -> Gemm.linear(x, new float[4], null, Activation.NONE, res, res, 2, 2, 2));
    assertThrows(IllegalArgumentException.class, () -> Gemm.linear(x, w, null, Activation.NONE, new float[3], new float[4], 2));
    assertThrows(NullPointerException.class, () -> Gemm.linear(x, w, null, null, null, new float[4], 2));
    // x, bias and residual may share an array: they are only read.
    float[] shared = {1, 2, 3, 4};
    float[] y = new float[4];
    Gemm.linear(shared, PackedLinear.of(new float[] {1, 0, 0, 1}, 2, 2), shared, Activation.NONE, shared, y, 2);
    assertEquals("[3.0, 6.0, 7.0, 10.0]", Arrays.toString(y));
  }
}
