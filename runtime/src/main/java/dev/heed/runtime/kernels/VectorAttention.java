package dev.heed.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernel behind {@link Attention#attention}. Loaded only when
 * {@link Simd#enabled()}.
 *
 * <p>The keys are first transposed into per-thread scratch, in panels of {@link #KP} (four
 * vectors of) keys per head: {@code kt[(t / KP)·d·KP + p·KP + t % KP] = k[t, p]}, the last
 * panel zero-padded; whole vectors of keys by gathers. A parallel chunk transposes the keys of
 * all its heads of one batch together, a vector of keys for every head in turn
 * ({@link #packKeys}), so that rows holding several heads' keys side by side (a fused QKV
 * product) are read once each rather than once per head; when heads are split into query
 * tiles that different threads run, the caller transposes every head's keys once beforehand
 * ({@link #packAllKeys}). Then each block of {@value Attention#ROW_BLOCK} query rows goes
 * through the keys in chunks of at most {@value Attention#KEY_CHUNK}:
 * <ol>
 *   <li>scores, {@link #scores4}: the register block of 4 rows × 4 vectors of keys is the
 *       inner kernel of a GEMM, {@code d} steps of one broadcast of {@code q[i, p]} times one
 *       panel row per accumulator, so there are no horizontal sums; each loaded key vector
 *       serves 4 queries, each broadcast 4 vectors of keys;
 *   <li>softmax, in three steps that each go over all the block's rows, so that one row's
 *       chains of dependent operations overlap the next row's rather than following them:
 *       {@link #maxRow} scales, adds the mask and takes the chunk's maximum (one horizontal
 *       reduction per row and chunk); {@link #expRow} overwrites the scores with
 *       {@code e^(s - max)}, by a polynomial a vector at a time, and leaves the vector of their
 *       sums; {@link #sums} adds up those lanes, the rows side by side. When a chunk raises the
 *       running maximum, earlier sums and outputs are rescaled (online softmax);
 *   <li>weights · v, {@link #pv8}: 8 output rows × 2 vectors of columns stay in registers while
 *       the chunk's value rows stream past, each loaded value vector serving 8 queries; after the
 *       last chunk the rows are divided by their sums and stored straight to {@code out}.
 * </ol>
 * Rows left over below a multiple of 4 (scores) or 8 (weights · v) take one-row versions of
 * these kernels.
 *
 * <p>Every FloatVector lives and dies inside one kernel method: passing vectors to a method C2
 * does not inline makes it allocate them (the "boxing cliff"). And no kernel method may be too
 * big for C1, which compiles it first: C1 gives up on a method with too many values ("out of
 * virtual registers"), and until C2 compiles it, which a method stuck at that tier may wait
 * for a long time, it runs interpreted, allocating every vector (so the weights · v kernels
 * for two vectors of columns, for one, and masked are separate methods).
 *
 * <p>Measured (MiniLM: 12 heads of 32, q, k, v as slices of a fused QKV product, padding mask,
 * as AttentionBench's {@code fusedQkv}; AVX-512 on AMD EPYC Zen 5, 1 thread, GFLOP/s counting
 * {@code 4·b·h·s²·d}, medians of 60 interleaved rounds against the previous kernel in one JVM,
 * on a machine loaded 3 to 3.5 on its 2 cores): 1 × 128 106 (before: 106), 8 × 128 94 (89),
 * 32 × 128 91 (87), 1 × 512 120 (118); outputs bit for bit the previous kernel's. On 2 threads
 * under that load the rounds' spread was wider than the differences. Where the time goes
 * (1 thread, 8 × 128, by leaving steps out): scores and weights · v each near the FMA peak,
 * softmax about a third, transposing keys about a tenth.
 */
final class VectorAttention {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  /** Keys per panel of the transposed keys, and per score register block: four vectors. */
  static final int KP = 4 * L;
  private static final int R = Attention.ROW_BLOCK;
  private static final int KC = Attention.KEY_CHUNK;

  // e^x for x <= 0: x·log2 e = n + r with n an integer and |r| <= 1/2, 2^r by a degree-5
  // polynomial (minimax for relative error on [-1/2, 1/2]: 8e-8, about 2e-7 evaluated in float),
  // 2^n built in the exponent bits. Below EXP_LOW (where 2^n would not be a normal float) e^x is
  // taken as 0, which also turns the -inf of padding lanes into weight 0.
  private static final float LOG2E = 1.44269504088896341f;
  /**
   * 1.5·2^23 + 127: adding it rounds to an integer n, and leaves n + 127, 2^n's biased exponent,
   * in the low mantissa bits, so that shifting them into the exponent field gives 2^n.
   */
  private static final float ROUND = 12583039f;
  private static final float EXP_LOW = -87.3f;
  private static final float C1 = 0.6931470632553101f;
  private static final float C2 = 0.24022237956523895f;
  private static final float C3 = 0.05550689250230789f;
  private static final float C4 = 0.00967189110815525f;
  private static final float C5 = 0.001327406382188201f;

  private VectorAttention() {}

  /** Work items {@code [from, to)} of {@code p}: see {@link Attention.Problem}. */
  static void run(Attention.Problem pr, int from, int to) {
    float[] q = pr.q(), k = pr.k(), v = pr.v(), mask = pr.mask(), out = pr.out();
    int heads = pr.heads(), sq = pr.sq(), sk = pr.sk(), d = pr.d(), dv = pr.dv();
    int qR = pr.qR(), kR = pr.kR(), vR = pr.vR(), oR = pr.oR(), mR = pr.mR(), mC = pr.mC();
    int tileRows = pr.tileRows(), tilesPerHead = pr.tilesPerHead();
    float scale = pr.scale();
    int keyPad = Math.ceilDiv(sk, KP) * KP;
    int chunk = Math.min(KC, keyPad); // floats per row of scores
    AttentionScratch scratch = AttentionScratch.get();
    float[] shared = pr.packedKeys();
    int size = d * keyPad; // floats per head of transposed keys
    int bhFrom = from / tilesPerHead, bhTo = (to - 1) / tilesPerHead + 1; // the chunk's (batch, head) pairs
    float[] kt = shared != null ? shared : scratch.keys(Math.min(heads, bhTo - bhFrom) * size);
    float[] sc = scratch.scores(R * chunk);
    float[] acc = scratch.acc(sk > KC ? R * dv : 0);
    int packedFrom = 0, packedTo = 0; // the (batch, head) pairs whose keys kt holds, from kt[0]
    for (int it = from; it < to; it++) {
      int bh = it / tilesPerHead, i0 = (it % tilesPerHead) * tileRows, i1 = Math.min(sq, i0 + tileRows);
      int b = bh / heads, h = bh % heads;
      int qBase = pr.qOff() + b * pr.qB() + h * pr.qH();
      int vBase = pr.vOff() + b * pr.vB() + h * pr.vH();
      int oBase = pr.oOff() + b * pr.oB() + h * pr.oH();
      int mBase = pr.mOff() + b * pr.mB() + h * pr.mH();
      int ktOff;
      if (shared != null) {
        ktOff = bh * size;
      } else {
        // The chunk's heads of this batch at once: see packKeys.
        if (bh >= packedTo) {
          packedFrom = bh;
          packedTo = Math.min(bhTo, (b + 1) * heads);
          packKeys(k, pr.kOff() + b * pr.kB(), pr.kH(), kR, h, h + packedTo - packedFrom, sk, d, kt, 0, scratch.gather);
        }
        ktOff = (bh - packedFrom) * size;
      }
      for (int r0 = i0; r0 < i1; r0 += R) {
        int rows = Math.min(R, i1 - r0);
        for (int c0 = 0; c0 < sk; c0 += KC) {
          int n = Math.min(KC, sk - c0);
          boolean first = c0 == 0, last = c0 + n == sk;
          int r = 0;
          for (; r + 4 <= rows; r += 4) {
            scores4(q, qBase + (r0 + r) * qR, qR, kt, ktOff + c0 * d, n, d, sc, r * chunk, chunk);
          }
          for (; r < rows; r++) scores1(q, qBase + (r0 + r) * qR, kt, ktOff + c0 * d, n, d, sc, r * chunk);
          for (r = 0; r < rows; r++) {
            maxRow(sc, r * chunk, n, scale, mask, mBase + (r0 + r) * mR + c0 * mC, mC, scratch, r, first);
          }
          for (r = 0; r < rows; r++) expRow(sc, r * chunk, n, scratch.rowMax[r], scratch.lanes, r * L);
          sums(scratch, rows, first, last);
          if (rows == R) {
            pv8(sc, chunk, v, vBase + c0 * vR, vR, n, dv, acc, first, last, scratch.rowCorrection, scratch.rowInverse,
                out, oBase + r0 * oR, oR);
          } else {
            for (r = 0; r < rows; r++) {
              pv1(sc, r * chunk, v, vBase + c0 * vR, vR, n, dv, 0, acc, r * dv, first, last, scratch.rowCorrection[r],
                  scratch.rowInverse[r], out, oBase + (r0 + r) * oR);
            }
          }
        }
      }
    }
  }

  /** Floats one head's transposed keys take. */
  static int packedKeysSize(int sk, int d) {
    return d * Math.ceilDiv(sk, KP) * KP;
  }

  /** Every head's keys into panels, head {@code b·heads + h} from {@code kt[(b·heads + h)·packedKeysSize]}. */
  static void packAllKeys(float[] k, int kOff, int kB, int kH, int kR, int batch, int heads, int sk, int d, float[] kt) {
    int size = packedKeysSize(sk, d);
    int[] gather = AttentionScratch.get().gather;
    for (int b = 0; b < batch; b++) packKeys(k, kOff + b * kB, kH, kR, 0, heads, sk, d, kt, b * heads * size, gather);
  }

  /**
   * The keys of heads {@code [h0, h1)} of one batch (head h from {@code k[kBase + h·kH]}) into
   * panels, head {@code h} from {@code kt[ktOff + (h - h0)·packedKeysSize]}: see the class
   * comment. A vector of keys at a time for every head: when heads are column slices of rows
   * (kH = d), the rows the gathers touch stay in cache from one head to the next, where a head
   * at a time reads every row once per head, each row in a page of its own when rows are long
   * (a fused QKV row is 4.5 KiB), a cache and TLB miss each time the keys are not in cache
   * (measured: 4–7% faster attention at 32 × 128, whose QKV buffer outgrows the caches).
   */
  static void packKeys(float[] k, int kBase, int kH, int kR, int h0, int h1, int sk, int d, float[] kt, int ktOff,
      int[] gather) {
    int size = packedKeysSize(sk, d);
    int full = sk - sk % L;
    if (full > 0 && d > 0) {
      // Whole vectors of keys: one gather per feature, lanes kR apart.
      for (int j = 0; j < L; j++) gather[j] = j * kR;
      for (int t = 0; t < full; t += L) {
        for (int h = h0; h < h1; h++) {
          int dst = ktOff + (h - h0) * size + (t - t % KP) * d + t % KP;
          int src = kBase + h * kH + t * kR;
          for (int p = 0; p < d; p++) FloatVector.fromArray(S, k, src + p, gather, 0).intoArray(kt, dst + p * KP);
        }
      }
    }
    for (int h = h0; h < h1; h++) {
      int head = ktOff + (h - h0) * size;
      for (int t = full; t < sk; t++) {
        int dst = head + (t - t % KP) * d + t % KP;
        int src = kBase + h * kH + t * kR;
        for (int p = 0; p < d; p++) kt[dst + p * KP] = k[src + p];
      }
      for (int t = sk, end = Math.ceilDiv(sk, KP) * KP; t < end; t++) {
        int dst = head + (t - t % KP) * d + t % KP;
        for (int p = 0; p < d; p++) kt[dst + p * KP] = 0f;
      }
    }
  }

  /**
   * Raw scores {@code q[i, :] · k[c0 + t, :]} of 4 query rows (from {@code q0}, {@code qR}
   * apart) for keys {@code t < n} of the key chunk whose panels start at {@code kt[kc]}, into
   * rows of {@code sc} from {@code s0}, {@code ss} apart; up to the next multiple of two
   * vectors (or of {@link #KP} when more than two vectors of a panel remain), the padding keys
   * scoring 0. Four rows by four vectors rather than eight by two: half the broadcasts per
   * multiply-add, and few enough row pointers that C2 keeps them all in registers (measured:
   * about 20% faster than 8 × 2, which spills them).
   */
  private static void scores4(float[] q, int q0, int qR, float[] kt, int kc, int n, int d, float[] sc, int s0, int ss) {
    int q1 = q0 + qR, q2 = q1 + qR, q3 = q2 + qR;
    int s1 = s0 + ss, s2 = s1 + ss, s3 = s2 + ss;
    FloatVector zero = FloatVector.zero(S);
    for (int t = 0; t < n; t += KP) {
      int kp = kc + t * d; // the panel of keys t ...
      if (t + 2 * L < n) {
        FloatVector a00 = zero, a01 = zero, a02 = zero, a03 = zero, a10 = zero, a11 = zero, a12 = zero, a13 = zero;
        FloatVector a20 = zero, a21 = zero, a22 = zero, a23 = zero, a30 = zero, a31 = zero, a32 = zero, a33 = zero;
        for (int p = 0; p < d; p++, kp += KP) {
          FloatVector k0 = FloatVector.fromArray(S, kt, kp);
          FloatVector k1 = FloatVector.fromArray(S, kt, kp + L);
          FloatVector k2 = FloatVector.fromArray(S, kt, kp + 2 * L);
          FloatVector k3 = FloatVector.fromArray(S, kt, kp + 3 * L);
          FloatVector x = FloatVector.broadcast(S, q[q0 + p]);
          a00 = x.fma(k0, a00); a01 = x.fma(k1, a01); a02 = x.fma(k2, a02); a03 = x.fma(k3, a03);
          x = FloatVector.broadcast(S, q[q1 + p]);
          a10 = x.fma(k0, a10); a11 = x.fma(k1, a11); a12 = x.fma(k2, a12); a13 = x.fma(k3, a13);
          x = FloatVector.broadcast(S, q[q2 + p]);
          a20 = x.fma(k0, a20); a21 = x.fma(k1, a21); a22 = x.fma(k2, a22); a23 = x.fma(k3, a23);
          x = FloatVector.broadcast(S, q[q3 + p]);
          a30 = x.fma(k0, a30); a31 = x.fma(k1, a31); a32 = x.fma(k2, a32); a33 = x.fma(k3, a33);
        }
        a00.intoArray(sc, s0 + t); a01.intoArray(sc, s0 + t + L);
        a02.intoArray(sc, s0 + t + 2 * L); a03.intoArray(sc, s0 + t + 3 * L);
        a10.intoArray(sc, s1 + t); a11.intoArray(sc, s1 + t + L);
        a12.intoArray(sc, s1 + t + 2 * L); a13.intoArray(sc, s1 + t + 3 * L);
        a20.intoArray(sc, s2 + t); a21.intoArray(sc, s2 + t + L);
        a22.intoArray(sc, s2 + t + 2 * L); a23.intoArray(sc, s2 + t + 3 * L);
        a30.intoArray(sc, s3 + t); a31.intoArray(sc, s3 + t + L);
        a32.intoArray(sc, s3 + t + 2 * L); a33.intoArray(sc, s3 + t + 3 * L);
      } else {
        // At most two vectors of keys left: the first half of the panel.
        FloatVector a00 = zero, a01 = zero, a10 = zero, a11 = zero, a20 = zero, a21 = zero, a30 = zero, a31 = zero;
        for (int p = 0; p < d; p++, kp += KP) {
          FloatVector k0 = FloatVector.fromArray(S, kt, kp);
          FloatVector k1 = FloatVector.fromArray(S, kt, kp + L);
          FloatVector x = FloatVector.broadcast(S, q[q0 + p]); a00 = x.fma(k0, a00); a01 = x.fma(k1, a01);
          x = FloatVector.broadcast(S, q[q1 + p]); a10 = x.fma(k0, a10); a11 = x.fma(k1, a11);
          x = FloatVector.broadcast(S, q[q2 + p]); a20 = x.fma(k0, a20); a21 = x.fma(k1, a21);
          x = FloatVector.broadcast(S, q[q3 + p]); a30 = x.fma(k0, a30); a31 = x.fma(k1, a31);
        }
        a00.intoArray(sc, s0 + t); a01.intoArray(sc, s0 + t + L);
        a10.intoArray(sc, s1 + t); a11.intoArray(sc, s1 + t + L);
        a20.intoArray(sc, s2 + t); a21.intoArray(sc, s2 + t + L);
        a30.intoArray(sc, s3 + t); a31.intoArray(sc, s3 + t + L);
      }
    }
  }

  /** {@link #scores4} for one query row (from {@code qi}), into {@code sc} from {@code si}, a vector of keys at a time. */
  private static void scores1(float[] q, int qi, float[] kt, int kc, int n, int d, float[] sc, int si) {
    for (int t = 0; t < n; t += L) {
      int kp = kc + (t - t % KP) * d + t % KP;
      FloatVector a = FloatVector.zero(S);
      for (int p = 0; p < d; p++, kp += KP) {
        a = FloatVector.broadcast(S, q[qi + p]).fma(FloatVector.fromArray(S, kt, kp), a);
      }
      a.intoArray(sc, si + t);
    }
  }

  /**
   * Softmax, first pass over one row's chunk of {@code n} raw scores at {@code sc[off]}: each
   * becomes {@code scale·s + mask} (mask element t at {@code mask[m + t·mC]}), padding lanes up
   * to the next vector {@code -inf}; row {@code r}'s running maximum in {@code st} takes in this
   * chunk's, and its correction is the factor earlier chunks must be rescaled by.
   */
  private static void maxRow(float[] sc, int off, int n, float scale, float[] mask, int m, int mC,
      AttentionScratch st, int r, boolean first) {
    if (mask != null && mC != 0 && mC != 1) {
      // A mask strided along keys: added here, a scalar at a time.
      for (int t = 0; t < n; t++) sc[off + t] = sc[off + t] * scale + mask[m + t * mC];
      scale = 1f;
      mask = null;
    }
    // Four running maxima, so that the loop is not one chain of dependent max operations.
    // (compare and blend: two instructions where Java's max, which orders NaN and -0.0, takes
    // several.)
    FloatVector ninf = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
    FloatVector max0 = ninf, max1 = ninf, max2 = ninf, max3 = ninf;
    FloatVector scaleV = FloatVector.broadcast(S, scale);
    int t = 0;
    if (mask == null) {
      for (; t + 4 * L <= n; t += 4 * L) {
        FloatVector s0 = FloatVector.fromArray(S, sc, off + t).mul(scale);
        FloatVector s1 = FloatVector.fromArray(S, sc, off + t + L).mul(scale);
        FloatVector s2 = FloatVector.fromArray(S, sc, off + t + 2 * L).mul(scale);
        FloatVector s3 = FloatVector.fromArray(S, sc, off + t + 3 * L).mul(scale);
        s0.intoArray(sc, off + t);
        s1.intoArray(sc, off + t + L);
        s2.intoArray(sc, off + t + 2 * L);
        s3.intoArray(sc, off + t + 3 * L);
        max0 = max0.blend(s0, max0.compare(VectorOperators.LT, s0));
        max1 = max1.blend(s1, max1.compare(VectorOperators.LT, s1));
        max2 = max2.blend(s2, max2.compare(VectorOperators.LT, s2));
        max3 = max3.blend(s3, max3.compare(VectorOperators.LT, s3));
      }
    } else if (mC == 1) {
      for (; t + 4 * L <= n; t += 4 * L) {
        FloatVector s0 = FloatVector.fromArray(S, sc, off + t).fma(scaleV, FloatVector.fromArray(S, mask, m + t));
        FloatVector s1 = FloatVector.fromArray(S, sc, off + t + L).fma(scaleV, FloatVector.fromArray(S, mask, m + t + L));
        FloatVector s2 = FloatVector.fromArray(S, sc, off + t + 2 * L)
            .fma(scaleV, FloatVector.fromArray(S, mask, m + t + 2 * L));
        FloatVector s3 = FloatVector.fromArray(S, sc, off + t + 3 * L)
            .fma(scaleV, FloatVector.fromArray(S, mask, m + t + 3 * L));
        s0.intoArray(sc, off + t);
        s1.intoArray(sc, off + t + L);
        s2.intoArray(sc, off + t + 2 * L);
        s3.intoArray(sc, off + t + 3 * L);
        max0 = max0.blend(s0, max0.compare(VectorOperators.LT, s0));
        max1 = max1.blend(s1, max1.compare(VectorOperators.LT, s1));
        max2 = max2.blend(s2, max2.compare(VectorOperators.LT, s2));
        max3 = max3.blend(s3, max3.compare(VectorOperators.LT, s3));
      }
    }
    for (; t < n; t += L) {
      VectorMask<Float> in = S.indexInRange(t, n);
      FloatVector s = FloatVector.fromArray(S, sc, off + t);
      if (mask == null) {
        s = s.mul(scale);
      } else {
        s = s.fma(scaleV, mC == 0 ? FloatVector.broadcast(S, mask[m]) : FloatVector.fromArray(S, mask, m + t, in));
      }
      s = ninf.blend(s, in); // padding lanes past n: -inf, weight 0
      s.intoArray(sc, off + t);
      max0 = max0.blend(s, max0.compare(VectorOperators.LT, s));
    }
    max0 = max0.blend(max1, max0.compare(VectorOperators.LT, max1));
    max2 = max2.blend(max3, max2.compare(VectorOperators.LT, max3));
    max0 = max0.blend(max2, max0.compare(VectorOperators.LT, max2));
    float oldMax = first ? Float.NEGATIVE_INFINITY : st.rowMax[r];
    float newMax = Math.max(oldMax, max0.reduceLanes(VectorOperators.MAX));
    st.rowMax[r] = newMax;
    st.rowCorrection[r] = first ? 0f : (float) StrictMath.exp(oldMax - newMax); // StrictMath: the same bits in every JIT tier
  }

  /**
   * Softmax, second pass over one row's chunk of {@code n} scores at {@code sc[off]} (padded
   * to a whole vector): each becomes its weight {@code e^(s - max)}, and the vector of their
   * sums goes to {@code lanes[li]}.
   */
  private static void expRow(float[] sc, int off, int n, float max, float[] lanes, int li) {
    // e^x = 2^(x·log2 e) = 2^n · 2^r with n the nearest integer and |r| <= 1/2; r = x·log2 e - n
    // in one fused multiply-add.
    FloatVector log2e = FloatVector.broadcast(S, LOG2E), round = FloatVector.broadcast(S, ROUND);
    FloatVector c3 = FloatVector.broadcast(S, C3), c2 = FloatVector.broadcast(S, C2), c1 = FloatVector.broadcast(S, C1);
    FloatVector one = FloatVector.broadcast(S, 1f);
    FloatVector sum = FloatVector.zero(S);
    for (int t = 0; t < n; t += L) {
      FloatVector x = FloatVector.fromArray(S, sc, off + t).sub(max);
      FloatVector rounded = x.fma(log2e, round); // n + 127 in the low mantissa bits
      FloatVector rem = x.fma(log2e, round.sub(rounded));
      FloatVector poly = rem.fma(C5, C4).fma(rem, c3).fma(rem, c2).fma(rem, c1).fma(rem, one);
      FloatVector pow2n = rounded.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
      FloatVector e = poly.mul(pow2n).blend(0f, x.compare(VectorOperators.LT, EXP_LOW));
      e.intoArray(sc, off + t);
      sum = sum.add(e);
    }
    sum.intoArray(lanes, li);
  }

  /**
   * The block's rows' running sums in {@code st} take in this chunk's, from the vectors of sums
   * {@link #expRow} left in {@code st.lanes}; after the last chunk, {@code 1 / sum}. Not
   * reduceLanes(ADD): its order of additions differs between the interpreter and C2, and a model
   * must give the same bits on every call. Each row's lanes are summed in index order instead,
   * the rows side by side (independent chains of additions).
   */
  private static void sums(AttentionScratch st, int rows, boolean first, boolean last) {
    float[] lanes = st.lanes, chunkSum = st.chunkSum;
    for (int r = 0; r < rows; r++) chunkSum[r] = lanes[r * L];
    for (int i = 1; i < L; i++) {
      for (int r = 0; r < rows; r++) chunkSum[r] += lanes[r * L + i];
    }
    for (int r = 0; r < rows; r++) {
      float total = chunkSum[r] + (first ? 0f : st.rowSum[r] * st.rowCorrection[r]);
      st.rowSum[r] = total;
      if (last) st.rowInverse[r] = 1f / total;
    }
  }

  /**
   * {@code out rows += weights · v} for 8 rows: weights in rows of {@code sc}, {@code ss}
   * apart, for value rows {@code v[v0 + t·vR]}, {@code t < n}. Starts from zero on the first
   * chunk, else from {@code acc} (rows {@code dv} apart) times each row's correction; ends in
   * {@code out} (rows from {@code o0}, {@code oR} apart) times each row's {@code 1 / sum} on the
   * last chunk, else in {@code acc}.
   */
  private static void pv8(float[] sc, int ss, float[] v, int v0, int vR, int n, int dv, float[] acc,
      boolean first, boolean last, float[] corr, float[] inv, float[] out, int o0, int oR) {
    int c = 0;
    for (; c + 2 * L <= dv; c += 2 * L) pv8Pair(sc, ss, v, v0, vR, n, dv, c, acc, first, last, corr, inv, out, o0, oR);
    if (c + L <= dv) {
      pv8Single(sc, ss, v, v0, vR, n, dv, c, acc, first, last, corr, inv, out, o0, oR);
      c += L;
    }
    if (c < dv) {
      // The last dv % L columns: masked, a row at a time.
      for (int r = 0; r < R; r++) {
        pv1(sc, r * ss, v, v0, vR, n, dv, c, acc, r * dv, first, last, corr[r], inv[r], out, o0 + r * oR);
      }
    }
  }

  /** {@link #pv8} for output columns {@code [c, c + 2·L)}. */
  private static void pv8Pair(float[] sc, int ss, float[] v, int v0, int vR, int n, int dv, int c, float[] acc,
      boolean first, boolean last, float[] corr, float[] inv, float[] out, int o0, int oR) {
    int s0 = 0, s1 = ss, s2 = s1 + ss, s3 = s2 + ss, s4 = s3 + ss, s5 = s4 + ss, s6 = s5 + ss, s7 = s6 + ss;
    int o1 = o0 + oR, o2 = o1 + oR, o3 = o2 + oR, o4 = o3 + oR, o5 = o4 + oR, o6 = o5 + oR, o7 = o6 + oR;
    {
      FloatVector a00, a01, a10, a11, a20, a21, a30, a31, a40, a41, a50, a51, a60, a61, a70, a71;
      if (first) {
        FloatVector zero = FloatVector.zero(S);
        a00 = zero; a01 = zero; a10 = zero; a11 = zero; a20 = zero; a21 = zero; a30 = zero; a31 = zero;
        a40 = zero; a41 = zero; a50 = zero; a51 = zero; a60 = zero; a61 = zero; a70 = zero; a71 = zero;
      } else {
        a00 = FloatVector.fromArray(S, acc, c).mul(corr[0]); a01 = FloatVector.fromArray(S, acc, c + L).mul(corr[0]);
        a10 = FloatVector.fromArray(S, acc, dv + c).mul(corr[1]); a11 = FloatVector.fromArray(S, acc, dv + c + L).mul(corr[1]);
        a20 = FloatVector.fromArray(S, acc, 2 * dv + c).mul(corr[2]); a21 = FloatVector.fromArray(S, acc, 2 * dv + c + L).mul(corr[2]);
        a30 = FloatVector.fromArray(S, acc, 3 * dv + c).mul(corr[3]); a31 = FloatVector.fromArray(S, acc, 3 * dv + c + L).mul(corr[3]);
        a40 = FloatVector.fromArray(S, acc, 4 * dv + c).mul(corr[4]); a41 = FloatVector.fromArray(S, acc, 4 * dv + c + L).mul(corr[4]);
        a50 = FloatVector.fromArray(S, acc, 5 * dv + c).mul(corr[5]); a51 = FloatVector.fromArray(S, acc, 5 * dv + c + L).mul(corr[5]);
        a60 = FloatVector.fromArray(S, acc, 6 * dv + c).mul(corr[6]); a61 = FloatVector.fromArray(S, acc, 6 * dv + c + L).mul(corr[6]);
        a70 = FloatVector.fromArray(S, acc, 7 * dv + c).mul(corr[7]); a71 = FloatVector.fromArray(S, acc, 7 * dv + c + L).mul(corr[7]);
      }
      for (int t = 0, vt = v0 + c; t < n; t++, vt += vR) {
        FloatVector w0 = FloatVector.fromArray(S, v, vt);
        FloatVector w1 = FloatVector.fromArray(S, v, vt + L);
        FloatVector x = FloatVector.broadcast(S, sc[s0 + t]); a00 = x.fma(w0, a00); a01 = x.fma(w1, a01);
        x = FloatVector.broadcast(S, sc[s1 + t]); a10 = x.fma(w0, a10); a11 = x.fma(w1, a11);
        x = FloatVector.broadcast(S, sc[s2 + t]); a20 = x.fma(w0, a20); a21 = x.fma(w1, a21);
        x = FloatVector.broadcast(S, sc[s3 + t]); a30 = x.fma(w0, a30); a31 = x.fma(w1, a31);
        x = FloatVector.broadcast(S, sc[s4 + t]); a40 = x.fma(w0, a40); a41 = x.fma(w1, a41);
        x = FloatVector.broadcast(S, sc[s5 + t]); a50 = x.fma(w0, a50); a51 = x.fma(w1, a51);
        x = FloatVector.broadcast(S, sc[s6 + t]); a60 = x.fma(w0, a60); a61 = x.fma(w1, a61);
        x = FloatVector.broadcast(S, sc[s7 + t]); a70 = x.fma(w0, a70); a71 = x.fma(w1, a71);
      }
      if (last) {
        a00.mul(inv[0]).intoArray(out, o0 + c); a01.mul(inv[0]).intoArray(out, o0 + c + L);
        a10.mul(inv[1]).intoArray(out, o1 + c); a11.mul(inv[1]).intoArray(out, o1 + c + L);
        a20.mul(inv[2]).intoArray(out, o2 + c); a21.mul(inv[2]).intoArray(out, o2 + c + L);
        a30.mul(inv[3]).intoArray(out, o3 + c); a31.mul(inv[3]).intoArray(out, o3 + c + L);
        a40.mul(inv[4]).intoArray(out, o4 + c); a41.mul(inv[4]).intoArray(out, o4 + c + L);
        a50.mul(inv[5]).intoArray(out, o5 + c); a51.mul(inv[5]).intoArray(out, o5 + c + L);
        a60.mul(inv[6]).intoArray(out, o6 + c); a61.mul(inv[6]).intoArray(out, o6 + c + L);
        a70.mul(inv[7]).intoArray(out, o7 + c); a71.mul(inv[7]).intoArray(out, o7 + c + L);
      } else {
        a00.intoArray(acc, c); a01.intoArray(acc, c + L);
        a10.intoArray(acc, dv + c); a11.intoArray(acc, dv + c + L);
        a20.intoArray(acc, 2 * dv + c); a21.intoArray(acc, 2 * dv + c + L);
        a30.intoArray(acc, 3 * dv + c); a31.intoArray(acc, 3 * dv + c + L);
        a40.intoArray(acc, 4 * dv + c); a41.intoArray(acc, 4 * dv + c + L);
        a50.intoArray(acc, 5 * dv + c); a51.intoArray(acc, 5 * dv + c + L);
        a60.intoArray(acc, 6 * dv + c); a61.intoArray(acc, 6 * dv + c + L);
        a70.intoArray(acc, 7 * dv + c); a71.intoArray(acc, 7 * dv + c + L);
      }
    }
  }

  /** {@link #pv8} for output columns {@code [c, c + L)}. */
  private static void pv8Single(float[] sc, int ss, float[] v, int v0, int vR, int n, int dv, int c, float[] acc,
      boolean first, boolean last, float[] corr, float[] inv, float[] out, int o0, int oR) {
    int s0 = 0, s1 = ss, s2 = s1 + ss, s3 = s2 + ss, s4 = s3 + ss, s5 = s4 + ss, s6 = s5 + ss, s7 = s6 + ss;
    int o1 = o0 + oR, o2 = o1 + oR, o3 = o2 + oR, o4 = o3 + oR, o5 = o4 + oR, o6 = o5 + oR, o7 = o6 + oR;
    {
      FloatVector a00, a10, a20, a30, a40, a50, a60, a70;
      if (first) {
        FloatVector zero = FloatVector.zero(S);
        a00 = zero; a10 = zero; a20 = zero; a30 = zero; a40 = zero; a50 = zero; a60 = zero; a70 = zero;
      } else {
        a00 = FloatVector.fromArray(S, acc, c).mul(corr[0]);
        a10 = FloatVector.fromArray(S, acc, dv + c).mul(corr[1]);
        a20 = FloatVector.fromArray(S, acc, 2 * dv + c).mul(corr[2]);
        a30 = FloatVector.fromArray(S, acc, 3 * dv + c).mul(corr[3]);
        a40 = FloatVector.fromArray(S, acc, 4 * dv + c).mul(corr[4]);
        a50 = FloatVector.fromArray(S, acc, 5 * dv + c).mul(corr[5]);
        a60 = FloatVector.fromArray(S, acc, 6 * dv + c).mul(corr[6]);
        a70 = FloatVector.fromArray(S, acc, 7 * dv + c).mul(corr[7]);
      }
      for (int t = 0, vt = v0 + c; t < n; t++, vt += vR) {
        FloatVector w0 = FloatVector.fromArray(S, v, vt);
        a00 = FloatVector.broadcast(S, sc[s0 + t]).fma(w0, a00);
        a10 = FloatVector.broadcast(S, sc[s1 + t]).fma(w0, a10);
        a20 = FloatVector.broadcast(S, sc[s2 + t]).fma(w0, a20);
        a30 = FloatVector.broadcast(S, sc[s3 + t]).fma(w0, a30);
        a40 = FloatVector.broadcast(S, sc[s4 + t]).fma(w0, a40);
        a50 = FloatVector.broadcast(S, sc[s5 + t]).fma(w0, a50);
        a60 = FloatVector.broadcast(S, sc[s6 + t]).fma(w0, a60);
        a70 = FloatVector.broadcast(S, sc[s7 + t]).fma(w0, a70);
      }
      if (last) {
        a00.mul(inv[0]).intoArray(out, o0 + c);
        a10.mul(inv[1]).intoArray(out, o1 + c);
        a20.mul(inv[2]).intoArray(out, o2 + c);
        a30.mul(inv[3]).intoArray(out, o3 + c);
        a40.mul(inv[4]).intoArray(out, o4 + c);
        a50.mul(inv[5]).intoArray(out, o5 + c);
        a60.mul(inv[6]).intoArray(out, o6 + c);
        a70.mul(inv[7]).intoArray(out, o7 + c);
      } else {
        a00.intoArray(acc, c);
        a10.intoArray(acc, dv + c);
        a20.intoArray(acc, 2 * dv + c);
        a30.intoArray(acc, 3 * dv + c);
        a40.intoArray(acc, 4 * dv + c);
        a50.intoArray(acc, 5 * dv + c);
        a60.intoArray(acc, 6 * dv + c);
        a70.intoArray(acc, 7 * dv + c);
      }
    }
  }

  /**
   * {@link #pv8} for one row and columns from {@code c0}: weights from {@code sc[si]}, partial
   * output at {@code acc[ai]}, output row at {@code out[oi]}; a vector at a time, masked at the edge.
   */
  private static void pv1(float[] sc, int si, float[] v, int v0, int vR, int n, int dv, int c0, float[] acc, int ai,
      boolean first, boolean last, float corr, float inv, float[] out, int oi) {
    for (int c = c0; c < dv; c += L) {
      VectorMask<Float> m = S.indexInRange(c, dv);
      FloatVector a = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, ai + c, m).mul(corr);
      for (int t = 0, vt = v0 + c; t < n; t++, vt += vR) {
        a = FloatVector.broadcast(S, sc[si + t]).fma(FloatVector.fromArray(S, v, vt, m), a);
      }
      if (last) a.mul(inv).intoArray(out, oi + c, m); else a.intoArray(acc, ai + c, m);
    }
  }
}
