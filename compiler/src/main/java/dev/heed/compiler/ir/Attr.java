package dev.heed.compiler.ir;

import java.util.List;

/** An op attribute value. IR text spells them {@code 3}, {@code 1.0E-5}, {@code "gelu"}, {@code [0, 2, 1, 3]}. */
public sealed interface Attr {
  record Int(long value) implements Attr {}

  /** Printed with {@link Double#toString(double)}, which reads back to the same double. */
  record Float(double value) implements Attr {}

  record Str(String value) implements Attr {}

  record Ints(List<Long> values) implements Attr {
    public Ints {
      values = List.copyOf(values);
    }
  }

  /** A shape, for {@code reshape}: known sizes and symbols. */
  record Dims(List<Dim> dims) implements Attr {
    public Dims {
      dims = List.copyOf(dims);
    }
  }
}
