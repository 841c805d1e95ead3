package dev.heed.runtime;

import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Runs a compiled model once on named inputs and reports the outputs: shared by
 * {@code heed run} and the {@link Main} of compiled model jars.
 */
public final class ModelRunner {
  /** Values shown per output by {@link #summary}. */
  public static final int SHOWN_VALUES = 6;

  /**
   * The outputs of one forward pass, by name in declaration order, and how long creating the
   * model (loading its weights) and the forward pass took.
   */
  public record Result(Map<String, Tensor> outputs, long loadNanos, long forwardNanos) {
    /** Copies {@code outputs}, keeping their order. */
    public Result {
      outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
    }

    /** The forward pass time in milliseconds. */
    public double forwardMillis() { return forwardNanos / 1e6; }
  }

  private ModelRunner() {}

  /**
   * Checks {@code inputs} against the model's declared inputs: the same names, and for each
   * the declared element type and rank; numeric dimensions must match and each symbolic
   * dimension must have one value across all inputs.
   *
   * @throws IllegalArgumentException a one-line message naming the input and both types
   */
  public static void checkInputs(HeedModelFactory factory, Map<String, Tensor> inputs) {
    checkInputNames(factory, inputs.keySet());
    List<TensorSpec> specs = factory.inputs();
    Map<String, Integer> bound = new HashMap<>();
    Map<String, String> boundBy = new HashMap<>();
    for (TensorSpec s : specs) {
      Tensor t = inputs.get(s.name());
      String declared = s.dtype().irName() + s.dims();
      if (t == null) {
        throw new IllegalArgumentException("model " + factory.name() + ": input '" + s.name() + "' is null");
      }
      if (t.dtype() != s.dtype() || t.rank() != s.dims().size()) {
        throw new IllegalArgumentException("model " + factory.name() + ": input '" + s.name() + "' is "
            + t.typeString() + " but the model expects " + declared);
      }
      for (int axis = 0; axis < t.rank(); axis++) {
        String dim = s.dims().get(axis);
        int actual = t.dim(axis);
        if (isNumber(dim)) {
          if (Long.parseLong(dim) != actual) {
            throw new IllegalArgumentException("model " + factory.name() + ": input '" + s.name() + "' is "
                + t.typeString() + " but the model expects " + declared + " (axis " + axis + " must be " + dim + ")");
          }
        } else {
          Integer previous = bound.putIfAbsent(dim, actual);
          if (previous == null) {
            boundBy.put(dim, s.name());
          } else if (previous != actual) {
            throw new IllegalArgumentException("model " + factory.name() + ": input '" + s.name() + "' is "
                + t.typeString() + " but the model expects " + declared + ": " + dim + " = " + actual
                + " at axis " + axis + ", while input '" + boundBy.get(dim) + "' has " + dim + " = " + previous);
          }
        }
      }
    }
  }

  /**
   * Checks that {@code names} are exactly the model's input names.
   *
   * @throws IllegalArgumentException naming the first missing or unknown input and listing
   *     the expected ones
   */
  public static void checkInputNames(HeedModelFactory factory, Set<String> names) {
    List<TensorSpec> specs = factory.inputs();
    String expected = specs.isEmpty() ? "none"
        : specs.stream().map(TensorSpec::toString).collect(Collectors.joining(", "));
    // Unknown names first: a misspelt input (Q for q) is the likelier mistake than a missing one.
    String unknown = InputCheck.unknown(names, specs);
    if (unknown != null) {
      throw new IllegalArgumentException("model " + factory.name() + ": unknown input '" + unknown
          + "' (expected inputs: " + expected + ")");
    }
    for (TensorSpec s : specs) {
      if (!names.contains(s.name())) {
        throw new IllegalArgumentException("model " + factory.name() + ": missing input '" + s.name()
            + "' (expected inputs: " + expected + ")");
      }
    }
  }

  private static boolean isNumber(String dim) {
    if (dim.isEmpty()) return false;
    for (int i = 0; i < dim.length(); i++) if (!Character.isDigit(dim.charAt(i))) return false;
    return true;
  }

  /**
   * Checks the inputs, creates the model from {@code weights}, and runs one timed forward pass.
   *
   * @throws IllegalArgumentException if the inputs do not fit the model (see {@link #checkInputs})
   * @throws WeightsException if a parameter is missing or mis-shaped
   */
  public static Result run(HeedModelFactory factory, Weights weights, Map<String, Tensor> inputs) {
    checkInputs(factory, inputs);
    long t0 = System.nanoTime();
    HeedModel model = factory.create(weights);
    long t1 = System.nanoTime();
    Map<String, Tensor> outputs = model.run(inputs);
    long t2 = System.nanoTime();
    return new Result(outputs, t1 - t0, t2 - t1);
  }

  /**
   * One line per output, then the time:
   * <pre>
   * logits: f32[2, 7, 1000]  [0.123456, -0.500000, ...]
   * forward: 12.3 ms
   * </pre>
   */
  public static String summary(Map<String, Tensor> outputs, double millis) {
    StringBuilder sb = new StringBuilder();
    for (var e : outputs.entrySet()) {
      Tensor t = e.getValue();
      sb.append(e.getKey()).append(": ").append(t.typeString()).append("  [");
      int shown = Math.min(SHOWN_VALUES, t.size());
      for (int i = 0; i < shown; i++) {
        if (i > 0) sb.append(", ");
        if (t.dtype() == DType.F32) {
          sb.append(String.format(Locale.ROOT, "%.6f", t.floats()[i]));
        } else {
          sb.append(t.longs()[i]);
        }
      }
      if (t.size() > shown) sb.append(shown > 0 ? ", ..." : "...");
      sb.append("]\n");
    }
    sb.append(String.format(Locale.ROOT, millis >= 1 ? "forward: %.1f ms" : "forward: %.3f ms", millis));
    return sb.append('\n').toString();
  }
}
