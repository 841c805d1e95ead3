package dev.heed.dsl.ast;

import dev.heed.dsl.diag.Span;
import java.util.List;
import java.util.Optional;

/** A statement in a layer or model body. */
public sealed interface Stmt {
  Span span();

  /** {@code input name: i64[batch, seq];} (models only) */
  record Input(String name, TypePattern type, Span span) implements Stmt {}

  /**
   * {@code param name: [d_out, d_in] = "checkpoint.name" init ones;}: a learned tensor.
   * {@code checkpointName} defaults to {@code name}; the enclosing {@code as} prefixes are
   * prepended. {@code init} (zeros, ones, uniform, normal) picks random initialisation.
   */
  record Param(String name, List<Expr> shape, Optional<String> checkpointName, Optional<String> init, Span span)
      implements Stmt {
    public Param {
      shape = List.copyOf(shape);
    }
  }

  /** {@code let name = expr;} */
  record Let(String name, Expr value, Span span) implements Stmt {}

  /** {@code name = expr;}: rebinds a variable declared earlier. */
  record Assign(String name, Expr value, Span span) implements Stmt {}

  /** {@code for var in from..to { body }}: unrolled at compile time; {@code to} is exclusive. */
  record For(String var, Expr from, Expr to, List<Stmt> body, Span span) implements Stmt {
    public For {
      body = List.copyOf(body);
    }
  }

  /** {@code return expr;} (layers only) */
  record Return(Expr value, Span span) implements Stmt {}

  /** {@code output name = expr;} (models only) */
  record Output(String name, Expr value, Span span) implements Stmt {}
}
