package dev.heed.compiler.lower;

import dev.heed.compiler.ir.Dim;
import dev.heed.compiler.ir.TensorType;
import dev.heed.dsl.diag.Span;
import java.util.List;

/**
 * A value while a spec is being lowered: a tensor (an IR node), a compile-time number,
 * a string, a symbolic dimension, a list, {@code none}, or the poison value left by an
 * error that was already reported (so one mistake gives one diagnostic).
 */
sealed interface Val {
  /** Where this value was made, for "comes from here" notes. */
  Span origin();

  record TensorV(String node, TensorType type, Span origin) implements Val {}

  /** The largest integer a double holds exactly, 2^53. */
  double MAX_EXACT_INTEGER = 9007199254740992.0;

  record NumV(double value, boolean isInt, Span origin) implements Val {
    long asLong() { return (long) value; }

    /** Whether this is an integer, written as one or computed to a whole number (7 / 2 * 2). */
    boolean isWhole() { return isInt || (Double.isFinite(value) && value == Math.rint(value)); }
  }

  record StrV(String value, Span origin) implements Val {}

  /** A dimension bound per call ({@code batch}, {@code seq}). */
  record DimV(Dim dim, Span origin) implements Val {}

  record ListV(List<Val> items, Span origin) implements Val {}

  record NoneV(Span origin) implements Val {}

  record ErrorV(Span origin) implements Val {}

  /** A whole number's exact digits, also beyond the range of a long. */
  static String integerText(double v) {
    return Math.abs(v) < 1e18 ? Long.toString((long) v) : new java.math.BigDecimal(v).toPlainString();
  }

  static String describe(Val v) {
    return switch (v) {
      case TensorV t -> "a tensor " + t.type();
      case NumV n -> n.isInt() ? "the integer " + integerText(n.value()) : "the number " + n.value();
      case StrV s -> "the string \"" + s.value() + "\"";
      case DimV d -> "the dimension " + d.dim();
      case ListV l -> "a list";
      case NoneV n -> "none";
      case ErrorV e -> "an erroneous value";
    };
  }
}
