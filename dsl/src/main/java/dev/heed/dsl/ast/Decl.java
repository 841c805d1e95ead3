package dev.heed.dsl.ast;

import dev.heed.dsl.diag.Span;
import java.util.List;
import java.util.Optional;

/** A top-level declaration. Every node carries the span of its name (or first token). */
public sealed interface Decl {
  String name();

  Span span();

  /** {@code const name = expr;} */
  record Const(String name, Expr value, Span span) implements Decl {}

  /** {@code layer Name(args) { body }} */
  record Layer(String name, List<ArgDecl> args, List<Stmt> body, Span span) implements Decl {
    public Layer {
      args = List.copyOf(args);
      body = List.copyOf(body);
    }
  }

  /** {@code model Name { body }} */
  record Model(String name, List<Stmt> body, Span span) implements Decl {
    public Model {
      body = List.copyOf(body);
    }
  }

  /** One formal argument of a layer: {@code name[: type][= default]}. */
  record ArgDecl(String name, Optional<TypePattern> type, Optional<Expr> defaultValue, Span span) {}
}
