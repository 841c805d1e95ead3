package dev.heed.runtime;

import java.util.List;
import java.util.Map;

/**
 * Checks that generated {@code forward} methods run on model inputs: element type, rank,
 * and each dimension against its declared size or the size a symbol was bound to.
 */
public final class InputCheck {
  private InputCheck() {}

  /**
   * Checks the names of {@link HeedModel#run}'s inputs against the model's: every key must be one
   * of them (a misspelt key would otherwise be ignored and its input reported missing, or worse,
   * an optional-looking extra silently dropped).
   */
  public static Map<String, Tensor> names(Map<String, Tensor> inputs, List<TensorSpec> specs) {
    java.util.Objects.requireNonNull(inputs, "inputs");
    String key = unknown(inputs.keySet(), specs);
    if (key != null) {
      throw new IllegalArgumentException("unknown input '" + key + "'; the model's inputs are "
          + specs.stream().map(TensorSpec::toString).collect(java.util.stream.Collectors.joining(", ")));
    }
    return inputs;
  }

  /** The first of {@code names} that names none of {@code specs}, or null. */
  public static String unknown(java.util.Collection<String> names, List<TensorSpec> specs) {
    for (String name : names) {
      if (specs.stream().noneMatch(s -> s.name().equals(name))) return name;
    }
    return null;
  }

  /** Checks element type and rank of input {@code name}. */
  public static Tensor typeAndRank(Tensor t, String name, DType dtype, int rank) {
    if (t == null) throw new IllegalArgumentException("input '" + name + "' is missing");
    if (t.dtype() != dtype || t.rank() != rank) {
      throw new IllegalArgumentException("input '" + name + "' must be " + dtype.irName() + " of rank " + rank
          + ", got " + t.typeString());
    }
    return t;
  }

  /**
   * Checks that dimension {@code axis} of input {@code name} is {@code expected}.
   *
   * @param what the declared dimension, a size or a symbol ("batch")
   * @param boundBy for a symbol bound by an earlier input, that input's name; else null
   */
  public static void dim(Tensor t, String name, int axis, int expected, String what, String boundBy) {
    int actual = t.dim(axis);
    if (actual == expected) return;
    String reason = boundBy == null
        ? "must be " + expected
        : "is '" + what + "', which input '" + boundBy + "' set to " + expected;
    throw new IllegalArgumentException("input '" + name + "' " + t.typeString() + ": dimension " + axis + " " + reason
        + ", got " + actual);
  }

  /** A symbolic dimension's size; fails for a zero size, which no heed model accepts. */
  public static int bind(Tensor t, String name, int axis, String symbol) {
    int n = t.dim(axis);
    if (n <= 0) {
      throw new IllegalArgumentException("input '" + name + "' " + t.typeString() + ": dimension " + axis + " ('"
          + symbol + "') must be at least 1");
    }
    return n;
  }

  /**
   * Checks that a sequence of {@code n} positions (the symbol {@code symbol}) fits the learned
   * position table {@code table} of {@code rows} rows.
   */
  public static void positions(int n, String symbol, long rows, String table) {
    if (n > rows) {
      throw new IllegalArgumentException("'" + symbol + "' is " + n + ", more than the " + rows
          + " positions of the learned position table '" + table + "'");
    }
  }

  /** The most elements a Java array can hold on common JVMs. */
  public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

  /**
   * Checks that a buffer of shape {@code factors} (sizes bound from the inputs, and known
   * sizes) fits in a Java array, before anything is allocated.
   *
   * @param what the buffer's type as the spec would write it, e.g. {@code f32[batch, 6, seq, seq]}
   */
  public static void fits(String what, long... factors) {
    long n = 1;
    boolean overflow = false;
    for (long f : factors) {
      try {
        n = Math.multiplyExact(n, f);
      } catch (ArithmeticException e) {
        overflow = true;
        break;
      }
    }
    if (overflow || n > MAX_ELEMENTS) {
      throw new IllegalArgumentException("these input sizes need a buffer " + what + " of "
          + (overflow ? "more than 2^63" : Long.toString(n)) + " elements, more than a Java array holds (" + MAX_ELEMENTS + ")");
    }
  }
}
