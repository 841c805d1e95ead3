package dev.heed.runtime;

import java.util.List;

/**
 * The declared type of a model input or output: its name, element type and dimensions,
 * each a number ("64") or a symbol bound at call time ("batch").
 */
public record TensorSpec(String name, DType dtype, List<String> dims) {
  public TensorSpec {
    dims = List.copyOf(dims);
  }

  /** {@code src: i64[batch, src_seq]} */
  @Override public String toString() {
    return name + ": " + dtype.irName() + dims.toString();
  }
}
