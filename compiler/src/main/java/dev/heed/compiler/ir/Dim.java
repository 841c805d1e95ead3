package dev.heed.compiler.ir;

/** One dimension of a tensor type: a number known at compile time, or a symbol bound per call. */
public sealed interface Dim {
  /** A dimension known at compile time. */
  record Known(long size) implements Dim {
    public Known {
      if (size < 0) throw new IllegalArgumentException("negative dimension " + size);
    }

    @Override public String toString() { return Long.toString(size); }
  }

  /** A dimension named in a model input ({@code batch}, {@code seq}), bound when the model runs. */
  record Sym(String name) implements Dim {
    @Override public String toString() { return name; }
  }

  static Dim of(long size) { return new Known(size); }

  static Dim sym(String name) { return new Sym(name); }

  default boolean isKnown() { return this instanceof Known; }

  /** The size of a known dimension; throws for a symbol. */
  default long size() {
    if (this instanceof Known k) return k.size();
    throw new IllegalStateException("dimension " + this + " is symbolic");
  }

  default boolean isOne() { return this instanceof Known k && k.size() == 1; }
}
