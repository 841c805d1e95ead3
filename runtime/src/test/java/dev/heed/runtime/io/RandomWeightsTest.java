package dev.heed.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RandomWeightsTest {
  private static final int[] SHAPE = {64, 100};

  @Test void sameSeedAndNameGiveSameValuesInAnyOrder() {
    RandomWeights a = new RandomWeights(7);
    float[] q1 = a.get("layer.q", SHAPE, "uniform");
    float[] k1 = a.get("layer.k", SHAPE, "normal");
    RandomWeights b = new RandomWeights(7);
    float[] k2 = b.get("layer.k", SHAPE, "normal");
    float[] q2 = b.get("layer.q", SHAPE, "uniform");
    assertArrayEquals(q1, q2);
    assertArrayEquals(k1, k2);
    assertArrayEquals(q1, a.get("layer.q", SHAPE, "uniform"), "repeatable on the same instance");
  }

  @Test void differentSeedsOrNamesGiveDifferentValues() {
    float[] base = new RandomWeights(7).get("w", SHAPE, "uniform");
    assertFalse(Arrays.equals(base, new RandomWeights(8).get("w", SHAPE, "uniform")));
    assertFalse(Arrays.equals(base, new RandomWeights(7).get("v", SHAPE, "uniform")));
    // Names whose Java hashCodes collide still differ ("Aa" and "BB" both hash to 2112).
    assertEquals("Aa".hashCode(), "BB".hashCode());
    assertFalse(Arrays.equals(new RandomWeights(1).get("Aa", SHAPE, "uniform"),
        new RandomWeights(1).get("BB", SHAPE, "uniform")));
  }

  @Test void zerosAndOnesAreExact() {
    RandomWeights w = new RandomWeights(3);
    for (float v : w.get("z", new int[] {5, 7}, "zeros")) assertEquals(0f, v);
    for (float v : w.get("o", new int[] {11}, "ones")) assertEquals(1f, v);
    assertEquals(35, w.get("z", new int[] {5, 7}, "zeros").length);
  }

  @Test void uniformStaysWithinFanInBoundAndSpreadsOut() {
    int fanIn = 256;
    float[] v = new RandomWeights(11).get("w", new int[] {128, fanIn}, "uniform");
    double bound = 1 / Math.sqrt(fanIn);
    double min = Double.MAX_VALUE;
    double max = -Double.MAX_VALUE;
    double sum = 0;
    for (float x : v) {
      assertTrue(Math.abs(x) <= bound, "value " + x + " outside ±" + bound);
      min = Math.min(min, x);
      max = Math.max(max, x);
      sum += x;
    }
    assertTrue(min < -0.9 * bound && max > 0.9 * bound, "covers the range: " + min + " .. " + max);
    assertEquals(0, sum / v.length, bound * 0.05, "mean near 0");
  }

  @Test void uniformOfRankOneUsesTenthBound() {
    float[] v = new RandomWeights(5).get("b", new int[] {10_000}, "uniform");
    double max = 0;
    for (float x : v) max = Math.max(max, Math.abs(x));
    assertTrue(max <= 0.1 && max > 0.09, "max |x| = " + max);
  }

  @Test void normalHasMeanZeroAndStdTwoHundredths() {
    float[] v = new RandomWeights(9).get("emb", new int[] {200, 501}, "normal");
    double sum = 0;
    double sq = 0;
    for (float x : v) {
      sum += x;
      sq += (double) x * x;
    }
    double mean = sum / v.length;
    double std = Math.sqrt(sq / v.length - mean * mean);
    assertEquals(0, mean, 0.001);
    assertEquals(0.02, std, 0.0005);
  }

  @Test void rejectsUnknownInitAndBadShapes() {
    RandomWeights w = new RandomWeights(0);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> w.get("w", new int[] {2}, "xavier"));
    assertTrue(e.getMessage().contains("unknown init 'xavier'"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> w.get("w", new int[] {2}, null));
    assertThrows(IllegalArgumentException.class, () -> w.get("w", new int[] {-2}, "zeros"));
  }

  @Test void describesItself() {
    assertEquals("random(seed=42)", new RandomWeights(42).origin());
    assertTrue(new RandomWeights(42).names().isEmpty());
  }
}
