package dev.heed.dsl;

import dev.heed.dsl.ast.Decl;
import dev.heed.dsl.ast.Expr;
import dev.heed.dsl.ast.Spec;
import dev.heed.dsl.ast.Stmt;
import dev.heed.dsl.ast.TypePattern;
import dev.heed.dsl.diag.Span;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Prints an AST as an indented tree, one node a line, for {@code heed emit --stage ast}:
 * <pre>
 * spec transformer.heed
 *   const d_model @3:7
 *     num 64
 *   layer EncoderLayer(x: f32[batch, seq, d], mask) @10:7
 *     let a @11:7
 *       call MultiHeadAttention as "self_attn" @11:11
 *         name x
 * </pre>
 * Every node but a literal or name ends in the {@code @line:col} of its span. Types, shapes,
 * defaults and loop bounds print inline, as source ({@link #source(Expr)}).
 */
public final class AstPrinter {
  private AstPrinter() {}

  /** The tree of {@code spec}, ending in a newline. */
  public static String print(Spec spec) {
    StringBuilder sb = new StringBuilder();
    sb.append("spec ").append(spec.file().name()).append('\n');
    for (Decl d : spec.decls()) decl(sb, d, 1);
    return sb.toString();
  }

  private static void decl(StringBuilder sb, Decl decl, int depth) {
    switch (decl) {
      case Decl.Const c -> {
        line(sb, depth, "const " + c.name(), c.span());
        expr(sb, c.value(), depth + 1);
      }
      case Decl.Layer l -> {
        String args = l.args().stream().map(AstPrinter::arg).collect(Collectors.joining(", "));
        line(sb, depth, "layer " + l.name() + "(" + args + ")", l.span());
        stmts(sb, l.body(), depth + 1);
      }
      case Decl.Model m -> {
        line(sb, depth, "model " + m.name(), m.span());
        stmts(sb, m.body(), depth + 1);
      }
    }
  }

  private static String arg(Decl.ArgDecl a) {
    return a.name() + a.type().map(t -> ": " + source(t)).orElse("")
        + a.defaultValue().map(v -> " = " + source(v)).orElse("");
  }

  private static void stmts(StringBuilder sb, List<Stmt> body, int depth) {
    for (Stmt s : body) stmt(sb, s, depth);
  }

  private static void stmt(StringBuilder sb, Stmt stmt, int depth) {
    switch (stmt) {
      case Stmt.Input i -> line(sb, depth, "input " + i.name() + ": " + source(i.type()), i.span());
      case Stmt.Param p -> line(sb, depth, "param " + p.name() + ": " + list(p.shape())
          + p.checkpointName().map(n -> " = " + quote(n)).orElse("")
          + p.init().map(n -> " init " + n).orElse(""), p.span());
      case Stmt.Let l -> {
        line(sb, depth, "let " + l.name(), l.span());
        expr(sb, l.value(), depth + 1);
      }
      case Stmt.Assign a -> {
        line(sb, depth, "assign " + a.name(), a.span());
        expr(sb, a.value(), depth + 1);
      }
      case Stmt.For f -> {
        line(sb, depth, "for " + f.var() + " in " + source(f.from()) + ".." + source(f.to()), f.span());
        stmts(sb, f.body(), depth + 1);
      }
      case Stmt.Return r -> {
        line(sb, depth, "return", r.span());
        expr(sb, r.value(), depth + 1);
      }
      case Stmt.Output o -> {
        line(sb, depth, "output " + o.name(), o.span());
        expr(sb, o.value(), depth + 1);
      }
    }
  }

  private static void expr(StringBuilder sb, Expr expr, int depth) {
    switch (expr) {
      case Expr.Num n -> line(sb, depth, "num " + n.text(), null);
      case Expr.Str s -> line(sb, depth, "str " + quote(s.value()), null);
      case Expr.None n -> line(sb, depth, "none", null);
      case Expr.Name n -> line(sb, depth, "name " + n.name(), null);
      case Expr.Neg n -> {
        line(sb, depth, "neg", n.span());
        expr(sb, n.operand(), depth + 1);
      }
      case Expr.Binary b -> {
        line(sb, depth, "binary " + b.op(), b.span());
        expr(sb, b.left(), depth + 1);
        expr(sb, b.right(), depth + 1);
      }
      case Expr.ListOf l -> {
        line(sb, depth, "list", l.span());
        for (Expr item : l.items()) expr(sb, item, depth + 1);
      }
      case Expr.Call c -> {
        line(sb, depth, "call " + c.callee() + c.scope().map(s -> " as " + quote(s.value())).orElse(""), c.span());
        for (Expr.Arg a : c.args()) {
          if (a.name().isPresent()) {
            line(sb, depth + 1, "arg " + a.name().get(), a.span());
            expr(sb, a.value(), depth + 2);
          } else {
            expr(sb, a.value(), depth + 1);
          }
        }
      }
    }
  }

  private static void line(StringBuilder sb, int depth, String text, Span span) {
    sb.append("  ".repeat(depth)).append(text);
    if (span != null) sb.append(" @").append(span.line()).append(':').append(span.col());
    sb.append('\n');
  }

  /** {@code f32[batch, seq, d]}, {@code [..., d]}. */
  public static String source(TypePattern type) {
    String dims = type.dims().stream()
        .map(d -> switch (d) {
          case TypePattern.DimPattern.Rest r -> "...";
          case TypePattern.DimPattern.Of o -> source(o.expr());
        })
        .collect(Collectors.joining(", "));
    return type.dtype().orElse("") + "[" + dims + "]";
  }

  /** {@code expr} as heed source, with parentheses only where precedence needs them. */
  public static String source(Expr expr) {
    return switch (expr) {
      case Expr.Num n -> n.text();
      case Expr.Str s -> quote(s.value());
      case Expr.None n -> "none";
      case Expr.Name n -> n.name();
      case Expr.Neg n -> "-" + operand(n.operand(), 3);
      case Expr.Binary b -> {
        int p = precedence(b);
        yield operand(b.left(), p) + " " + b.op() + " " + operand(b.right(), p + 1);
      }
      case Expr.ListOf l -> list(l.items());
      case Expr.Call c -> c.callee() + "(" + c.args().stream()
          .map(a -> a.name().map(n -> n + " = ").orElse("") + source(a.value()))
          .collect(Collectors.joining(", ")) + ")"
          + c.scope().map(s -> " as " + quote(s.value())).orElse("");
    };
  }

  private static String operand(Expr e, int minPrecedence) {
    String s = source(e);
    return precedence(e) < minPrecedence ? "(" + s + ")" : s;
  }

  /** 1 for + and -, 2 for * / @, 3 for negation, 4 for everything that binds tighter. */
  private static int precedence(Expr e) {
    return switch (e) {
      case Expr.Binary b -> b.op() == '+' || b.op() == '-' ? 1 : 2;
      case Expr.Neg n -> 3;
      default -> 4;
    };
  }

  private static String list(List<Expr> items) {
    return items.stream().map(AstPrinter::source).collect(Collectors.joining(", ", "[", "]"));
  }

  /** A string literal that reads back as {@code value}. */
  static String quote(String value) {
    StringBuilder sb = new StringBuilder("\"");
    for (char ch : value.toCharArray()) {
      switch (ch) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        case '\r' -> sb.append("\\r");
        default -> sb.append(ch);
      }
    }
    return sb.append('"').toString();
  }
}
