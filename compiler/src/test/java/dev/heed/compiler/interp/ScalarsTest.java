package dev.heed.compiler.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.compiler.ir.Op;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ScalarsTest {
  /** erf at known points (reference values from glibc's erf, correct to about 1 ulp). */
  private static final double[][] ERF = {
    {0, 0.0},
    {1e-10, 1.1283791670955126e-10},
    {0.1, 0.1124629160182849},
    {0.3, 0.3286267594591274},
    {0.46875, 0.49261347321793797},
    {0.5, 0.5204998778130465},
    {0.75, 0.7111556336535151},
    {1, 0.8427007929497149},
    {1.5, 0.9661051464753108},
    {2, 0.9953222650189527},
    {2.5, 0.999593047982555},
    {3, 0.9999779095030014},
    {3.99, 0.9999999832607886},
    {4, 0.9999999845827421},
    {4.5, 0.9999999998033839},
    {5, 0.9999999999984626},
    {6, 1.0},
    {10, 1.0},
    {27, 1.0},
    {-0.3, -0.3286267594591274},
    {-1, -0.8427007929497149},
    {-2.5, -0.999593047982555},
    {-4.5, -0.9999999998033839},
  };

  @Test
  void erfMatchesKnownValues() {
    for (double[] p : ERF) {
      double got = Scalars.erf(p[0]);
      // The requirement is 1e-7; Cody's approximations do far better.
      assertEquals(p[1], got, 1e-15, "erf(" + p[0] + ")");
      assertEquals(p[1], got, 1e-7, "erf(" + p[0] + ")");
    }
    assertEquals(1.0, Scalars.erf(Double.POSITIVE_INFINITY));
    assertEquals(-1.0, Scalars.erf(Double.NEGATIVE_INFINITY));
    assertTrue(Double.isNaN(Scalars.erf(Double.NaN)));
  }

  /** erf against its Maclaurin series, summed term by term in double (accurate for |x| ≤ 2). */
  @Test
  void erfMatchesTaylorSeries() {
    for (double x = -2; x <= 2; x += 1.0 / 64) {
      // erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
      double term = x, sum = x;
      for (int n = 1; n < 80; n++) {
        term *= -x * x / n;
        sum += term / (2 * n + 1);
      }
      double series = 2 / Math.sqrt(Math.PI) * sum;
      assertEquals(series, Scalars.erf(x), 1e-14, "erf(" + x + ")");
    }
  }

  @Test
  void erfIsOddAndMonotone() {
    double prev = -1;
    for (double x = -6; x <= 6; x += 0.01) {
      double e = Scalars.erf(x);
      assertEquals(-e, Scalars.erf(-x), 0.0);
      assertTrue(e >= prev, "erf must not decrease at " + x);
      prev = e;
    }
  }

  @Test
  void geluAtKnownPoints() {
    assertEquals(0.8413447460685429, Scalars.gelu(1), 1e-15);
    assertEquals(0.0, Scalars.gelu(0), 0.0);
    assertEquals(-0.15865525393145707, Scalars.gelu(-1), 1e-15);
    assertEquals(1.9544997361036416, Scalars.gelu(2), 1e-15);
    assertEquals(-0.00404969409489031, Scalars.gelu(-3), 1e-15);
    assertEquals(0.8411919906082768, Scalars.geluTanh(1), 1e-15);
    assertEquals(-0.15880800939172324, Scalars.geluTanh(-1), 1e-15);
    assertEquals(1.954597694087775, Scalars.geluTanh(2), 1e-15);
    assertEquals((float) 0.8413447460685429, Scalars.unary(Op.GELU, 1f));
  }

  @Test
  void unaryOps() {
    assertEquals(-2f, Scalars.unary(Op.NEG, 2f));
    assertEquals(0f, Scalars.unary(Op.RELU, -2f));
    assertEquals(3f, Scalars.unary(Op.RELU, 3f));
    assertEquals(0.5f, Scalars.unary(Op.SIGMOID, 0f));
    assertEquals(0f, Scalars.unary(Op.SIGMOID, -1000f));
    assertEquals(1f, Scalars.unary(Op.SIGMOID, 1000f));
    assertEquals((float) Math.tanh(0.5), Scalars.unary(Op.TANH, 0.5f));
    assertEquals((float) Math.E, Scalars.unary(Op.EXP, 1f));
    assertEquals(3f, Scalars.unary(Op.SQRT, 9f));
    assertTrue(Float.isNaN(Scalars.unary(Op.SQRT, -1f)));
    assertTrue(Float.isNaN(Scalars.unary(Op.RELU, Float.NaN)));
  }

  /** The arithmetic ops computed via double and rounded once are exactly f32 arithmetic. */
  @Test
  void binaryOpsAreExactlyF32Arithmetic() {
    Random r = new Random(1);
    for (int i = 0; i < 100_000; i++) {
      float a = Float.intBitsToFloat(r.nextInt()), b = i % 2 == 0 ? Float.intBitsToFloat(r.nextInt()) : r.nextFloat();
      assertEquals(a + b, Scalars.binary(Op.ADD, a, b));
      assertEquals(a - b, Scalars.binary(Op.SUB, a, b));
      assertEquals(a * b, Scalars.binary(Op.MUL, a, b));
      assertEquals(a / b, Scalars.binary(Op.DIV, a, b));
    }
  }
}
