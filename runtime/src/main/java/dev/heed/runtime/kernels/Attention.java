package dev.heed.runtime.kernels;

import dev.heed.runtime.Parallel;

/**
 * Fused scaled dot-product attention,
 * {@code out = softmax(q · kᵀ · scale + mask) · v} with the softmax over keys, reading q, k, v
 * and the mask and writing out through arbitrary strides, so that split-heads / merge-heads
 * transposes never need to run and q, k and v can be column slices of one fused QKV product.
 * No {@code [sq, sk]} scores matrix is ever held: a block of query rows walks the keys in
 * chunks of at most {@value #KEY_CHUNK} with an online softmax (running maximum and sum per
 * row, the partial output rescaled when the maximum grows). Runs the Vector API kernel
 * ({@link VectorAttention}) when {@link Simd#enabled()}, the plain-Java one otherwise; both
 * take their working memory from per-thread scratch ({@link AttentionScratch}), so a call in
 * steady state allocates only its parallel-loop bookkeeping, nothing proportional to sizes.
 *
 * <p>The mask is additive and broadcast by strides: its value for (b, h, i, t) is
 * {@code mask[mOff + b·mB + h·mH + i·mR + t·mC]}, with stride 0 along broadcast axes. A row
 * whose keys are all masked with the same large negative value gets what softmax gives there:
 * uniform weights over those keys (in float, {@code -1e9 + score} rounds to {@code -1e9}); a
 * row masked everywhere with {@code -inf} gets NaN, as softmax does; a row whose first keys
 * (whole chunks of them) are masked with {@code -inf} and later ones are not gets the softmax
 * of the later ones. With no keys
 * ({@code sk = 0}) the output is zeros, softmax · v over nothing.
 */
public final class Attention {
  /** Keys per block of the scalar kernel's online softmax. */
  static final int KEY_BLOCK = 64;

  /**
   * −64·ln 2: a softmax weight e^(s − max) below e^this (2^-64 of its row's largest) counts as 0,
   * on both kernels. Such weights times values would make weights · v compute on subnormal
   * floats, which the CPU handles in microcode (with the real all-MiniLM-L6-v2 weights, whose
   * softmax rows are peaked, attention at 1 × 512 ran 2.2 times slower); what they would add is
   * below sk·2^-64·max|v| (the weights sum to 1 or more).
   */
  static final float NEGLIGIBLE_EXPONENT = -44.3614196f;

  /**
   * Keys per chunk of the vector kernel's online softmax: a block of 32 query rows keeps its
   * chunk of scores ({@code 256 × 32} floats, 32 KiB) in L1 (measured at 1 × 512: about 5%
   * faster than chunks of 512). Shorter key ranges take one chunk, so the online rescaling
   * never runs for them.
   */
  static final int KEY_CHUNK = 256;

  /**
   * Parallel query tiles are multiples of this many rows: the vector kernel's block of query
   * rows with 512-bit vectors (two vectors of 16 lanes), a multiple of its block with narrower ones.
   */
  static final int ROW_BLOCK = 32;

  /** Parallel work items to aim for per thread, so that threads finishing early take over work. */
  private static final int ITEMS_PER_THREAD = 4;

  private Attention() {}

  /**
   * Heads per parallel chunk so that a chunk is worth handing to another thread: see
   * {@link dev.heed.runtime.Parallel#forRange(int, int, dev.heed.runtime.Parallel.RangeBody)}.
   */
  public static int grain(int sq, int sk, int d, int dv) {
    long work = (long) sq * sk * (d + dv);
    return (int) Math.max(1, Gemm.PARALLEL_WORK / Math.max(1, work));
  }

  /**
   * One (batch, head) in row-major {@code q[sq, d]}, {@code k[sk, d]}, {@code v[sk, dv]},
   * {@code out[sq, dv]} from the given offsets: {@link #attention} with batch and heads 1.
   * Mask element (i, t) is {@code mask[maskOff + i·maskRowStride + t·maskColStride]};
   * {@code mask} may be null.
   */
  public static void head(float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
      float[] mask, int maskOff, int maskRowStride, int maskColStride,
      float[] out, int outOff, int sq, int sk, int d, int dv, float scale) {
    attention(Simd.enabled(), q, qOff, 0, 0, d, k, kOff, 0, 0, d, v, vOff, 0, 0, dv,
        mask, maskOff, 0, 0, maskRowStride, maskColStride, out, outOff, 0, 0, dv, 1, 1, sq, sk, d, dv, scale);
  }

  /**
   * {@code out[b, h, i, :] = softmax_t(scale · q[b, h, i, :] · k[b, h, t, :] + mask[b, h, i, t]) · v[b, h, t, :]}.
   *
   * <p>Element addressing (all offsets and strides in floats):
   * <pre>
   *   q[b, h, i, j]   = q[qOff + b·qB + h·qH + i·qR + j]      (j &lt; d)
   *   k[b, h, t, j]   = k[kOff + b·kB + h·kH + t·kR + j]      (j &lt; d)
   *   v[b, h, t, j]   = v[vOff + b·vB + h·vH + t·vR + j]      (j &lt; dv)
   *   out[b, h, i, j] = out[oOff + b·oB + h·oH + i·oR + j]    (j &lt; dv)
   *   mask value for (b, h, i, t) = mask[mOff + b·mB + h·mH + i·mR + t·mC]   (mask may be null)
   * </pre>
   * Strides are 0 along broadcast axes (a padding mask {@code [b, 1, 1, sk]}: mB = sk, mH = mR = 0,
   * mC = 1; a causal {@code [sq, sk]}: mB = mH = 0, mR = sk, mC = 1). Layouts: "packed rows"
   * {@code [b, s, H·d]} (the output of a linear layer): qB = s·H·d, qH = d, qR = H·d; q, k, v as
   * slices of a fused QKV product {@code [b, s, 3·H·d]}: offsets 0, H·d, 2·H·d, row strides 3·H·d;
   * classic {@code [b, H, s, d]}: qB = H·s·d, qH = s·d, qR = d. The output must not overlap the
   * inputs. Runs in parallel over (batch, head, query tile) with {@link Parallel}.
   *
   * @throws IllegalArgumentException naming the operand, when a size is negative, an array is
   *     missing or an index the arguments address falls outside its array
   */
  public static void attention(float[] q, int qOff, int qB, int qH, int qR,
      float[] k, int kOff, int kB, int kH, int kR,
      float[] v, int vOff, int vB, int vH, int vR,
      float[] mask, int mOff, int mB, int mH, int mR, int mC,
      float[] out, int oOff, int oB, int oH, int oR,
      int batch, int heads, int sq, int sk, int d, int dv, float scale) {
    attention(Simd.enabled(), q, qOff, qB, qH, qR, k, kOff, kB, kH, kR, v, vOff, vB, vH, vR,
        mask, mOff, mB, mH, mR, mC, out, oOff, oB, oH, oR, batch, heads, sq, sk, d, dv, scale);
  }

  /** {@link #attention} on the vector kernel or the scalar one, whatever {@link Simd} says (for tests). */
  static void attention(boolean vector, float[] q, int qOff, int qB, int qH, int qR,
      float[] k, int kOff, int kB, int kH, int kR,
      float[] v, int vOff, int vB, int vH, int vR,
      float[] mask, int mOff, int mB, int mH, int mR, int mC,
      float[] out, int oOff, int oB, int oH, int oR,
      int batch, int heads, int sq, int sk, int d, int dv, float scale) {
    if (batch < 0 || heads < 0 || sq < 0 || sk < 0 || d < 0 || dv < 0) {
      throw new IllegalArgumentException("attention: negative size: batch " + batch + ", heads " + heads + ", sq " + sq
          + ", sk " + sk + ", d " + d + ", dv " + dv);
    }
    if (batch == 0 || heads == 0 || sq == 0 || dv == 0) {
      return; // no output element
    }
    check("out", out, oOff, batch, oB, heads, oH, sq, oR, dv, 1);
    if (sk == 0) {
      // softmax · v over no keys: zeros.
      for (int b = 0; b < batch; b++) {
        for (int h = 0; h < heads; h++) {
          for (int i = 0; i < sq; i++) {
            int o = oOff + b * oB + h * oH + i * oR;
            for (int j = 0; j < dv; j++) out[o + j] = 0f;
          }
        }
      }
      return;
    }
    if (d > 0) {
      check("q", q, qOff, batch, qB, heads, qH, sq, qR, d, 1);
      check("k", k, kOff, batch, kB, heads, kH, sk, kR, d, 1);
    }
    check("v", v, vOff, batch, vB, heads, vH, sk, vR, dv, 1);
    if (mask != null) check("mask", mask, mOff, batch, mB, heads, mH, sq, mR, sk, mC);

    int tileRows = tileRows(batch * heads, sq);
    int tilesPerHead = Math.ceilDiv(sq, tileRows);
    Problem p = new Problem(q, qOff, qB, qH, qR, k, kOff, kB, kH, kR, v, vOff, vB, vH, vR,
        mask, mOff, mB, mH, mR, mC, out, oOff, oB, oH, oR, heads, sq, sk, d, dv, scale,
        tileRows, tilesPerHead);
    int items = batch * heads * tilesPerHead;
    long work = (long) tileRows * sk * (d + dv);
    int minChunk = (int) Math.max(1, Gemm.PARALLEL_WORK / Math.max(1, work));
    if (vector) {
      Parallel.forRange(items, minChunk, (from, to) -> VectorAttention.run(p, from, to));
    } else {
      Parallel.forRange(items, minChunk, (from, to) -> scalarRun(p, from, to));
    }
  }

  /**
   * Query rows per parallel work item: whole heads when there are enough (batch, head) pairs to
   * give every thread {@value #ITEMS_PER_THREAD} items, else heads split into tiles of a multiple
   * of {@link #ROW_BLOCK} rows (one head at batch 1; MiniLM's 12 heads at batch 1 on more than 3
   * threads).
   */
  static int tileRows(int pairs, int sq) {
    int wanted = ITEMS_PER_THREAD * Parallel.threads();
    if (pairs >= wanted || sq <= ROW_BLOCK) return sq;
    int blocks = Math.ceilDiv(sq, ROW_BLOCK);
    int tilesPerHead = Math.min(blocks, Math.ceilDiv(wanted, pairs));
    return Math.ceilDiv(blocks, tilesPerHead) * ROW_BLOCK;
  }

  /**
   * Checks that every index {@code off + i0·s0 + i1·s1 + i2·s2 + i3·s3} (each {@code i < n},
   * all {@code n > 0}) lies inside {@code a}: the smallest and largest of them, strides of
   * either sign.
   */
  static void check(String name, float[] a, int off, int n0, long s0, int n1, long s1, int n2, long s2, int n3, long s3) {
    if (a == null) throw new IllegalArgumentException("attention: " + name + " is null");
    long span0 = (n0 - 1) * s0, span1 = (n1 - 1) * s1, span2 = (n2 - 1) * s2, span3 = (n3 - 1) * s3;
    long lo = off + Math.min(0, span0) + Math.min(0, span1) + Math.min(0, span2) + Math.min(0, span3);
    long hi = off + Math.max(0, span0) + Math.max(0, span1) + Math.max(0, span2) + Math.max(0, span3);
    if (lo < 0 || hi >= a.length) {
      throw new IllegalArgumentException("attention: " + name + " indices run from " + lo + " to " + hi
          + " (offset " + off + ", strides " + s0 + ", " + s1 + ", " + s2 + ", " + s3 + ") but it has " + a.length
          + " floats");
    }
  }

  /**
   * One call's arguments, shared by its parallel chunks: work item {@code it} is query rows
   * {@code [tile·tileRows, min(sq, tile·tileRows + tileRows))} of batch {@code bh / heads},
   * head {@code bh % heads}, where {@code bh = it / tilesPerHead} and {@code tile = it % tilesPerHead}.
   */
  record Problem(float[] q, int qOff, int qB, int qH, int qR,
      float[] k, int kOff, int kB, int kH, int kR,
      float[] v, int vOff, int vB, int vH, int vR,
      float[] mask, int mOff, int mB, int mH, int mR, int mC,
      float[] out, int oOff, int oB, int oH, int oR,
      int heads, int sq, int sk, int d, int dv, float scale, int tileRows, int tilesPerHead) {}

  /**
   * The plain-Java kernel for work items {@code [from, to)}: one query row at a time, keys in
   * blocks of {@value #KEY_BLOCK} with the online softmax, scores and the output row in
   * per-thread scratch.
   */
  static void scalarRun(Problem p, int from, int to) {
    float[] q = p.q(), k = p.k(), v = p.v(), mask = p.mask(), out = p.out();
    int heads = p.heads(), sq = p.sq(), sk = p.sk(), d = p.d(), dv = p.dv();
    int qR = p.qR(), kR = p.kR(), vR = p.vR(), oR = p.oR(), mR = p.mR(), mC = p.mC();
    float scale = p.scale();
    AttentionScratch scratch = AttentionScratch.get();
    float[] scores = scratch.scores(KEY_BLOCK);
    float[] acc = scratch.acc(dv);
    for (int it = from; it < to; it++) {
      int bh = it / p.tilesPerHead(), i0 = (it % p.tilesPerHead()) * p.tileRows(), i1 = Math.min(sq, i0 + p.tileRows());
      int b = bh / heads, h = bh % heads;
      int qBase = p.qOff() + b * p.qB() + h * p.qH();
      int kBase = p.kOff() + b * p.kB() + h * p.kH();
      int vBase = p.vOff() + b * p.vB() + h * p.vH();
      int oBase = p.oOff() + b * p.oB() + h * p.oH();
      int mBase = p.mOff() + b * p.mB() + h * p.mH();
      for (int i = i0; i < i1; i++) {
        int qi = qBase + i * qR;
        int mi = mBase + i * mR;
        float max = Float.NEGATIVE_INFINITY;
        float sum = 0f;
        for (int c = 0; c < dv; c++) acc[c] = 0f;
        for (int j0 = 0; j0 < sk; j0 += KEY_BLOCK) {
          int n = Math.min(KEY_BLOCK, sk - j0);
          // Scores of this block, and their maximum.
          float blockMax = Float.NEGATIVE_INFINITY;
          for (int jj = 0; jj < n; jj++) {
            int kj = kBase + (j0 + jj) * kR;
            float s = 0f;
            for (int x = 0; x < d; x++) s += q[qi + x] * k[kj + x];
            s *= scale;
            if (mask != null) s += mask[mi + (j0 + jj) * mC];
            scores[jj] = s;
            blockMax = Math.max(blockMax, s);
          }
          // Rescale what came before to the new maximum, then add this block.
          float newMax = Math.max(max, blockMax);
          // While every key so far is masked with -inf the maximum is -inf too, and s - max
          // would be -inf - (-inf) = NaN: those weights are 0, so subtract 0 instead.
          float base = newMax == Float.NEGATIVE_INFINITY ? 0f : newMax;
          float correction = weight(max - base);
          sum *= correction;
          for (int c = 0; c < dv; c++) acc[c] *= correction;
          for (int jj = 0; jj < n; jj++) {
            float e = weight(scores[jj] - base);
            sum += e;
            int vj = vBase + (j0 + jj) * vR;
            for (int c = 0; c < dv; c++) acc[c] += e * v[vj + c];
          }
          max = newMax;
        }
        float inv = 1f / sum;
        int oi = oBase + i * oR;
        for (int c = 0; c < dv; c++) out[oi + c] = acc[c] * inv;
      }
    }
  }

  /** A softmax weight: e^x for x ≤ 0 (0 for −∞), or 0 below {@link #NEGLIGIBLE_EXPONENT}. */
  private static float weight(float x) {
    return x < NEGLIGIBLE_EXPONENT ? 0f : (float) Math.exp(x);
  }
}
