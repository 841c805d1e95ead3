package dev.heed.runtime.accel;

import dev.heed.runtime.Tensor;

/**
 * A model's forward pass run by an accelerator: what {@code heed compile --target tornadovm}
 * generates as {@code <Model>Tornado}. The model's own class reaches it only through this
 * interface, loaded by name ({@link Accelerators#load}), so that it has no link-time
 * reference to the accelerator's classes and runs on a plain JVM.
 *
 * <p>Implementations have a public constructor taking {@link dev.heed.runtime.Weights}: it
 * loads the weights and throws if the accelerator (its classes or a device) is missing.
 */
public interface AcceleratedModel {
  /**
   * Runs the model.
   *
   * @param inputs one tensor per model input, in declaration order
   * @return one tensor per model output, in declaration order
   * @throws IllegalArgumentException for inputs of the wrong type or shape (as the jvm kernels do)
   */
  Tensor[] forward(Tensor[] inputs);

  /** The device the model runs on, for messages, e.g. {@code "OpenCL: cpu-haswell-AMD EPYC (pocl)"}. */
  String device();
}
