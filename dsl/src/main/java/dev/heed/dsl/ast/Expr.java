package dev.heed.dsl.ast;

import dev.heed.dsl.diag.Span;
import java.util.List;
import java.util.Optional;

/** An expression. Spans point at the operator for binary expressions, the callee for calls. */
public sealed interface Expr {
  Span span();

  /** A numeric literal; {@code isInteger} when written without '.' or exponent. */
  record Num(double value, boolean isInteger, String text, Span span) implements Expr {}

  /** A string literal, unescaped. */
  record Str(String value, Span span) implements Expr {}

  /** {@code none}: an absent optional argument. */
  record None(Span span) implements Expr {}

  /** A reference to a variable, constant, or dimension name. */
  record Name(String name, Span span) implements Expr {}

  /** {@code -e} */
  record Neg(Expr operand, Span span) implements Expr {}

  /** {@code l op r} for op in + - * / @ */
  record Binary(char op, Expr left, Expr right, Span span) implements Expr {}

  /** {@code [a, b, c]} */
  record ListOf(List<Expr> items, Span span) implements Expr {
    public ListOf {
      items = List.copyOf(items);
    }
  }

  /** {@code callee(args) [as "scope"]} */
  record Call(String callee, List<Arg> args, Optional<Str> scope, Span span) implements Expr {
    public Call {
      args = List.copyOf(args);
    }
  }

  /** A call argument, positional ({@code name} empty) or named. */
  record Arg(Optional<String> name, Expr value, Span span) {}
}
