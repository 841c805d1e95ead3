package dev.heed.runtime.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernel behind {@link Attention#attention}. Loaded only when
 * {@link Simd#enabled()}.
 *
 * <p>Query rows live in vector lanes. A parallel chunk first packs the keys of its heads of one
 * batch into panels of {@link #KP} keys, {@code kt[(t - t % KP)·d + p·KP + t % KP] = k[t, p]}
 * ({@link #packKeys}); then each block of {@link #RB} query rows (two vectors) is transposed,
 * {@code qt[p·RB + r] = q[r, p]} (lanes past the block's last row zero), both by a 16 × 16
 * transpose in registers ({@link #transpose16}), and goes through the keys in chunks of at most
 * {@value Attention#KEY_CHUNK}:
 * <ol>
 *   <li>scores, {@link #scores8}: the register block of 8 keys × 2 vectors of rows is the inner
 *       kernel of a GEMM, {@code d} steps of two loads of {@code qt} and one broadcast of a key
 *       element per key (all from one panel row, so one pointer serves them), into
 *       {@code sc[t·RB + r]}, each key's scores for the block's rows side by side; scaled and
 *       masked as they are stored (a padding mask, the same for every row, is one broadcast per
 *       key; a mask that varies along rows is gathered in a pass of its own, {@link #addRowMask}),
 *       their lanewise maximum taken on the way;
 *   <li>softmax, vertically: every row's running maximum, sum and rescaling factor is a lane, and
 *       no step takes a horizontal reduction. {@link #expSums} overwrites the scores with
 *       {@code e^(s - max)} by a polynomial and adds them up, key after key. When a chunk raises a
 *       row's running maximum, its earlier sum and output are rescaled (online softmax);
 *   <li>weights · v, {@link #pv8}: 8 output rows × 2 vectors of columns stay in registers while
 *       the chunk's value rows stream past, the 8 rows' weights for a key side by side in
 *       {@code sc}; after the last chunk the rows are divided by their sums and stored straight
 *       to {@code out}. Rows left over below a multiple of 8 take {@link #pv1}.
 * </ol>
 * Against the kernel before this one (a row per lane of keys: 4 query rows broadcast against
 * vectors of keys, keys transposed by gathers), the softmax has no per-row passes ending in
 * horizontal maxima and sums, and no pass of its own for scale, mask and maximum.
 *
 * <p>Every FloatVector lives and dies inside one kernel method: passing vectors to a method C2
 * does not inline makes it allocate them (the "boxing cliff"). So no helper takes or returns a
 * vector: C2 may leave even a tiny one a call (in a big method its inlining budget runs out, and
 * a rarely taken call site is not inlined at all), and then a vector that flows into the call on
 * one path is boxed on every path. And no kernel method may be too big for C1, which compiles it
 * first: C1 gives up on a method with too many values ("out of virtual registers"), and until C2
 * compiles it, which a method stuck at that tier may wait for a long time, it runs interpreted,
 * allocating every vector (so the weights · v kernels for two vectors of columns, for one, and
 * masked are separate methods). Every operation gives the same bits in every JIT tier (no
 * reduceLanes, no lanewise EXP): a model gives the same output on every call.
 *
 * <p>Measured (MiniLM: 12 heads of 32, q, k, v as slices of a fused QKV product, padding mask,
 * as AttentionBench's {@code fusedQkv}; AVX-512 on AMD EPYC Zen 5, GFLOP/s counting
 * {@code 4·b·h·s²·d}, medians of 60 interleaved rounds against the previous kernel in one JVM,
 * on a machine loaded 1.5 to 2 on its 2 cores), 1 thread: 1 × 128 144 (before: 122),
 * 8 × 128 140 (120), 32 × 128 127 (112), 1 × 512 163 (140); the medians of the per-round ratios
 * over two runs 1.18 to 1.21, 1.19 to 1.29, 1.13 to 1.24, 1.16 to 1.17. On 2 threads under that
 * load the rounds spread wider: ratios 1.2 to 1.3 at 1 × 128, 1.15 to 1.3 at 8 and 32 × 128,
 * 1.0 to 1.2 at 1 × 512. Outputs differ from the previous kernel's in the last bits (the sums of
 * weights are added in another order; at most 1.5e-7 here). Where the time goes (1 thread,
 * 1 × 512, sampled): scores about 45% and weights · v about 38%, at 85 to 95% of the FMA peak;
 * softmax about 13%; the transposes 1% (4% at 8 × 128; 20% at 32 × 128, whose QKV buffer
 * outgrows the caches, so that the transposes take its cache misses).
 *
 * <p>With 256-bit vectors (AVX2, 16 vector registers) the register blocks are 4 keys and 4 output
 * rows ({@link #scores4}, {@link #pv4Pair}: 8 accumulators) and the transposes go through 8 × 8
 * blocks ({@link #transpose8}). On a 2-core AMD EPYC Zen 3, one thread, MiniLM's fused-QKV
 * attention: 8 × 128 from 22 to 48 GFLOP/s, 1 × 512 from 29 to 49, against the 8-key and 8-row
 * blocks (whose 16 accumulators spill) and scalar transposes. There weights · v takes about 55%
 * of the time, scores 30%, the softmax and the transposes about 10% each.
 *
 * <p>With those 4-row blocks weights · v reads the values packed per head ({@link #packValues}),
 * not in place: in place, each key's value row is a run-time stride from the next, so C2 keeps two
 * range checks in the loop (26 instructions per 8 multiply-adds; packed, 20) and every key's row
 * is on a page of its own. Measured on that Zen 3, the old and the new kernel interleaved in one
 * JVM (two class loaders, 30 rounds, medians of the per-round ratios; same bits out): 1 thread
 * 1.23 at 1 × 512, 1.08 at 8 × 128, 1.11 at 1 × 128; 2 threads 1.18 at 1 × 512, 1.08 at
 * 8 × 128, 1.05 at 32 × 128. Packing them key by key (a fused QKV row's heads together) rather
 * than head by head, then, in the same way: 1 thread 1.09 at 1 × 512, 1.21 at 8 × 128; 2 threads
 * 1.01 at 1 × 512, 1.10 at 8 × 128, 1.15 at 32 × 128, 1.00 at 1 × 128. The 8-row blocks of AVX-512
 * still read the values in place: that machine was not at hand to measure the change on.
 */
final class VectorAttention {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  /** Query rows per block: two vectors of lanes. */
  static final int RB = 2 * L;
  /** Keys per panel of the packed keys. */
  private static final int KP = 16;
  /**
   * Output rows per weights · v register block, and keys per scores register block: 8 (16
   * accumulators of two vectors each) where vectors are 512 bits and there are 32 vector
   * registers; 4 (8 accumulators) where they are 256 bits (AVX2: 16 registers, in which 16
   * accumulators spill).
   */
  private static final int PB = L >= 16 ? 8 : 4;
  private static final int KC = Attention.KEY_CHUNK;

  // e^x for x <= 0: x·log2 e = n + r with n an integer and |r| <= 1/2, 2^r by a degree-5
  // polynomial (minimax for relative error on [-1/2, 1/2]: 8e-8, about 2e-7 evaluated in float),
  // times 2^n by adding n to its exponent bits (an integer addition, where a multiplication by
  // 2^n would take one of the floating-point pipes the polynomial keeps busy). Below EXP_LOW
  // (Attention.NEGLIGIBLE_EXPONENT, −64·ln 2: no subnormal products in weights · v) e^x is taken
  // as 0, which also turns -inf into weight 0. With a cutoff where e^x stops being a normal float
  // (−87), the real all-MiniLM-L6-v2 weights left this kernel 2.2 times slower at 1 × 512 than
  // random weights did.
  private static final float LOG2E = 1.44269504088896341f;
  /**
   * 1.5·2^23: adding it rounds to an integer n, and leaves n in the low mantissa bits (two's
   * complement), so that shifting them into the exponent field gives the n to add there.
   */
  private static final float ROUND = 12582912f;
  private static final float EXP_LOW = Attention.NEGLIGIBLE_EXPONENT;
  private static final float C1 = 0.6931470632553101f;
  private static final float C2 = 0.24022237956523895f;
  private static final float C3 = 0.05550689250230789f;
  private static final float C4 = 0.00967189110815525f;
  private static final float C5 = 0.001327406382188201f;

  /** The mask of a problem without one. */
  private static final float[] NO_MASK = {0f};

  private VectorAttention() {}

  /** Work items {@code [from, to)} of {@code p}: see {@link Attention.Problem}. */
  static void run(Attention.Problem pr, int from, int to) {
    float[] q = pr.q(), k = pr.k(), v = pr.v(), mask = pr.mask(), out = pr.out();
    int heads = pr.heads(), sq = pr.sq(), sk = pr.sk(), d = pr.d(), dv = pr.dv();
    int qR = pr.qR(), kR = pr.kR(), vR = pr.vR(), oR = pr.oR(), mR = pr.mR(), mC = pr.mC();
    int tileRows = pr.tileRows(), tilesPerHead = pr.tilesPerHead();
    float scale = pr.scale();
    // The mask goes in as the scores are stored when it is the same for every row of a block (one
    // broadcast per key: a padding mask); a mask that varies along rows, in a pass of its own.
    boolean rowMask = mask != null && mR != 0;
    float[] keyMask = mask == null || rowMask ? NO_MASK : mask;
    int keyMC = keyMask == NO_MASK ? 0 : mC;
    AttentionScratch st = AttentionScratch.get();
    float[] qt = st.queries(RB * d);
    int size = Math.ceilDiv(sk, KP) * KP * d; // floats per head of packed keys
    int bhFrom = from / tilesPerHead, bhTo = (to - 1) / tilesPerHead + 1; // the chunk's (batch, head) pairs
    float[] kt = st.keys(Math.min(heads, bhTo - bhFrom) * size);
    // With 4-row blocks (AVX2 and narrower), the values too, packed per head: see packValues.
    int pairs = PB == 4 ? dv / (2 * L) : 0, vSize = pairs * sk * 2 * L; // floats per head of packed values
    float[] vp = st.values(Math.min(heads, bhTo - bhFrom) * vSize);
    int packedFrom = 0, packedTo = 0; // the (batch, head) pairs whose keys kt holds, from kt[0]
    float[] sc = st.scores(RB * Math.min(KC, sk));
    float[] acc = st.acc(sk > KC ? RB * dv : 0);
    for (int it = from; it < to; it++) {
      int bh = it / tilesPerHead, i0 = (it % tilesPerHead) * tileRows, i1 = Math.min(sq, i0 + tileRows);
      int b = bh / heads, h = bh % heads;
      int qBase = pr.qOff() + b * pr.qB() + h * pr.qH();
      int vBase = pr.vOff() + b * pr.vB() + h * pr.vH();
      int oBase = pr.oOff() + b * pr.oB() + h * pr.oH();
      int mBase = pr.mOff() + b * pr.mB() + h * pr.mH();
      if (bh >= packedTo) {
        // The chunk's heads of this batch at once: see packKeys.
        packedFrom = bh;
        packedTo = Math.min(bhTo, (b + 1) * heads);
        packKeys(k, pr.kOff() + b * pr.kB(), pr.kH(), kR, h, h + packedTo - packedFrom, sk, d, kt);
        packValues(v, pr.vOff() + b * pr.vB(), pr.vH(), vR, h, h + packedTo - packedFrom, sk, pairs, vp);
      }
      int ktOff = (bh - packedFrom) * size, vpOff = (bh - packedFrom) * vSize;
      for (int r0 = i0; r0 < i1; r0 += RB) {
        int rows = Math.min(RB, i1 - r0);
        transposeQueries(q, qBase + r0 * qR, qR, rows, d, qt);
        if (rowMask) {
          // Lanes past the last row read the last row's mask.
          for (int r = 0; r < RB; r++) st.maskRows[r] = Math.min(r, rows - 1) * mR;
        }
        for (int c0 = 0; c0 < sk; c0 += KC) {
          int n = Math.min(KC, sk - c0);
          boolean first = c0 == 0, last = c0 + n == sk;
          int m = mBase + r0 * mR + c0 * mC; // the mask of the block's first row and the chunk's first key
          int km = keyMask == NO_MASK ? 0 : m;
          Arrays.fill(st.chunkMax, 0, RB, Float.NEGATIVE_INFINITY);
          int nb = n - n % PB;
          if (PB == 8) {
            scores8(qt, kt, ktOff + c0 * d, nb, d, scale, keyMask, km, keyMC, sc, st.chunkMax);
          } else {
            scores4(qt, kt, ktOff + c0 * d, nb, d, scale, keyMask, km, keyMC, sc, st.chunkMax);
          }
          for (int t = nb; t < n; t++) {
            int kp = ktOff + c0 * d + (t - t % KP) * d + t % KP;
            scores1(qt, kt, kp, d, scale, keyMask, km + t * keyMC, sc, t * RB, st.chunkMax);
          }
          if (rowMask) addRowMask(sc, n, mask, m, mC, st);
          expSums(sc, n, st, first, last);
          int r = 0;
          for (; r + PB <= rows; r += PB) {
            if (PB == 8) {
              pv8(sc, r, v, vBase + c0 * vR, vR, n, dv, acc, first, last, st, out, oBase + (r0 + r) * oR, oR);
            } else {
              pv4(sc, r, vp, vpOff + c0 * 2 * L, sk, pairs, v, vBase + c0 * vR, vR, n, dv, acc, first, last, st, out,
                  oBase + (r0 + r) * oR, oR);
            }
          }
          for (; r < rows; r++) {
            pv1(sc, r, v, vBase + c0 * vR, vR, n, dv, 0, acc, r * dv, first, last, st.rowCorrection[r],
                st.rowInverse[r], out, oBase + (r0 + r) * oR);
          }
        }
      }
    }
  }

  /**
   * The keys of heads {@code [h0, h1)} of one batch (head h's key t at {@code k[k0 + h·kH + t·kR]})
   * into panels of {@link #KP}, head h from {@code kt[(h - h0)·size]}:
   * {@code kt[(h - h0)·size + (t - t % KP)·d + p·KP + t % KP] = k[t, p]}. In registers,
   * {@link #transpose16}, for whole panels and 16 columns, a panel for every head in turn: when
   * heads are column slices of rows (a fused QKV product), the rows it reads stay in cache from one
   * head to the next, where a head at a time reads every row once per head, each in a page of its
   * own when rows are long (4.5 KiB for MiniLM's QKV). With 8-lane vectors, {@link #transpose8} on
   * the panel's two halves. The rest a float at a time.
   */
  private static void packKeys(float[] k, int k0, int kH, int kR, int h0, int h1, int sk, int d, float[] kt) {
    int size = Math.ceilDiv(sk, KP) * KP * d;
    int full = L == 16 || L == 8 ? sk - sk % KP : 0, dWhole = d - d % L; // columns in whole vectors
    for (int t = 0; t < full; t += KP) {
      for (int h = h0; h < h1; h++) {
        int src = k0 + h * kH + t * kR, dst = (h - h0) * size + t * d;
        for (int p0 = 0; p0 < dWhole; p0 += L) {
          if (L == 16) {
            transpose16(k, src + p0, kR, kt, dst + p0 * KP, KP);
          } else {
            // The panel's 16 keys as two 8 × 8 blocks.
            transpose8(k, src + p0, kR, kt, dst + p0 * KP, KP);
            transpose8(k, src + 8 * kR + p0, kR, kt, dst + p0 * KP + 8, KP);
          }
        }
      }
    }
    for (int h = h0; h < h1; h++) {
      for (int t = 0; t < sk; t++) {
        int dst = (h - h0) * size + (t - t % KP) * d + t % KP, src = k0 + h * kH + t * kR;
        for (int p = t < full ? dWhole : 0; p < d; p++) kt[dst + p * KP] = k[src + p];
      }
    }
  }

  /**
   * The values of heads {@code [h0, h1)} of one batch (head h's value row t at
   * {@code v[v0 + h·vH + t·vR]}), their first {@code pairs·2·L} columns, for {@link #pv4Pair}:
   * head h from {@code vp[(h - h0)·size]}, {@code size = pairs·sk·2·L}, then a panel per two
   * vectors of columns, {@code sk} rows of {@code 2·L} floats each. Read in place, a value row is
   * {@code vR} floats from the next (a page apart in a fused QKV product), a stride the loop only
   * knows at run time, so C2 keeps a range check on every load and cannot unroll the loop around
   * it; packed, the stride is the constant {@code 2·L} and the rows of a panel are contiguous.
   * Values are packed once per head and read once per block of {@link #RB} query rows.
   */
  private static void packValues(float[] v, int v0, int vH, int vR, int h0, int h1, int sk, int pairs, float[] vp) {
    int size = pairs * sk * 2 * L;
    // Key by key: when heads are column slices of rows (a fused QKV product), a row's heads are
    // read together, one page of the rows after another.
    for (int t = 0; t < sk; t++) {
      for (int h = h0; h < h1; h++) {
        for (int c = 0, src = v0 + h * vH + t * vR, dst = (h - h0) * size + t * 2 * L; c < pairs; c++) {
          FloatVector.fromArray(S, v, src + c * 2 * L).intoArray(vp, dst + c * sk * 2 * L);
          FloatVector.fromArray(S, v, src + c * 2 * L + L).intoArray(vp, dst + c * sk * 2 * L + L);
        }
      }
    }
  }

  /**
   * {@code qt[p·RB + r] = q[q0 + r·qR + p]} for {@code r < rows}, {@code p < d}; 0 for the lanes
   * past {@code rows}. In registers, {@link #transpose16} or {@link #transpose8}, for whole blocks;
   * else, and for the last {@code d % L} columns, a float at a time.
   */
  private static void transposeQueries(float[] q, int q0, int qR, int rows, int d, float[] qt) {
    int p0 = 0;
    if ((L == 16 || L == 8) && rows == RB) {
      for (; p0 + L <= d; p0 += L) {
        if (L == 16) {
          transpose16(q, q0 + p0, qR, qt, p0 * RB, RB);
          transpose16(q, q0 + L * qR + p0, qR, qt, p0 * RB + L, RB);
        } else {
          transpose8(q, q0 + p0, qR, qt, p0 * RB, RB);
          transpose8(q, q0 + L * qR + p0, qR, qt, p0 * RB + L, RB);
        }
      }
    }
    for (int r = 0; r < rows; r++) {
      for (int p = p0, qi = q0 + r * qR; p < d; p++) qt[p * RB + r] = q[qi + p];
    }
    for (int p = 0; p < d; p++) {
      for (int r = rows; r < RB; r++) qt[p * RB + r] = 0f;
    }
  }

  // transpose16's four steps, for blocks of b = 8, 4, 2, 1 lanes (transpose8's last three): SWAP_b
  // moves lane j to lane j ± b within its 2b-lane tile, HIGH_b holds the lanes j with j & b set.
  // (16- and 8-lane vectors only; null where b is not below the lane count.)
  private static final VectorShuffle<Float> SWAP8 = swap(8), SWAP4 = swap(4), SWAP2 = swap(2), SWAP1 = swap(1);
  private static final VectorMask<Float> HIGH8 = high(8), HIGH4 = high(4), HIGH2 = high(2), HIGH1 = high(1);

  private static VectorShuffle<Float> swap(int b) {
    if (L != 16 && L != 8 || b >= L) return null;
    int[] to = new int[L];
    for (int j = 0; j < L; j++) to[j] = (j & b) == 0 ? j + b : j - b;
    return VectorShuffle.fromArray(S, to, 0);
  }

  private static VectorMask<Float> high(int b) {
    if (L != 16 && L != 8 || b >= L) return null;
    boolean[] set = new boolean[L];
    for (int j = 0; j < L; j++) set[j] = (j & b) != 0;
    return VectorMask.fromArray(S, set, 0);
  }

  /**
   * The 16 × 16 floats {@code a[ai + r·aR + p]} transposed into {@code to[o + p·os + r]}
   * ({@code L == 16}): 16 rows loaded; in four steps, each pair of vectors x, y that are b apart
   * (b = 8, 4, 2, 1) swaps the off-diagonal b × b blocks of the 2b × 2b tiles they span
   * ({@code x[j] <-> y[j - b]} for the lanes j with {@code j & b} set); the columns stored.
   */
  private static void transpose16(float[] a, int ai, int aR, float[] to, int o, int os) {
    FloatVector x0 = FloatVector.fromArray(S, a, ai), x1 = FloatVector.fromArray(S, a, ai + aR);
    FloatVector x2 = FloatVector.fromArray(S, a, ai + 2 * aR), x3 = FloatVector.fromArray(S, a, ai + 3 * aR);
    FloatVector x4 = FloatVector.fromArray(S, a, ai + 4 * aR), x5 = FloatVector.fromArray(S, a, ai + 5 * aR);
    FloatVector x6 = FloatVector.fromArray(S, a, ai + 6 * aR), x7 = FloatVector.fromArray(S, a, ai + 7 * aR);
    FloatVector x8 = FloatVector.fromArray(S, a, ai + 8 * aR), x9 = FloatVector.fromArray(S, a, ai + 9 * aR);
    FloatVector x10 = FloatVector.fromArray(S, a, ai + 10 * aR), x11 = FloatVector.fromArray(S, a, ai + 11 * aR);
    FloatVector x12 = FloatVector.fromArray(S, a, ai + 12 * aR), x13 = FloatVector.fromArray(S, a, ai + 13 * aR);
    FloatVector x14 = FloatVector.fromArray(S, a, ai + 14 * aR), x15 = FloatVector.fromArray(S, a, ai + 15 * aR);
    VectorShuffle<Float> u = SWAP8;
    VectorMask<Float> h = HIGH8;
    FloatVector y;
    y = x0.blend(x8.rearrange(u), h); x8 = x0.rearrange(u).blend(x8, h); x0 = y;
    y = x1.blend(x9.rearrange(u), h); x9 = x1.rearrange(u).blend(x9, h); x1 = y;
    y = x2.blend(x10.rearrange(u), h); x10 = x2.rearrange(u).blend(x10, h); x2 = y;
    y = x3.blend(x11.rearrange(u), h); x11 = x3.rearrange(u).blend(x11, h); x3 = y;
    y = x4.blend(x12.rearrange(u), h); x12 = x4.rearrange(u).blend(x12, h); x4 = y;
    y = x5.blend(x13.rearrange(u), h); x13 = x5.rearrange(u).blend(x13, h); x5 = y;
    y = x6.blend(x14.rearrange(u), h); x14 = x6.rearrange(u).blend(x14, h); x6 = y;
    y = x7.blend(x15.rearrange(u), h); x15 = x7.rearrange(u).blend(x15, h); x7 = y;
    u = SWAP4;
    h = HIGH4;
    y = x0.blend(x4.rearrange(u), h); x4 = x0.rearrange(u).blend(x4, h); x0 = y;
    y = x1.blend(x5.rearrange(u), h); x5 = x1.rearrange(u).blend(x5, h); x1 = y;
    y = x2.blend(x6.rearrange(u), h); x6 = x2.rearrange(u).blend(x6, h); x2 = y;
    y = x3.blend(x7.rearrange(u), h); x7 = x3.rearrange(u).blend(x7, h); x3 = y;
    y = x8.blend(x12.rearrange(u), h); x12 = x8.rearrange(u).blend(x12, h); x8 = y;
    y = x9.blend(x13.rearrange(u), h); x13 = x9.rearrange(u).blend(x13, h); x9 = y;
    y = x10.blend(x14.rearrange(u), h); x14 = x10.rearrange(u).blend(x14, h); x10 = y;
    y = x11.blend(x15.rearrange(u), h); x15 = x11.rearrange(u).blend(x15, h); x11 = y;
    u = SWAP2;
    h = HIGH2;
    y = x0.blend(x2.rearrange(u), h); x2 = x0.rearrange(u).blend(x2, h); x0 = y;
    y = x1.blend(x3.rearrange(u), h); x3 = x1.rearrange(u).blend(x3, h); x1 = y;
    y = x4.blend(x6.rearrange(u), h); x6 = x4.rearrange(u).blend(x6, h); x4 = y;
    y = x5.blend(x7.rearrange(u), h); x7 = x5.rearrange(u).blend(x7, h); x5 = y;
    y = x8.blend(x10.rearrange(u), h); x10 = x8.rearrange(u).blend(x10, h); x8 = y;
    y = x9.blend(x11.rearrange(u), h); x11 = x9.rearrange(u).blend(x11, h); x9 = y;
    y = x12.blend(x14.rearrange(u), h); x14 = x12.rearrange(u).blend(x14, h); x12 = y;
    y = x13.blend(x15.rearrange(u), h); x15 = x13.rearrange(u).blend(x15, h); x13 = y;
    u = SWAP1;
    h = HIGH1;
    y = x0.blend(x1.rearrange(u), h); x1 = x0.rearrange(u).blend(x1, h); x0 = y;
    y = x2.blend(x3.rearrange(u), h); x3 = x2.rearrange(u).blend(x3, h); x2 = y;
    y = x4.blend(x5.rearrange(u), h); x5 = x4.rearrange(u).blend(x5, h); x4 = y;
    y = x6.blend(x7.rearrange(u), h); x7 = x6.rearrange(u).blend(x7, h); x6 = y;
    y = x8.blend(x9.rearrange(u), h); x9 = x8.rearrange(u).blend(x9, h); x8 = y;
    y = x10.blend(x11.rearrange(u), h); x11 = x10.rearrange(u).blend(x11, h); x10 = y;
    y = x12.blend(x13.rearrange(u), h); x13 = x12.rearrange(u).blend(x13, h); x12 = y;
    y = x14.blend(x15.rearrange(u), h); x15 = x14.rearrange(u).blend(x15, h); x14 = y;
    x0.intoArray(to, o); x1.intoArray(to, o + os); x2.intoArray(to, o + 2 * os); x3.intoArray(to, o + 3 * os);
    x4.intoArray(to, o + 4 * os); x5.intoArray(to, o + 5 * os); x6.intoArray(to, o + 6 * os); x7.intoArray(to, o + 7 * os);
    x8.intoArray(to, o + 8 * os); x9.intoArray(to, o + 9 * os); x10.intoArray(to, o + 10 * os);
    x11.intoArray(to, o + 11 * os); x12.intoArray(to, o + 12 * os); x13.intoArray(to, o + 13 * os);
    x14.intoArray(to, o + 14 * os); x15.intoArray(to, o + 15 * os);
  }

  /**
   * {@link #transpose16} for 8-lane vectors ({@code L == 8}): the 8 × 8 floats
   * {@code a[ai + r·aR + p]} into {@code to[o + p·os + r]}, in three steps (b = 4, 2, 1).
   */
  private static void transpose8(float[] a, int ai, int aR, float[] to, int o, int os) {
    FloatVector x0 = FloatVector.fromArray(S, a, ai), x1 = FloatVector.fromArray(S, a, ai + aR);
    FloatVector x2 = FloatVector.fromArray(S, a, ai + 2 * aR), x3 = FloatVector.fromArray(S, a, ai + 3 * aR);
    FloatVector x4 = FloatVector.fromArray(S, a, ai + 4 * aR), x5 = FloatVector.fromArray(S, a, ai + 5 * aR);
    FloatVector x6 = FloatVector.fromArray(S, a, ai + 6 * aR), x7 = FloatVector.fromArray(S, a, ai + 7 * aR);
    VectorShuffle<Float> u = SWAP4;
    VectorMask<Float> h = HIGH4;
    FloatVector y;
    y = x0.blend(x4.rearrange(u), h); x4 = x0.rearrange(u).blend(x4, h); x0 = y;
    y = x1.blend(x5.rearrange(u), h); x5 = x1.rearrange(u).blend(x5, h); x1 = y;
    y = x2.blend(x6.rearrange(u), h); x6 = x2.rearrange(u).blend(x6, h); x2 = y;
    y = x3.blend(x7.rearrange(u), h); x7 = x3.rearrange(u).blend(x7, h); x3 = y;
    u = SWAP2;
    h = HIGH2;
    y = x0.blend(x2.rearrange(u), h); x2 = x0.rearrange(u).blend(x2, h); x0 = y;
    y = x1.blend(x3.rearrange(u), h); x3 = x1.rearrange(u).blend(x3, h); x1 = y;
    y = x4.blend(x6.rearrange(u), h); x6 = x4.rearrange(u).blend(x6, h); x4 = y;
    y = x5.blend(x7.rearrange(u), h); x7 = x5.rearrange(u).blend(x7, h); x5 = y;
    u = SWAP1;
    h = HIGH1;
    y = x0.blend(x1.rearrange(u), h); x1 = x0.rearrange(u).blend(x1, h); x0 = y;
    y = x2.blend(x3.rearrange(u), h); x3 = x2.rearrange(u).blend(x3, h); x2 = y;
    y = x4.blend(x5.rearrange(u), h); x5 = x4.rearrange(u).blend(x5, h); x4 = y;
    y = x6.blend(x7.rearrange(u), h); x7 = x6.rearrange(u).blend(x7, h); x6 = y;
    x0.intoArray(to, o); x1.intoArray(to, o + os); x2.intoArray(to, o + 2 * os); x3.intoArray(to, o + 3 * os);
    x4.intoArray(to, o + 4 * os); x5.intoArray(to, o + 5 * os); x6.intoArray(to, o + 6 * os); x7.intoArray(to, o + 7 * os);
  }

  /**
   * Scores of the block's rows for keys {@code t < n} (a multiple of 8) of a chunk whose packed
   * keys start at {@code kt[k0]} (a chunk starts at a whole panel: {@value Attention#KEY_CHUNK}
   * is a multiple of {@link #KP}), key t's mask (the same for every row) {@code mask[m + t·mC]}:
   * {@code sc[t·RB + r] = scale·(Σ_p q[r, p]·k[t, p]) + mask}, p in order, the last step one
   * fused multiply-add, 8 keys at a time; {@code max}, the lanewise maximum of the chunk's scores
   * so far, takes them in.
   */
  private static void scores8(float[] qt, float[] kt, int k0, int n, int d, float scale, float[] mask, int m,
      int mC, float[] sc, float[] max) {
    FloatVector sv = FloatVector.broadcast(S, scale), zero = FloatVector.zero(S);
    FloatVector max0 = FloatVector.fromArray(S, max, 0), max1 = FloatVector.fromArray(S, max, L);
    for (int t = 0, s = 0; t < n; t += 8, s += 8 * RB, m += 8 * mC) {
      int kp = k0 + (t - t % KP) * d + t % KP; // the panel of keys t ..., from its column t % KP
      FloatVector a00 = zero, a01 = zero, a10 = zero, a11 = zero, a20 = zero, a21 = zero, a30 = zero, a31 = zero;
      FloatVector a40 = zero, a41 = zero, a50 = zero, a51 = zero, a60 = zero, a61 = zero, a70 = zero, a71 = zero;
      for (int p = 0, qp = 0; p < d; p++, qp += RB, kp += KP) {
        FloatVector q0 = FloatVector.fromArray(S, qt, qp);
        FloatVector q1 = FloatVector.fromArray(S, qt, qp + L);
        FloatVector x = FloatVector.broadcast(S, kt[kp]); a00 = x.fma(q0, a00); a01 = x.fma(q1, a01);
        x = FloatVector.broadcast(S, kt[kp + 1]); a10 = x.fma(q0, a10); a11 = x.fma(q1, a11);
        x = FloatVector.broadcast(S, kt[kp + 2]); a20 = x.fma(q0, a20); a21 = x.fma(q1, a21);
        x = FloatVector.broadcast(S, kt[kp + 3]); a30 = x.fma(q0, a30); a31 = x.fma(q1, a31);
        x = FloatVector.broadcast(S, kt[kp + 4]); a40 = x.fma(q0, a40); a41 = x.fma(q1, a41);
        x = FloatVector.broadcast(S, kt[kp + 5]); a50 = x.fma(q0, a50); a51 = x.fma(q1, a51);
        x = FloatVector.broadcast(S, kt[kp + 6]); a60 = x.fma(q0, a60); a61 = x.fma(q1, a61);
        x = FloatVector.broadcast(S, kt[kp + 7]); a70 = x.fma(q0, a70); a71 = x.fma(q1, a71);
      }
      FloatVector x = FloatVector.broadcast(S, mask[m]); a00 = a00.fma(sv, x); a01 = a01.fma(sv, x);
      x = FloatVector.broadcast(S, mask[m + mC]); a10 = a10.fma(sv, x); a11 = a11.fma(sv, x);
      x = FloatVector.broadcast(S, mask[m + 2 * mC]); a20 = a20.fma(sv, x); a21 = a21.fma(sv, x);
      x = FloatVector.broadcast(S, mask[m + 3 * mC]); a30 = a30.fma(sv, x); a31 = a31.fma(sv, x);
      x = FloatVector.broadcast(S, mask[m + 4 * mC]); a40 = a40.fma(sv, x); a41 = a41.fma(sv, x);
      x = FloatVector.broadcast(S, mask[m + 5 * mC]); a50 = a50.fma(sv, x); a51 = a51.fma(sv, x);
      x = FloatVector.broadcast(S, mask[m + 6 * mC]); a60 = a60.fma(sv, x); a61 = a61.fma(sv, x);
      x = FloatVector.broadcast(S, mask[m + 7 * mC]); a70 = a70.fma(sv, x); a71 = a71.fma(sv, x);
      a00.intoArray(sc, s); a01.intoArray(sc, s + L);
      a10.intoArray(sc, s + RB); a11.intoArray(sc, s + RB + L);
      a20.intoArray(sc, s + 2 * RB); a21.intoArray(sc, s + 2 * RB + L);
      a30.intoArray(sc, s + 3 * RB); a31.intoArray(sc, s + 3 * RB + L);
      a40.intoArray(sc, s + 4 * RB); a41.intoArray(sc, s + 4 * RB + L);
      a50.intoArray(sc, s + 5 * RB); a51.intoArray(sc, s + 5 * RB + L);
      a60.intoArray(sc, s + 6 * RB); a61.intoArray(sc, s + 6 * RB + L);
      a70.intoArray(sc, s + 7 * RB); a71.intoArray(sc, s + 7 * RB + L);
      // The maximum as a tree, so that it is not one chain of dependent operations. (Lanewise
      // max, which orders NaN and -0.0 as Math.max does, takes more instructions than compare and
      // blend, but fewer of C2's nodes: with compare and blend this method outgrows C2's inlining
      // budget, and the calls it leaves allocate vectors.)
      max0 = max0.max(a00.max(a10).max(a20.max(a30)).max(a40.max(a50).max(a60.max(a70))));
      max1 = max1.max(a01.max(a11).max(a21.max(a31)).max(a41.max(a51).max(a61.max(a71))));
    }
    max0.intoArray(max, 0);
    max1.intoArray(max, L);
  }

  /** {@link #scores8} for 4 keys at a time ({@code n} a multiple of 4): 8 accumulators, for AVX2. */
  private static void scores4(float[] qt, float[] kt, int k0, int n, int d, float scale, float[] mask, int m,
      int mC, float[] sc, float[] max) {
    FloatVector sv = FloatVector.broadcast(S, scale), zero = FloatVector.zero(S);
    FloatVector max0 = FloatVector.fromArray(S, max, 0), max1 = FloatVector.fromArray(S, max, L);
    for (int t = 0, s = 0; t < n; t += 4, s += 4 * RB, m += 4 * mC) {
      int kp = k0 + (t - t % KP) * d + t % KP; // the panel of keys t ..., from its column t % KP
      FloatVector a00 = zero, a01 = zero, a10 = zero, a11 = zero, a20 = zero, a21 = zero, a30 = zero, a31 = zero;
      for (int p = 0, qp = 0; p < d; p++, qp += RB, kp += KP) {
        FloatVector q0 = FloatVector.fromArray(S, qt, qp);
        FloatVector q1 = FloatVector.fromArray(S, qt, qp + L);
        FloatVector x = FloatVector.broadcast(S, kt[kp]); a00 = x.fma(q0, a00); a01 = x.fma(q1, a01);
        x = FloatVector.broadcast(S, kt[kp + 1]); a10 = x.fma(q0, a10); a11 = x.fma(q1, a11);
        x = FloatVector.broadcast(S, kt[kp + 2]); a20 = x.fma(q0, a20); a21 = x.fma(q1, a21);
        x = FloatVector.broadcast(S, kt[kp + 3]); a30 = x.fma(q0, a30); a31 = x.fma(q1, a31);
      }
      FloatVector x = FloatVector.broadcast(S, mask[m]); a00 = a00.fma(sv, x); a01 = a01.fma(sv, x);
      x = FloatVector.broadcast(S, mask[m + mC]); a10 = a10.fma(sv, x); a11 = a11.fma(sv, x);
      x = FloatVector.broadcast(S, mask[m + 2 * mC]); a20 = a20.fma(sv, x); a21 = a21.fma(sv, x);
      x = FloatVector.broadcast(S, mask[m + 3 * mC]); a30 = a30.fma(sv, x); a31 = a31.fma(sv, x);
      a00.intoArray(sc, s); a01.intoArray(sc, s + L);
      a10.intoArray(sc, s + RB); a11.intoArray(sc, s + RB + L);
      a20.intoArray(sc, s + 2 * RB); a21.intoArray(sc, s + 2 * RB + L);
      a30.intoArray(sc, s + 3 * RB); a31.intoArray(sc, s + 3 * RB + L);
      max0 = max0.max(a00.max(a10).max(a20.max(a30)));
      max1 = max1.max(a01.max(a11).max(a21.max(a31)));
    }
    max0.intoArray(max, 0);
    max1.intoArray(max, L);
  }

  /** {@link #scores8} for one key, its column of a panel from {@code kt[ki]}, its mask {@code mask[m]}. */
  private static void scores1(float[] qt, float[] kt, int ki, int d, float scale, float[] mask, int m, float[] sc,
      int s, float[] max) {
    FloatVector a0 = FloatVector.zero(S), a1 = a0;
    for (int p = 0, qp = 0; p < d; p++, qp += RB, ki += KP) {
      FloatVector x = FloatVector.broadcast(S, kt[ki]);
      a0 = x.fma(FloatVector.fromArray(S, qt, qp), a0);
      a1 = x.fma(FloatVector.fromArray(S, qt, qp + L), a1);
    }
    FloatVector sv = FloatVector.broadcast(S, scale);
    FloatVector x = FloatVector.broadcast(S, mask[m]);
    a0 = a0.fma(sv, x);
    a1 = a1.fma(sv, x);
    a0.intoArray(sc, s);
    a1.intoArray(sc, s + L);
    FloatVector.fromArray(S, max, 0).max(a0).intoArray(max, 0);
    FloatVector.fromArray(S, max, L).max(a1).intoArray(max, L);
  }

  /**
   * A mask that varies along rows, added to a chunk's {@code n} keys of scores in {@code sc}:
   * for key t and lane r, {@code mask[m + t·mC + st.maskRows[r]]}, gathered; {@code st.chunkMax}
   * becomes the lanewise maximum of the sums.
   */
  private static void addRowMask(float[] sc, int n, float[] mask, int m, int mC, AttentionScratch st) {
    int[] rowsAt = st.maskRows;
    FloatVector max0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY), max1 = max0;
    for (int t = 0, s = 0, mt = m; t < n; t++, s += RB, mt += mC) {
      FloatVector s0 = FloatVector.fromArray(S, sc, s).add(FloatVector.fromArray(S, mask, mt, rowsAt, 0));
      FloatVector s1 = FloatVector.fromArray(S, sc, s + L).add(FloatVector.fromArray(S, mask, mt, rowsAt, L));
      s0.intoArray(sc, s);
      s1.intoArray(sc, s + L);
      max0 = max0.max(s0);
      max1 = max1.max(s1);
    }
    max0.intoArray(st.chunkMax, 0);
    max1.intoArray(st.chunkMax, L);
  }

  /**
   * Softmax, second pass: the rows' running maxima take in this chunk's ({@code st.chunkMax}),
   * every score becomes its weight {@code e^(s - max)}, and the running sums take in the
   * weights, added key after key; earlier chunks' sums are rescaled by {@code e^(old - new max)},
   * left in {@code st.rowCorrection} for the output. After the last chunk, {@code 1 / sum} in
   * {@code st.rowInverse}.
   */
  private static void expSums(float[] sc, int n, AttentionScratch st, boolean first, boolean last) {
    // e^x = 2^(x·log2 e) = 2^n · 2^r with n the nearest integer and |r| <= 1/2; r = x·log2 e - n
    // in one fused multiply-add.
    FloatVector log2e = FloatVector.broadcast(S, LOG2E), round = FloatVector.broadcast(S, ROUND);
    FloatVector c3 = FloatVector.broadcast(S, C3), c2 = FloatVector.broadcast(S, C2), c1 = FloatVector.broadcast(S, C1);
    FloatVector one = FloatVector.broadcast(S, 1f);
    FloatVector max0 = FloatVector.fromArray(S, st.chunkMax, 0), max1 = FloatVector.fromArray(S, st.chunkMax, L);
    FloatVector sum0 = FloatVector.zero(S), sum1 = sum0;
    if (!first) {
      FloatVector old0 = FloatVector.fromArray(S, st.rowMax, 0), old1 = FloatVector.fromArray(S, st.rowMax, L);
      max0 = max0.max(old0);
      max1 = max1.max(old1);
      // As below: a row whose keys so far are all masked with -inf subtracts 0, not -inf.
      FloatVector base0 = max0.blend(0f, max0.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY));
      FloatVector base1 = max1.blend(0f, max1.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY));
      FloatVector x0 = old0.sub(base0), x1 = old1.sub(base1);
      FloatVector rounded0 = x0.fma(log2e, round), rounded1 = x1.fma(log2e, round);
      FloatVector rem0 = x0.fma(log2e, round.sub(rounded0)), rem1 = x1.fma(log2e, round.sub(rounded1));
      FloatVector corr0 = rem0.fma(C5, C4).fma(rem0, c3).fma(rem0, c2).fma(rem0, c1).fma(rem0, one)
          .reinterpretAsInts().add(rounded0.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23)).reinterpretAsFloats()
          .blend(0f, x0.compare(VectorOperators.LT, EXP_LOW));
      FloatVector corr1 = rem1.fma(C5, C4).fma(rem1, c3).fma(rem1, c2).fma(rem1, c1).fma(rem1, one)
          .reinterpretAsInts().add(rounded1.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23)).reinterpretAsFloats()
          .blend(0f, x1.compare(VectorOperators.LT, EXP_LOW));
      corr0.intoArray(st.rowCorrection, 0);
      corr1.intoArray(st.rowCorrection, L);
      sum0 = FloatVector.fromArray(S, st.rowSum, 0).mul(corr0);
      sum1 = FloatVector.fromArray(S, st.rowSum, L).mul(corr1);
    }
    max0.intoArray(st.rowMax, 0);
    max1.intoArray(st.rowMax, L);
    // While every key of a row so far is masked with -inf, its maximum is -inf and s - max would
    // be -inf - (-inf) = NaN, which no later correction by 0 undoes: subtract 0 there instead
    // (e^(-inf - 0) = 0, the weight those keys have).
    max0 = max0.blend(0f, max0.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY));
    max1 = max1.blend(0f, max1.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY));
    for (int t = 0, s = 0; t < n; t++, s += RB) {
      FloatVector x0 = FloatVector.fromArray(S, sc, s).sub(max0);
      FloatVector x1 = FloatVector.fromArray(S, sc, s + L).sub(max1);
      FloatVector rounded0 = x0.fma(log2e, round), rounded1 = x1.fma(log2e, round); // n in the low mantissa bits
      FloatVector rem0 = x0.fma(log2e, round.sub(rounded0)), rem1 = x1.fma(log2e, round.sub(rounded1));
      FloatVector e0 = rem0.fma(C5, C4).fma(rem0, c3).fma(rem0, c2).fma(rem0, c1).fma(rem0, one)
          .reinterpretAsInts().add(rounded0.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23)).reinterpretAsFloats()
          .blend(0f, x0.compare(VectorOperators.LT, EXP_LOW));
      FloatVector e1 = rem1.fma(C5, C4).fma(rem1, c3).fma(rem1, c2).fma(rem1, c1).fma(rem1, one)
          .reinterpretAsInts().add(rounded1.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23)).reinterpretAsFloats()
          .blend(0f, x1.compare(VectorOperators.LT, EXP_LOW));
      e0.intoArray(sc, s);
      e1.intoArray(sc, s + L);
      sum0 = sum0.add(e0);
      sum1 = sum1.add(e1);
    }
    sum0.intoArray(st.rowSum, 0);
    sum1.intoArray(st.rowSum, L);
    if (last) {
      one.div(sum0).intoArray(st.rowInverse, 0);
      one.div(sum1).intoArray(st.rowInverse, L);
    }
  }

  /**
   * {@code out rows += weights · v} for the block's rows {@code [r, r + 8)}: weights
   * {@code sc[t·RB + r]}, value rows {@code v[v0 + t·vR]}, {@code t < n}. Starts from zero on
   * the first chunk, else from {@code acc} (row i at {@code acc[i·dv]}) times each row's
   * correction; ends in {@code out} (rows from {@code o0}, {@code oR} apart) times each row's
   * {@code 1 / sum} on the last chunk, else in {@code acc}.
   */
  private static void pv8(float[] sc, int r, float[] v, int v0, int vR, int n, int dv, float[] acc,
      boolean first, boolean last, AttentionScratch st, float[] out, int o0, int oR) {
    int c = 0;
    for (; c + 2 * L <= dv; c += 2 * L) pv8Pair(sc, r, v, v0, vR, n, dv, c, acc, first, last, st, out, o0, oR);
    if (c + L <= dv) {
      pv8Single(sc, r, v, v0, vR, n, dv, c, acc, first, last, st, out, o0, oR);
      c += L;
    }
    if (c < dv) {
      // The last dv % L columns: masked, a row at a time.
      for (int i = r; i < r + PB; i++) {
        pv1(sc, i, v, v0, vR, n, dv, c, acc, i * dv, first, last, st.rowCorrection[i], st.rowInverse[i], out,
            o0 + (i - r) * oR);
      }
    }
  }

  /** {@link #pv8} for output columns {@code [c, c + 2·L)}. */
  private static void pv8Pair(float[] sc, int r, float[] v, int v0, int vR, int n, int dv, int c, float[] acc,
      boolean first, boolean last, AttentionScratch st, float[] out, int o0, int oR) {
    int o1 = o0 + oR, o2 = o1 + oR, o3 = o2 + oR, o4 = o3 + oR, o5 = o4 + oR, o6 = o5 + oR, o7 = o6 + oR;
    int a0 = r * dv + c; // row r's columns c... in acc
    FloatVector a00, a01, a10, a11, a20, a21, a30, a31, a40, a41, a50, a51, a60, a61, a70, a71;
    if (first) {
      FloatVector zero = FloatVector.zero(S);
      a00 = zero; a01 = zero; a10 = zero; a11 = zero; a20 = zero; a21 = zero; a30 = zero; a31 = zero;
      a40 = zero; a41 = zero; a50 = zero; a51 = zero; a60 = zero; a61 = zero; a70 = zero; a71 = zero;
    } else {
      float[] corr = st.rowCorrection;
      a00 = FloatVector.fromArray(S, acc, a0).mul(corr[r]);
      a01 = FloatVector.fromArray(S, acc, a0 + L).mul(corr[r]);
      a10 = FloatVector.fromArray(S, acc, a0 + dv).mul(corr[r + 1]);
      a11 = FloatVector.fromArray(S, acc, a0 + dv + L).mul(corr[r + 1]);
      a20 = FloatVector.fromArray(S, acc, a0 + 2 * dv).mul(corr[r + 2]);
      a21 = FloatVector.fromArray(S, acc, a0 + 2 * dv + L).mul(corr[r + 2]);
      a30 = FloatVector.fromArray(S, acc, a0 + 3 * dv).mul(corr[r + 3]);
      a31 = FloatVector.fromArray(S, acc, a0 + 3 * dv + L).mul(corr[r + 3]);
      a40 = FloatVector.fromArray(S, acc, a0 + 4 * dv).mul(corr[r + 4]);
      a41 = FloatVector.fromArray(S, acc, a0 + 4 * dv + L).mul(corr[r + 4]);
      a50 = FloatVector.fromArray(S, acc, a0 + 5 * dv).mul(corr[r + 5]);
      a51 = FloatVector.fromArray(S, acc, a0 + 5 * dv + L).mul(corr[r + 5]);
      a60 = FloatVector.fromArray(S, acc, a0 + 6 * dv).mul(corr[r + 6]);
      a61 = FloatVector.fromArray(S, acc, a0 + 6 * dv + L).mul(corr[r + 6]);
      a70 = FloatVector.fromArray(S, acc, a0 + 7 * dv).mul(corr[r + 7]);
      a71 = FloatVector.fromArray(S, acc, a0 + 7 * dv + L).mul(corr[r + 7]);
    }
    for (int t = 0, w = r, vt = v0 + c; t < n; t++, w += RB, vt += vR) {
      FloatVector w0 = FloatVector.fromArray(S, v, vt);
      FloatVector w1 = FloatVector.fromArray(S, v, vt + L);
      FloatVector x = FloatVector.broadcast(S, sc[w]); a00 = x.fma(w0, a00); a01 = x.fma(w1, a01);
      x = FloatVector.broadcast(S, sc[w + 1]); a10 = x.fma(w0, a10); a11 = x.fma(w1, a11);
      x = FloatVector.broadcast(S, sc[w + 2]); a20 = x.fma(w0, a20); a21 = x.fma(w1, a21);
      x = FloatVector.broadcast(S, sc[w + 3]); a30 = x.fma(w0, a30); a31 = x.fma(w1, a31);
      x = FloatVector.broadcast(S, sc[w + 4]); a40 = x.fma(w0, a40); a41 = x.fma(w1, a41);
      x = FloatVector.broadcast(S, sc[w + 5]); a50 = x.fma(w0, a50); a51 = x.fma(w1, a51);
      x = FloatVector.broadcast(S, sc[w + 6]); a60 = x.fma(w0, a60); a61 = x.fma(w1, a61);
      x = FloatVector.broadcast(S, sc[w + 7]); a70 = x.fma(w0, a70); a71 = x.fma(w1, a71);
    }
    if (last) {
      float[] inv = st.rowInverse;
      a00.mul(inv[r]).intoArray(out, o0 + c); a01.mul(inv[r]).intoArray(out, o0 + c + L);
      a10.mul(inv[r + 1]).intoArray(out, o1 + c); a11.mul(inv[r + 1]).intoArray(out, o1 + c + L);
      a20.mul(inv[r + 2]).intoArray(out, o2 + c); a21.mul(inv[r + 2]).intoArray(out, o2 + c + L);
      a30.mul(inv[r + 3]).intoArray(out, o3 + c); a31.mul(inv[r + 3]).intoArray(out, o3 + c + L);
      a40.mul(inv[r + 4]).intoArray(out, o4 + c); a41.mul(inv[r + 4]).intoArray(out, o4 + c + L);
      a50.mul(inv[r + 5]).intoArray(out, o5 + c); a51.mul(inv[r + 5]).intoArray(out, o5 + c + L);
      a60.mul(inv[r + 6]).intoArray(out, o6 + c); a61.mul(inv[r + 6]).intoArray(out, o6 + c + L);
      a70.mul(inv[r + 7]).intoArray(out, o7 + c); a71.mul(inv[r + 7]).intoArray(out, o7 + c + L);
    } else {
      a00.intoArray(acc, a0); a01.intoArray(acc, a0 + L);
      a10.intoArray(acc, a0 + dv); a11.intoArray(acc, a0 + dv + L);
      a20.intoArray(acc, a0 + 2 * dv); a21.intoArray(acc, a0 + 2 * dv + L);
      a30.intoArray(acc, a0 + 3 * dv); a31.intoArray(acc, a0 + 3 * dv + L);
      a40.intoArray(acc, a0 + 4 * dv); a41.intoArray(acc, a0 + 4 * dv + L);
      a50.intoArray(acc, a0 + 5 * dv); a51.intoArray(acc, a0 + 5 * dv + L);
      a60.intoArray(acc, a0 + 6 * dv); a61.intoArray(acc, a0 + 6 * dv + L);
      a70.intoArray(acc, a0 + 7 * dv); a71.intoArray(acc, a0 + 7 * dv + L);
    }
  }

  /** {@link #pv8} for output columns {@code [c, c + L)}. */
  private static void pv8Single(float[] sc, int r, float[] v, int v0, int vR, int n, int dv, int c, float[] acc,
      boolean first, boolean last, AttentionScratch st, float[] out, int o0, int oR) {
    int o1 = o0 + oR, o2 = o1 + oR, o3 = o2 + oR, o4 = o3 + oR, o5 = o4 + oR, o6 = o5 + oR, o7 = o6 + oR;
    int a0 = r * dv + c;
    FloatVector a00, a10, a20, a30, a40, a50, a60, a70;
    if (first) {
      FloatVector zero = FloatVector.zero(S);
      a00 = zero; a10 = zero; a20 = zero; a30 = zero; a40 = zero; a50 = zero; a60 = zero; a70 = zero;
    } else {
      float[] corr = st.rowCorrection;
      a00 = FloatVector.fromArray(S, acc, a0).mul(corr[r]);
      a10 = FloatVector.fromArray(S, acc, a0 + dv).mul(corr[r + 1]);
      a20 = FloatVector.fromArray(S, acc, a0 + 2 * dv).mul(corr[r + 2]);
      a30 = FloatVector.fromArray(S, acc, a0 + 3 * dv).mul(corr[r + 3]);
      a40 = FloatVector.fromArray(S, acc, a0 + 4 * dv).mul(corr[r + 4]);
      a50 = FloatVector.fromArray(S, acc, a0 + 5 * dv).mul(corr[r + 5]);
      a60 = FloatVector.fromArray(S, acc, a0 + 6 * dv).mul(corr[r + 6]);
      a70 = FloatVector.fromArray(S, acc, a0 + 7 * dv).mul(corr[r + 7]);
    }
    for (int t = 0, w = r, vt = v0 + c; t < n; t++, w += RB, vt += vR) {
      FloatVector w0 = FloatVector.fromArray(S, v, vt);
      a00 = FloatVector.broadcast(S, sc[w]).fma(w0, a00);
      a10 = FloatVector.broadcast(S, sc[w + 1]).fma(w0, a10);
      a20 = FloatVector.broadcast(S, sc[w + 2]).fma(w0, a20);
      a30 = FloatVector.broadcast(S, sc[w + 3]).fma(w0, a30);
      a40 = FloatVector.broadcast(S, sc[w + 4]).fma(w0, a40);
      a50 = FloatVector.broadcast(S, sc[w + 5]).fma(w0, a50);
      a60 = FloatVector.broadcast(S, sc[w + 6]).fma(w0, a60);
      a70 = FloatVector.broadcast(S, sc[w + 7]).fma(w0, a70);
    }
    if (last) {
      float[] inv = st.rowInverse;
      a00.mul(inv[r]).intoArray(out, o0 + c);
      a10.mul(inv[r + 1]).intoArray(out, o1 + c);
      a20.mul(inv[r + 2]).intoArray(out, o2 + c);
      a30.mul(inv[r + 3]).intoArray(out, o3 + c);
      a40.mul(inv[r + 4]).intoArray(out, o4 + c);
      a50.mul(inv[r + 5]).intoArray(out, o5 + c);
      a60.mul(inv[r + 6]).intoArray(out, o6 + c);
      a70.mul(inv[r + 7]).intoArray(out, o7 + c);
    } else {
      a00.intoArray(acc, a0);
      a10.intoArray(acc, a0 + dv);
      a20.intoArray(acc, a0 + 2 * dv);
      a30.intoArray(acc, a0 + 3 * dv);
      a40.intoArray(acc, a0 + 4 * dv);
      a50.intoArray(acc, a0 + 5 * dv);
      a60.intoArray(acc, a0 + 6 * dv);
      a70.intoArray(acc, a0 + 7 * dv);
    }
  }

  /**
   * {@link #pv8} for the block's rows {@code [r, r + 4)}, on AVX2: two vectors of columns at a
   * time from the packed values ({@link #pv4Pair}, 8 accumulators; {@code vp[vp0]}: the chunk's
   * first key in the head's first panel, panels {@code sk·2·L} floats apart), the columns left
   * over a row at a time, from {@code v} in place.
   */
  private static void pv4(float[] sc, int r, float[] vp, int vp0, int sk, int pairs, float[] v, int v0, int vR, int n,
      int dv, float[] acc, boolean first, boolean last, AttentionScratch st, float[] out, int o0, int oR) {
    for (int c = 0; c < pairs; c++) {
      pv4Pair(sc, r, vp, vp0 + c * sk * 2 * L, n, dv, c * 2 * L, acc, first, last, st, out, o0, oR);
    }
    if (pairs * 2 * L < dv) {
      for (int i = r; i < r + 4; i++) {
        pv1(sc, i, v, v0, vR, n, dv, pairs * 2 * L, acc, i * dv, first, last, st.rowCorrection[i], st.rowInverse[i],
            out, o0 + (i - r) * oR);
      }
    }
  }

  /**
   * {@link #pv8Pair} for 4 rows: output columns {@code [c, c + 2·L)} of rows {@code [r, r + 4)},
   * key t's values at {@code vp[v0 + t·2·L]} (packed: {@link #packValues}). Every index in the
   * loop is the loop counter times a constant, so C2 hoists all range checks out of it.
   */
  private static void pv4Pair(float[] sc, int r, float[] vp, int v0, int n, int dv, int c, float[] acc,
      boolean first, boolean last, AttentionScratch st, float[] out, int o0, int oR) {
    int o1 = o0 + oR, o2 = o1 + oR, o3 = o2 + oR;
    int a0 = r * dv + c; // row r's columns c... in acc
    FloatVector a00, a01, a10, a11, a20, a21, a30, a31;
    if (first) {
      FloatVector zero = FloatVector.zero(S);
      a00 = zero; a01 = zero; a10 = zero; a11 = zero; a20 = zero; a21 = zero; a30 = zero; a31 = zero;
    } else {
      float[] corr = st.rowCorrection;
      a00 = FloatVector.fromArray(S, acc, a0).mul(corr[r]);
      a01 = FloatVector.fromArray(S, acc, a0 + L).mul(corr[r]);
      a10 = FloatVector.fromArray(S, acc, a0 + dv).mul(corr[r + 1]);
      a11 = FloatVector.fromArray(S, acc, a0 + dv + L).mul(corr[r + 1]);
      a20 = FloatVector.fromArray(S, acc, a0 + 2 * dv).mul(corr[r + 2]);
      a21 = FloatVector.fromArray(S, acc, a0 + 2 * dv + L).mul(corr[r + 2]);
      a30 = FloatVector.fromArray(S, acc, a0 + 3 * dv).mul(corr[r + 3]);
      a31 = FloatVector.fromArray(S, acc, a0 + 3 * dv + L).mul(corr[r + 3]);
    }
    for (int t = 0; t < n; t++) {
      int w = r + t * RB, vt = v0 + t * (2 * L);
      FloatVector w0 = FloatVector.fromArray(S, vp, vt);
      FloatVector w1 = FloatVector.fromArray(S, vp, vt + L);
      FloatVector x = FloatVector.broadcast(S, sc[w]); a00 = x.fma(w0, a00); a01 = x.fma(w1, a01);
      x = FloatVector.broadcast(S, sc[w + 1]); a10 = x.fma(w0, a10); a11 = x.fma(w1, a11);
      x = FloatVector.broadcast(S, sc[w + 2]); a20 = x.fma(w0, a20); a21 = x.fma(w1, a21);
      x = FloatVector.broadcast(S, sc[w + 3]); a30 = x.fma(w0, a30); a31 = x.fma(w1, a31);
    }
    if (last) {
      float[] inv = st.rowInverse;
      a00.mul(inv[r]).intoArray(out, o0 + c); a01.mul(inv[r]).intoArray(out, o0 + c + L);
      a10.mul(inv[r + 1]).intoArray(out, o1 + c); a11.mul(inv[r + 1]).intoArray(out, o1 + c + L);
      a20.mul(inv[r + 2]).intoArray(out, o2 + c); a21.mul(inv[r + 2]).intoArray(out, o2 + c + L);
      a30.mul(inv[r + 3]).intoArray(out, o3 + c); a31.mul(inv[r + 3]).intoArray(out, o3 + c + L);
    } else {
      a00.intoArray(acc, a0); a01.intoArray(acc, a0 + L);
      a10.intoArray(acc, a0 + dv); a11.intoArray(acc, a0 + dv + L);
      a20.intoArray(acc, a0 + 2 * dv); a21.intoArray(acc, a0 + 2 * dv + L);
      a30.intoArray(acc, a0 + 3 * dv); a31.intoArray(acc, a0 + 3 * dv + L);
    }
  }

  /**
   * {@link #pv8} for the block's row {@code r} and columns from {@code c0}: partial output at
   * {@code acc[ai]}, output row at {@code out[oi]}; a vector at a time, masked at the edge.
   */
  private static void pv1(float[] sc, int r, float[] v, int v0, int vR, int n, int dv, int c0, float[] acc, int ai,
      boolean first, boolean last, float corr, float inv, float[] out, int oi) {
    for (int c = c0; c < dv; c += L) {
      VectorMask<Float> m = S.indexInRange(c, dv);
      FloatVector a = first ? FloatVector.zero(S) : FloatVector.fromArray(S, acc, ai + c, m).mul(corr);
      for (int t = 0, w = r, vt = v0 + c; t < n; t++, w += RB, vt += vR) {
        a = FloatVector.broadcast(S, sc[w]).fma(FloatVector.fromArray(S, v, vt, m), a);
      }
      if (last) a.mul(inv).intoArray(out, oi + c, m); else a.intoArray(acc, ai + c, m);
    }
  }
}
