package dev.heed.runtime.kernels;

/**
 * A layer or RMS norm over each row of a linear layer's output, the last step of its epilogue
 * (see {@link Gemm#linearLayerNorm}): {@link Norms}' kernels, in place, on whole rows.
 *
 * @param layer true for layer norm (scale and shift), false for RMS norm (scale only)
 * @param gamma the scale, one per column
 * @param beta  the shift, one per column; null for RMS norm
 * @param eps   added to the variance (layer norm) or to the mean square (RMS norm)
 */
record RowNorm(boolean layer, float[] gamma, float[] beta, float eps) {
  /** Normalises rows {@code [r0, r1)} of {@code y[·, d]} in place, on this thread. */
  void rows(float[] y, int r0, int r1, int d) {
    Norms.rowRange(y, null, gamma, beta, layer, y, r0, r1, d, eps);
  }

  /** Normalises all {@code rows} rows of {@code y[rows, d]} in place, in parallel when large. */
  void all(float[] y, int rows, int d) {
    Norms.run(y, null, gamma, beta, layer, y, rows, d, eps);
  }
}
