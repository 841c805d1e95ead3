package dev.heed.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The Activation enum's scalar definitions and the bulk {@link Activations#apply}. */
class ActivationTest {
  @Test void scalarApplyIsTheGeneratedCodesExpression() {
    for (float x = -9f; x <= 9f; x += 0.0625f) {
      assertEquals(x, Activation.NONE.apply(x));
      assertEquals(Math.max(x, 0f), Activation.RELU.apply(x));
      assertEquals(Activations.gelu(x), Activation.GELU.apply(x));
      assertEquals(Activations.geluTanh(x), Activation.GELU_TANH.apply(x));
      assertEquals((float) StrictMath.tanh(x), Activation.TANH.apply(x));
      assertEquals(Activations.sigmoid(x), Activation.SIGMOID.apply(x));
    }
    assertEquals(0f, Activation.RELU.apply(-0f));
    assertEquals(Float.POSITIVE_INFINITY, 1f / Activation.RELU.apply(-0f), "max(-0, 0) is +0");
    for (Activation act : Activation.values()) assertTrue(Float.isNaN(act.apply(Float.NaN)), act + "(NaN)");
  }

  /** Bulk (vector here) against the scalar definition: odd lengths, in place, parallel chunks, NaN and infinities. */
  @Test void bulkApplyMatchesScalarApply() {
    int n = 70_001; // more than 4 parallel chunks, not a multiple of the vector length
    float[] x = new float[n + 1];
    SplittableRandom r = new SplittableRandom(11);
    for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble() * 20 - 10);
    x[0] = 0f;
    x[1] = -0f;
    x[2] = 30f;
    x[3] = -30f;
    x[4] = Float.NaN;
    x[5] = Float.POSITIVE_INFINITY;
    x[6] = Float.NEGATIVE_INFINITY;
    x[7] = 1e20f;
    x[8] = -1e20f;
    x[n - 1] = 3.5f; // in the scalar tail
    for (Activation act : Activation.values()) {
      float[] out = new float[n + 1];
      out[n] = 42f;
      Activations.apply(act, x, out, n);
      for (int i = 0; i < n; i++) {
        float want = act.apply(x[i]);
        if (Float.isNaN(want)) {
          assertTrue(Float.isNaN(out[i]), act + "(" + x[i] + ") is " + out[i]);
        } else if (Float.isInfinite(want) || Float.isInfinite(x[i])) {
          assertEquals(want, out[i], Float.isInfinite(want) ? 0f : 1e-6f, act + "(" + x[i] + ")");
        } else {
          assertEquals(want, out[i], 1e-6 * Math.max(1, Math.abs(x[i])), act + "(" + x[i] + ")");
        }
      }
      assertEquals(42f, out[n], act + ": past n untouched");
      float[] inPlace = x.clone();
      Activations.apply(act, inPlace, inPlace, n);
      // Bitwise: in place runs the same arithmetic, and every tier gives the same bits (KernelDeterminismTest).
      for (int i = 0; i < n; i++) assertEquals(out[i], inPlace[i], 0f, act + " in place at " + i);
    }
  }

  @Test void bulkApplyOnTheScalarPathIsExact() {
    // The vector class's ranges end in Activation.apply: a range shorter than a vector is exact.
    float[] x = {-1.5f, 0.25f, 2f};
    for (Activation act : Activation.values()) {
      float[] out = new float[3];
      VectorActivations.apply(act, x, 0, out, 0, 3, null, 0);
      for (int i = 0; i < 3; i++) assertEquals(act.apply(x[i]), out[i], act + "(" + x[i] + ")");
      VectorActivations.apply(act, x, 1, out, 0, 2, x, 0);
      for (int i = 0; i < 2; i++) assertEquals(act.apply(x[i + 1]) + x[i], out[i], act + " with residual");
    }
  }

  @Test void geluBulkIsApplyGelu() {
    float[] x = new float[1000];
    for (int i = 0; i < x.length; i++) x[i] = (i - 500) / 50f;
    float[] a = new float[x.length], b = new float[x.length];
    Activations.gelu(x, a, x.length);
    Activations.apply(Activation.GELU, x, b, x.length);
    assertEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b));
  }

  /**
   * Near zero the vector tanh keeps its relative accuracy (a series there, where 1 − e^(−2|x|)
   * would cancel), and GELU's tanh form stays within 1e-6 relative of the scalar one; odd in x
   * to the sign of zero.
   */
  @Test void tanhIsRelativelyAccurateNearZero() {
    int n = 4096;
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) ((i % 2 == 0 ? 1 : -1) * Math.pow(10, -7 + 6.5 * i / n)); // ±1e-7 … ±3
    for (Activation act : new Activation[] {Activation.TANH, Activation.GELU_TANH}) {
      float[] out = new float[n];
      Activations.apply(act, x, out, n);
      for (int i = 0; i < n; i++) {
        double want = act.apply(x[i]);
        assertEquals(want, out[i], 1e-6 * Math.abs(want), act + "(" + x[i] + ")");
      }
    }
    float[] zeros = {-0f, 0f, -0f, 0f, -0f, 0f, -0f, 0f, -0f, 0f, -0f, 0f, -0f, 0f, -0f, 0f, -0f};
    float[] out = new float[zeros.length];
    Activations.apply(Activation.TANH, zeros, out, zeros.length);
    for (int i = 0; i < zeros.length; i++) {
      assertEquals(Float.floatToRawIntBits(zeros[i]), Float.floatToRawIntBits(out[i]), "tanh(" + zeros[i] + ")");
    }
  }
}
