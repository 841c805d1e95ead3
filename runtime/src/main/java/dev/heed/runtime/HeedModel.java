package dev.heed.runtime;

import java.util.List;
import java.util.Map;

/**
 * The interface every model compiled by heed implements, so that tools can drive any
 * compiled model by name: look it up with {@link HeedModels}, read its inputs and outputs,
 * run it on a map of named tensors.
 */
public interface HeedModel {
  /** The model's name as declared in its spec. */
  String name();

  /** Inputs in declaration order. */
  List<TensorSpec> inputs();

  /** Outputs in declaration order. */
  List<TensorSpec> outputs();

  /**
   * Runs a forward pass. {@code inputs} must hold a tensor for every input, of the
   * declared element type and rank, with symbolic dimensions bound consistently.
   * Returns every output by name, in declaration order.
   *
   * @throws IllegalArgumentException naming the input and dimension when shapes disagree, or a
   *     key that is not one of the model's inputs
   */
  Map<String, Tensor> run(Map<String, Tensor> inputs);

  /**
   * Drops the working memory that idle workspaces hold; later calls allocate it again. Models
   * without workspaces have nothing to drop.
   */
  default void releaseWorkspaces() {}
}
