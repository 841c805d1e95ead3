package dev.heed.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A kernel gives the same bits on every call, however far the JIT has got: the first calls
 * run interpreted or in C1, later ones in C2, and Vector API operations whose result depends
 * on the code that runs them (reduceLanes(ADD)'s order of additions, lanewise EXP or TANH,
 * which C2 computes with its own vector math library) would make a model's output change
 * after a few hundred calls. Each kernel runs enough times for C2 to compile it, and every
 * result is compared with the first, bit for bit.
 */
class KernelDeterminismTest {
  private static final int CALLS = 4000;

  private static float[] random(int n, long seed) {
    Random r = new Random(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
    return a;
  }

  private static void assertStable(String what, Supplier<float[]> kernel) {
    float[] first = kernel.get().clone();
    for (int i = 1; i < CALLS; i++) {
      float[] now = kernel.get();
      int call = i;
      assertArrayEquals(first, now, 0f, () -> what + ": call " + call + " differs from the first");
    }
  }

  @Test
  void attention() {
    int b = 1, h = 2, s = 40, d = 32;
    float[] qkv = random(b * s * 3 * h * d, 1), mask = new float[b * s], out = new float[b * s * h * d];
    mask[s - 1] = -1e9f;
    int row = 3 * h * d;
    assertStable("attention", () -> {
      Attention.attention(qkv, 0, s * row, d, row, qkv, h * d, s * row, d, row, qkv, 2 * h * d, s * row, d, row,
          mask, 0, s, 0, 0, 1, out, 0, s * h * d, d, h * d, b, h, s, s, d, d, 0.17677669f);
      return out;
    });
  }

  @ParameterizedTest
  @EnumSource(Activation.class)
  void linearWithEpilogue(Activation act) {
    int rows = 9, in = 48, outs = 40;
    PackedLinear w = PackedLinear.of(random(outs * in, 2), outs, in);
    float[] x = random(rows * in, 3), bias = random(outs, 4), res = random(rows * outs, 5), y = new float[rows * outs];
    assertStable("linear + " + act, () -> {
      Gemm.linear(x, w, bias, act, res, y, rows);
      return y;
    });
  }

  @ParameterizedTest
  @EnumSource(Activation.class)
  void activations(Activation act) {
    float[] x = random(1000, 6), y = new float[1000];
    assertStable("activation " + act, () -> {
      Activations.apply(act, x, y, x.length);
      return y;
    });
  }

  @Test
  void norms() {
    int rows = 6, d = 100;
    float[] a = random(rows * d, 7), b = random(rows * d, 8), g = random(d, 9), be = random(d, 10);
    float[] out = new float[rows * d];
    assertStable("layer norm", () -> {
      Norms.addLayerNorm(a, b, g, be, out, rows, d, 1e-12f);
      return out;
    });
    assertStable("rms norm", () -> {
      Norms.rmsNorm(a, g, out, rows, d, 1e-6f);
      return out;
    });
  }
}
