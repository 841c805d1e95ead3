package dev.heed.runtime;

import java.util.Set;

/**
 * A source of named f32 tensors: a safetensors checkpoint or seeded random values.
 * Implementations convert stored types (F16, BF16) to f32.
 */
public interface Weights extends AutoCloseable {
  /**
   * The tensor called {@code name}, with exactly {@code shape}. A model may keep the array it
   * gets (weights it does not repack at load time are read in place on every call), so an
   * implementation returns an array nobody changes afterwards: a fresh one, as
   * {@link dev.heed.runtime.io.Safetensors} and {@link dev.heed.runtime.io.RandomWeights} do.
   *
   * @param init how random weights initialise it ("uniform", "normal", "zeros", "ones");
   *     checkpoints ignore it
   * @throws WeightsException naming the tensor (and both shapes) if it is missing or mis-shaped
   */
  float[] get(String name, int[] shape, String init);

  /** Names this source holds; empty for sources that make tensors on demand. */
  Set<String> names();

  /** Where these weights come from, for messages: a file path or "random(seed=7)". */
  String origin();

  @Override default void close() {}
}
