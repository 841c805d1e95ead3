package dev.heed.runtime.kernels;

/**
 * Per-thread working memory of the attention kernels, grown when a call needs more and then
 * kept, so that calls in steady state allocate nothing proportional to their sizes. Contents
 * do not survive from one work item to the next unless the kernel itself says so (the
 * transposed keys within one parallel chunk).
 */
final class AttentionScratch {
  private static final ThreadLocal<AttentionScratch> LOCAL = ThreadLocal.withInitial(AttentionScratch::new);

  private float[] keys = new float[0];
  private float[] sharedKeys = new float[0];
  private float[] scores = new float[0];
  private float[] acc = new float[0];
  /** Per query row of a block: running maximum, running sum, last rescaling factor, 1 / sum. */
  final float[] rowMax = new float[Attention.ROW_BLOCK];
  final float[] rowSum = new float[Attention.ROW_BLOCK];
  final float[] rowCorrection = new float[Attention.ROW_BLOCK];
  final float[] rowInverse = new float[Attention.ROW_BLOCK];
  /**
   * Per query row of a block, one vector's lanes (64 at most: 2048-bit SVE), summed in index
   * order (the same bits in every JIT tier) into {@code chunkSum}.
   */
  final float[] lanes = new float[Attention.ROW_BLOCK * 64];
  final float[] chunkSum = new float[Attention.ROW_BLOCK];

  /** Gather offsets for the vector kernel's key transposition: one per lane (16 at most with 512-bit vectors). */
  final int[] gather = new int[64];

  private AttentionScratch() {}

  /** This thread's scratch. */
  static AttentionScratch get() {
    return LOCAL.get();
  }

  /** The transposed keys of a parallel chunk's heads of one batch, at least {@code n} floats. */
  float[] keys(int n) {
    if (keys.length < n) keys = new float[n];
    return keys;
  }

  /**
   * Every head's transposed keys, at least {@code n} floats, when one call shares them out to
   * its parallel chunks: only the calling thread writes them, before the parallel loop.
   */
  float[] sharedKeys(int n) {
    if (sharedKeys.length < n) sharedKeys = new float[n];
    return sharedKeys;
  }

  /** A block's scores, at least {@code n} floats. */
  float[] scores(int n) {
    if (scores.length < n) scores = new float[n];
    return scores;
  }

  /** A block's unnormalised output between key chunks, at least {@code n} floats. */
  float[] acc(int n) {
    if (acc.length < n) acc = new float[n];
    return acc;
  }
}
