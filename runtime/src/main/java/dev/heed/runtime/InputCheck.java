package dev.heed.runtime;

/**
 * Checks that generated {@code forward} methods run on model inputs: element type, rank,
 * and each dimension against its declared size or the size a symbol was bound to.
 */
public final class InputCheck {
  private InputCheck() {}

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
}
