package dev.heed.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Attention#attention} through strides, on both kernels, against the definition in
 * double precision: classic {@code [b, h, s, d]} layout (with gaps between rows), packed rows
 * {@code [b, s, h·d]}, and q, k, v as column slices of one fused QKV (or, for cross
 * attention, q alone and fused KV) array; masks none, padding, causal, full with a fully
 * masked row and -inf entries, strided along keys, scalar.
 */
class AttentionStridedTest {
  /** Background of inputs (a read outside the operands poisons the output) and of the output (must stay). */
  private static final float UNREAD = Float.NaN;
  private static final float UNWRITTEN = 12345f;

  enum Layout { CLASSIC, PACKED, FUSED }

  enum MaskKind { NONE, PADDING, CAUSAL, FULL, KEY_STRIDED, SCALAR, LEFT_PADDING }

  record Case(int batch, int heads, int sq, int sk, int d, int dv, Layout layout, MaskKind mask) {
    @Override public String toString() {
      return batch + "x" + heads + " sq=" + sq + " sk=" + sk + " d=" + d + " dv=" + dv + " " + layout + " " + mask;
    }
  }

  /** One operand: where element (b, h, row, col) lives. */
  record Place(float[] a, int off, int sB, int sH, int sR, int sC) {
    int at(int b, int h, int row, int col) {
      return off + b * sB + h * sH + row * sR + col * sC;
    }
  }

  /** The operands of a case, laid out, and the mask values as the definition sees them. */
  record Problem(Case c, Place q, Place k, Place v, Place mask, Place out, float scale) {
    void run(boolean vector) {
      float[] m = mask == null ? null : mask.a();
      Attention.attention(vector, q.a(), q.off(), q.sB(), q.sH(), q.sR(), k.a(), k.off(), k.sB(), k.sH(), k.sR(),
          v.a(), v.off(), v.sB(), v.sH(), v.sR(), m, mask == null ? 0 : mask.off(), mask == null ? 0 : mask.sB(),
          mask == null ? 0 : mask.sH(), mask == null ? 0 : mask.sR(), mask == null ? 0 : mask.sC(),
          out.a(), out.off(), out.sB(), out.sH(), out.sR(), c.batch(), c.heads(), c.sq(), c.sk(), c.d(), c.dv(), scale);
    }
  }

  static Stream<Case> cases() {
    List<Case> cases = new ArrayList<>();
    int[] ds = {1, 5, 32, 64};
    int[] sks = {1, 3, 17, 64, 65, 130};
    int n = 0;
    for (int d : ds) {
      for (int sk : sks) {
        int[] sqs = {sk, 1, 7, 9, 16, 33, sk, 130};
        int[] dvs = {d, 3, 16, 40, d, 64, 33};
        cases.add(new Case(n % 2 == 0 ? 1 : 3, (n / 2) % 2 == 0 ? 12 : 1, sqs[n % sqs.length], sk, d,
            dvs[n % dvs.length], Layout.values()[n % 3], MaskKind.values()[(n / 3) % MaskKind.values().length]));
        n++;
      }
    }
    // MiniLM's shape (batch 3 instead of 8) with q, k, v slices of the fused QKV product.
    cases.add(new Case(3, 12, 128, 128, 32, 32, Layout.FUSED, MaskKind.PADDING));
    cases.add(new Case(2, 12, 128, 128, 32, 32, Layout.PACKED, MaskKind.NONE));
    // One head split into parallel query tiles, the last with rows below a multiple of 8.
    cases.add(new Case(1, 1, 130, 65, 32, 32, Layout.CLASSIC, MaskKind.CAUSAL));
    // Keys in several chunks of the online softmax.
    cases.add(new Case(1, 2, 9, 1100, 32, 32, Layout.PACKED, MaskKind.FULL));
    cases.add(new Case(1, 1, 20, 1100, 16, 40, Layout.CLASSIC, MaskKind.CAUSAL));
    cases.add(new Case(2, 1, 17, 1030, 8, 8, Layout.FUSED, MaskKind.KEY_STRIDED));
    // A whole block of query rows (transposed in registers) and a partial one, d below a multiple
    // of 16 (the rest a float at a time), keys in chunks ending below a multiple of 8, a mask
    // varying along rows (gathered; lanes past the last row read that row's), dv with a masked tail.
    cases.add(new Case(1, 2, 40, 1100, 33, 40, Layout.FUSED, MaskKind.CAUSAL));
    cases.add(new Case(2, 3, 64, 37, 48, 17, Layout.CLASSIC, MaskKind.FULL));
    // Left padding with -inf across whole key blocks (64 keys: scalar kernel) and chunks (256:
    // vector kernel): the running maximum stays -inf through them.
    cases.add(new Case(3, 2, 9, 600, 16, 16, Layout.PACKED, MaskKind.LEFT_PADDING));
    cases.add(new Case(2, 1, 40, 300, 33, 40, Layout.FUSED, MaskKind.LEFT_PADDING));
    // Decoding one token; no features.
    cases.add(new Case(2, 12, 1, 77, 64, 64, Layout.PACKED, MaskKind.PADDING));
    cases.add(new Case(1, 2, 5, 9, 0, 4, Layout.CLASSIC, MaskKind.FULL));
    return cases.stream();
  }

  @ParameterizedTest
  @MethodSource("cases")
  void vectorKernelMatchesTheDefinition(Case c) {
    assumeTrue(Simd.enabled(), "vector kernels not available in this JVM");
    check(c, true);
  }

  @ParameterizedTest
  @MethodSource("cases")
  void scalarKernelMatchesTheDefinition(Case c) {
    check(c, false);
  }

  private static void check(Case c, boolean vector) {
    Problem p = problem(c, 7);
    double[] want = naive(p);
    p.run(vector);
    assertOutput(p, want, (vector ? "vector " : "scalar ") + c);
  }

  @Test
  void noKeysGiveZeros() {
    Case c = new Case(2, 3, 5, 0, 8, 8, Layout.PACKED, MaskKind.NONE);
    for (boolean vector : new boolean[] {false, Simd.enabled()}) {
      Problem p = problem(c, 1);
      p.run(vector);
      assertOutput(p, new double[c.batch() * c.heads() * c.sq() * c.dv()], "no keys");
    }
  }

  @Test
  void publicEntryPointRunsWhicheverKernelThisJvmHas() {
    Problem p = problem(new Case(2, 4, 33, 70, 32, 32, Layout.FUSED, MaskKind.PADDING), 3);
    double[] want = naive(p);
    Place q = p.q(), k = p.k(), v = p.v(), m = p.mask(), o = p.out();
    Attention.attention(q.a(), q.off(), q.sB(), q.sH(), q.sR(), k.a(), k.off(), k.sB(), k.sH(), k.sR(),
        v.a(), v.off(), v.sB(), v.sH(), v.sR(), m.a(), m.off(), m.sB(), m.sH(), m.sR(), m.sC(),
        o.a(), o.off(), o.sB(), o.sH(), o.sR(), 2, 4, 33, 70, 32, 32, p.scale());
    assertOutput(p, want, "public");
  }

  @Test
  void badArgumentsNameTheOperand() {
    float[] small = new float[10], big = new float[1000];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Attention.attention(
        small, 0, 0, 0, 4, big, 0, 0, 0, 4, big, 0, 0, 0, 4, null, 0, 0, 0, 0, 0, big, 0, 0, 0, 4, 1, 1, 3, 3, 4, 4, 1f));
    assertTrue(e.getMessage().contains("q "), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Attention.attention(
        big, 0, 0, 0, 4, big, 0, 0, 0, 4, big, 0, 0, 0, 4, small, 5, 0, 0, 3, 1, big, 0, 0, 0, 4, 1, 1, 3, 3, 4, 4, 1f));
    assertTrue(e.getMessage().contains("mask "), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Attention.attention(
        big, 0, 0, 0, 4, big, 0, 0, 0, 4, big, 0, 0, 0, 4, null, 0, 0, 0, 0, 0, big, 998, 0, 0, 4, 1, 1, 3, 3, 4, 4, 1f));
    assertTrue(e.getMessage().contains("out "), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Attention.attention(
        big, 0, 0, 0, 4, big, 4, 0, 0, -4, big, 0, 0, 0, 4, null, 0, 0, 0, 0, 0, big, 0, 0, 0, 4, 1, 1, 3, 3, 4, 4, 1f));
    assertTrue(e.getMessage().contains("k "), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Attention.attention(
        big, 0, 0, 0, 4, big, 0, 0, 0, 4, null, 0, 0, 0, 4, null, 0, 0, 0, 0, 0, big, 0, 0, 0, 4, 1, 1, 3, 3, 4, 4, 1f));
    assertTrue(e.getMessage().contains("v is null"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Attention.attention(
        big, 0, 0, 0, 4, big, 0, 0, 0, 4, big, 0, 0, 0, 4, null, 0, 0, 0, 0, 0, big, 0, 0, 0, 4, 1, -1, 3, 3, 4, 4, 1f));
    assertTrue(e.getMessage().contains("negative"), e.getMessage());
    // Negative strides are fine when every index is inside: keys in reverse order.
    Attention.attention(big, 0, 0, 0, 4, big, 8, 0, 0, -4, big, 0, 0, 0, 4, null, 0, 0, 0, 0, 0, new float[12], 0, 0, 0,
        4, 1, 1, 3, 3, 4, 4, 1f);
  }

  /**
   * A call in steady state allocates a small constant (the parallel loop's lambda and the
   * call's argument record), nothing per head or per row: on the calling thread for a problem
   * small enough to run there, and summed over the caller and heed's pool threads for one that
   * runs in parallel.
   */
  @Test
  void steadyStateCallsAllocateOnlyAConstant() {
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    Problem small = problem(new Case(1, 2, 8, 32, 16, 16, Layout.PACKED, MaskKind.PADDING), 5);
    Problem medium = problem(new Case(2, 4, 64, 64, 32, 32, Layout.FUSED, MaskKind.PADDING), 6);
    Problem split = problem(new Case(1, 1, 128, 96, 32, 32, Layout.PACKED, MaskKind.CAUSAL), 8); // query tiles
    for (boolean vector : new boolean[] {false, Simd.enabled()}) {
      long perCall = 0;
      // Warm up until the kernels are compiled (interpreted and C1 code allocate vectors).
      for (int round = 0; round < 40; round++) {
        for (int i = 0; i < 500; i++) small.run(vector);
        long before = mx.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100; i++) small.run(vector);
        perCall = (mx.getCurrentThreadAllocatedBytes() - before) / 100;
        if (perCall <= 512) break;
      }
      assertTrue(perCall <= 512, (vector ? "vector" : "scalar") + " kernel on the caller: " + perCall + " bytes per call");

      for (Problem p : new Problem[] {medium, split}) {
        for (int round = 0; round < 40; round++) {
          for (int i = 0; i < 50; i++) p.run(vector);
          long[] threads = heedThreads();
          long before = Arrays.stream(mx.getThreadAllocatedBytes(threads)).sum();
          for (int i = 0; i < 20; i++) p.run(vector);
          perCall = (Arrays.stream(mx.getThreadAllocatedBytes(threads)).sum() - before) / 20;
          if (perCall <= 2048) break;
        }
        assertTrue(perCall <= 2048,
            (vector ? "vector" : "scalar") + " kernel in parallel, " + p.c() + ": " + perCall + " bytes per call");
      }
    }
  }

  /** This thread and heed's pool threads. */
  private static long[] heedThreads() {
    List<Long> ids = new ArrayList<>();
    ids.add(Thread.currentThread().threadId());
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("heed-worker-")) ids.add(t.threadId());
    }
    return ids.stream().mapToLong(Long::longValue).toArray();
  }

  // --- The problems and the definition.

  private static Problem problem(Case c, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int b = c.batch(), h = c.heads(), sq = c.sq(), sk = c.sk(), d = c.d(), dv = c.dv();
    Place q, k, v, out;
    switch (c.layout()) {
      case CLASSIC -> {
        // [b, h, s, d] with 3 floats of gap after each row and 5 before the first.
        q = new Place(new float[5 + b * h * sq * (d + 3)], 5, h * sq * (d + 3), sq * (d + 3), d + 3, 1);
        k = new Place(new float[5 + b * h * sk * (d + 3)], 5, h * sk * (d + 3), sk * (d + 3), d + 3, 1);
        v = new Place(new float[5 + b * h * sk * (dv + 3)], 5, h * sk * (dv + 3), sk * (dv + 3), dv + 3, 1);
        out = new Place(new float[5 + b * h * sq * (dv + 3)], 5, h * sq * (dv + 3), sq * (dv + 3), dv + 3, 1);
      }
      case PACKED -> {
        q = new Place(new float[b * sq * h * d], 0, sq * h * d, d, h * d, 1);
        k = new Place(new float[b * sk * h * d], 0, sk * h * d, d, h * d, 1);
        v = new Place(new float[b * sk * h * dv], 0, sk * h * dv, dv, h * dv, 1);
        out = new Place(new float[2 + b * sq * h * dv], 2, sq * h * dv, dv, h * dv, 1);
      }
      default -> {
        if (sq == sk) {
          // [b, s, H·d | H·d | H·dv]: one fused QKV product.
          int w = h * (2 * d + dv);
          float[] qkv = new float[b * sq * w];
          q = new Place(qkv, 0, sq * w, d, w, 1);
          k = new Place(qkv, h * d, sq * w, d, w, 1);
          v = new Place(qkv, 2 * h * d, sq * w, dv, w, 1);
        } else {
          // Cross attention: q on its own, k and v slices of one fused KV product [b, sk, H·d | H·dv].
          int w = h * (d + dv);
          float[] kv = new float[b * sk * w];
          q = new Place(new float[b * sq * h * d], 0, sq * h * d, d, h * d, 1);
          k = new Place(kv, 0, sk * w, d, w, 1);
          v = new Place(kv, h * d, sk * w, dv, w, 1);
        }
        out = new Place(new float[b * sq * h * dv], 0, sq * h * dv, dv, h * dv, 1);
      }
    }
    Arrays.fill(q.a(), UNREAD);
    Arrays.fill(k.a(), UNREAD);
    Arrays.fill(v.a(), UNREAD);
    Arrays.fill(out.a(), UNWRITTEN);
    fill(q, b, h, sq, d, r, 2);
    fill(k, b, h, sk, d, r, 2);
    fill(v, b, h, sk, dv, r, 1);
    Place mask = switch (c.mask()) {
      case NONE -> null;
      case PADDING -> {
        // [b, 1, 1, sk]: batch i has its last i keys masked (all of them when i >= sk).
        Place m = new Place(new float[b * sk], 0, sk, 0, 0, 1);
        for (int i = 0; i < b; i++) {
          for (int t = 0; t < sk; t++) m.a()[m.at(i, 0, 0, t)] = t >= sk - i ? -1e9f : 0f;
        }
        yield m;
      }
      case CAUSAL -> {
        // [sq, sk], the queries being the last sq positions of the keys.
        Place m = new Place(new float[1 + sq * sk], 1, 0, 0, sk, 1);
        for (int i = 0; i < sq; i++) {
          for (int t = 0; t < sk; t++) m.a()[m.at(0, 0, i, t)] = t > i + sk - sq ? -1e9f : 0f;
        }
        yield m;
      }
      case FULL -> {
        // [b, h, sq, sk] random, the last row of (0, 0) fully masked, key 0 of row 0 at -inf.
        Place m = new Place(new float[b * h * sq * sk], 0, h * sq * sk, sq * sk, sk, 1);
        for (int i = 0; i < m.a().length; i++) m.a()[i] = (float) (r.nextDouble() * 6 - 3);
        for (int t = 0; t < sk; t++) m.a()[m.at(0, 0, sq - 1, t)] = -1e9f;
        if (sk > 1 && sq > 1) m.a()[m.at(0, h - 1, 0, 0)] = Float.NEGATIVE_INFINITY;
        yield m;
      }
      case KEY_STRIDED -> {
        // [b, sk, sq] (keys before queries), broadcast over heads: strided along keys.
        Place m = new Place(new float[b * sk * sq], 0, sk * sq, 0, 1, sq);
        for (int i = 0; i < m.a().length; i++) m.a()[i] = (float) (r.nextDouble() * 6 - 3);
        yield m;
      }
      case SCALAR -> new Place(new float[] {9f, 0.7f}, 1, 0, 0, 0, 0);
      case LEFT_PADDING -> {
        // [b, 1, 1, sk]: batch i has its first 64, 256, 448, ... keys at -inf (never all of them).
        Place m = new Place(new float[b * sk], 0, sk, 0, 0, 1);
        for (int i = 0; i < b; i++) {
          int lead = Math.min(sk - 1, 64 * (1 + 3 * i));
          for (int t = 0; t < sk; t++) m.a()[m.at(i, 0, 0, t)] = t < lead ? Float.NEGATIVE_INFINITY : 0f;
        }
        yield m;
      }
    };
    float scale = d == 0 ? 1f : (float) (1 / Math.sqrt(d));
    return new Problem(c, q, k, v, mask, out, scale);
  }

  private static void fill(Place p, int batch, int heads, int rows, int cols, SplittableRandom r, double range) {
    for (int b = 0; b < batch; b++) {
      for (int h = 0; h < heads; h++) {
        for (int i = 0; i < rows; i++) {
          for (int j = 0; j < cols; j++) p.a()[p.at(b, h, i, j)] = (float) ((r.nextDouble() * 2 - 1) * range);
        }
      }
    }
  }

  /**
   * softmax(q·kᵀ·scale + mask)·v in double, materialising the scores: the definition. With a
   * mask, each score is rounded to float after adding it, as the kernels' float arithmetic
   * does: a row masked everywhere with -1e9 then gets the uniform weights softmax gives
   * there, rather than the double-precision softmax of its unmasked scores.
   */
  private static double[] naive(Problem p) {
    Case c = p.c();
    int sq = c.sq(), sk = c.sk(), d = c.d(), dv = c.dv();
    double[] out = new double[c.batch() * c.heads() * sq * dv];
    double[] s = new double[sk];
    for (int b = 0; b < c.batch(); b++) {
      for (int h = 0; h < c.heads(); h++) {
        for (int i = 0; i < sq; i++) {
          double max = Double.NEGATIVE_INFINITY;
          for (int t = 0; t < sk; t++) {
            double dot = 0;
            for (int j = 0; j < d; j++) dot += (double) p.q().a()[p.q().at(b, h, i, j)] * p.k().a()[p.k().at(b, h, t, j)];
            s[t] = dot * p.scale();
            if (p.mask() != null) s[t] = (float) (s[t] + p.mask().a()[p.mask().at(b, h, i, t)]);
            max = Math.max(max, s[t]);
          }
          double sum = 0;
          for (int t = 0; t < sk; t++) sum += s[t] = Math.exp(s[t] - max);
          int o = ((b * c.heads() + h) * sq + i) * dv;
          for (int t = 0; t < sk; t++) {
            for (int j = 0; j < dv; j++) out[o + j] += s[t] / sum * p.v().a()[p.v().at(b, h, t, j)];
          }
        }
      }
    }
    return out;
  }

  /** Every output element as wanted, every other float of the output array untouched. */
  private static void assertOutput(Problem p, double[] want, String what) {
    Case c = p.c();
    Place o = p.out();
    boolean[] written = new boolean[o.a().length];
    int n = 0;
    for (int b = 0; b < c.batch(); b++) {
      for (int h = 0; h < c.heads(); h++) {
        for (int i = 0; i < c.sq(); i++) {
          for (int j = 0; j < c.dv(); j++, n++) {
            int at = o.at(b, h, i, j);
            written[at] = true;
            float got = o.a()[at];
            if (!(Math.abs(got - want[n]) <= 2e-5 + 1e-5 * Math.abs(want[n]))) {
              assertEquals(want[n], got, 2e-5, what + ": out[" + b + ", " + h + ", " + i + ", " + j + "]");
            }
          }
        }
      }
    }
    for (int i = 0; i < written.length; i++) {
      if (!written[i]) assertEquals(UNWRITTEN, o.a()[i], what + ": float " + i + " of out is no output element");
    }
  }
}
