package dev.heed.runtime.kernels;

/**
 * Per-thread working memory of the attention kernels, grown when a call needs more and then
 * kept, so that calls in steady state allocate nothing proportional to their sizes. Contents
 * do not survive from one work item to the next.
 */
final class AttentionScratch {
  private static final ThreadLocal<AttentionScratch> LOCAL = ThreadLocal.withInitial(AttentionScratch::new);

  /** Query rows per block of the vector kernel at most: two vectors of 64 lanes (2048-bit SVE). */
  private static final int MAX_ROWS = 128;

  private float[] queries = new float[0];
  private float[] keys = new float[0];
  private float[] values = new float[0];
  private float[] scores = new float[0];
  private float[] acc = new float[0];
  /** Per query row of a block: running maximum, running sum, last rescaling factor, 1 / sum. */
  final float[] rowMax = new float[MAX_ROWS];
  final float[] rowSum = new float[MAX_ROWS];
  final float[] rowCorrection = new float[MAX_ROWS];
  final float[] rowInverse = new float[MAX_ROWS];
  /** Per query row of a block: the maximum of its scores in the current key chunk. */
  final float[] chunkMax = new float[MAX_ROWS];
  /** Per query row of a block: the offset of its mask row, for gathers when the mask varies along rows. */
  final int[] maskRows = new int[MAX_ROWS];

  private AttentionScratch() {}

  /** This thread's scratch. */
  static AttentionScratch get() {
    return LOCAL.get();
  }

  /** A block's transposed query rows, at least {@code n} floats. */
  float[] queries(int n) {
    if (queries.length < n) queries = new float[n];
    return queries;
  }

  /** A head's keys in panels, at least {@code n} floats. */
  float[] keys(int n) {
    if (keys.length < n) keys = new float[n];
    return keys;
  }

  /** The values of a chunk's heads in panels, at least {@code n} floats. */
  float[] values(int n) {
    if (values.length < n) values = new float[n];
    return values;
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
