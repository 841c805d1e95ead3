package dev.heed.dsl;

import dev.heed.dsl.ast.Decl;
import dev.heed.dsl.ast.Expr;
import dev.heed.dsl.ast.Spec;
import dev.heed.dsl.ast.Stmt;
import dev.heed.dsl.ast.TypePattern;
import dev.heed.dsl.diag.Diagnostics;
import dev.heed.dsl.diag.SourceFile;
import dev.heed.dsl.diag.Span;
import dev.heed.dsl.diag.Suggest;
import dev.heed.dsl.grammar.HeedBaseVisitor;
import dev.heed.dsl.grammar.HeedParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;

/**
 * Builds the AST of a parse tree, and checks what the grammar leaves open: element types
 * ({@code f32}, {@code i64}), {@code init} kinds, number ranges, string escapes, and that a
 * {@code param} shape has no {@code ...}. Problems are added to a {@link Diagnostics}, all
 * of them, not thrown one at a time.
 *
 * <p>Spans: a declaration, and a statement that names something ({@code input},
 * {@code param}, {@code let}, assignment, {@code output}), a layer argument and a named call
 * argument point at the name, so diagnostics about a declaration point at its name;
 * {@code for} and {@code return} point at their keyword. A binary expression points at its
 * operator, a call at its callee, a negation at its {@code -}, a list at its {@code [}, a
 * type pattern at its first token, a literal or name at itself.
 */
public final class AstBuilder {
  /** The element types a tensor may have. */
  public static final List<String> DTYPES = List.of("f32", "i64");

  /** The initialisations a {@code param} may ask for. */
  public static final List<String> INITS = List.of("zeros", "ones", "uniform", "normal");

  /** The largest integer a double holds exactly, 2^53. */
  private static final double MAX_EXACT_INTEGER = 9007199254740992.0;

  private final SourceFile file;
  private final Diagnostics diagnostics;
  private final ExprBuilder exprs = new ExprBuilder();
  private final StmtBuilder stmts = new StmtBuilder();

  /** A builder for trees parsed from {@code file}, reporting to {@code diagnostics}. */
  public AstBuilder(SourceFile file, Diagnostics diagnostics) {
    this.file = file;
    this.diagnostics = diagnostics;
  }

  /** The spec of {@code tree}. */
  public Spec build(HeedParser.SpecContext tree) {
    List<Decl> decls = new ArrayList<>();
    for (HeedParser.DeclContext d : tree.decl()) {
      Decl decl = decl(d);
      if (decl != null) decls.add(decl);
    }
    return new Spec(file, decls);
  }

  private Decl decl(HeedParser.DeclContext ctx) {
    if (ctx.constDecl() != null) {
      HeedParser.ConstDeclContext c = ctx.constDecl();
      return new Decl.Const(text(c.name), expr(c.expr(), c), span(c.name, c));
    }
    if (ctx.layerDecl() != null) {
      HeedParser.LayerDeclContext c = ctx.layerDecl();
      List<Decl.ArgDecl> args = new ArrayList<>();
      for (HeedParser.ArgDeclContext a : c.argDecl()) {
        args.add(new Decl.ArgDecl(text(a.name),
            Optional.ofNullable(a.typePattern()).map(this::typePattern),
            Optional.ofNullable(a.expr()).map(e -> expr(e, a)),
            span(a.name, a)));
      }
      return new Decl.Layer(text(c.name), args, block(c.block()), span(c.name, c));
    }
    if (ctx.modelDecl() != null) {
      HeedParser.ModelDeclContext c = ctx.modelDecl();
      return new Decl.Model(text(c.name), block(c.block()), span(c.name, c));
    }
    return null;
  }

  private List<Stmt> block(HeedParser.BlockContext ctx) {
    List<Stmt> body = new ArrayList<>();
    if (ctx == null) return body;
    for (HeedParser.StmtContext s : ctx.stmt()) {
      Stmt stmt = stmts.visit(s);
      if (stmt != null) body.add(stmt);
    }
    return body;
  }

  private TypePattern typePattern(HeedParser.TypePatternContext ctx) {
    Optional<String> dtype = Optional.empty();
    if (ctx.dtype != null) {
      String name = ctx.dtype.getText();
      if (!DTYPES.contains(name) && real(ctx.dtype)) {
        diagnostics.error(span(ctx.dtype, ctx), "unknown element type '" + name + "'; expected f32 or i64"
            + Suggest.didYouMean(name, DTYPES));
      }
      dtype = Optional.of(name);
    }
    List<TypePattern.DimPattern> dims = new ArrayList<>();
    if (ctx.shape() != null) {
      for (HeedParser.DimContext d : ctx.shape().dim()) {
        if (d instanceof HeedParser.RestDimContext) {
          dims.add(new TypePattern.DimPattern.Rest(span(d.getStart(), d)));
        } else if (d instanceof HeedParser.ExprDimContext e) {
          dims.add(new TypePattern.DimPattern.Of(expr(e.expr(), e), span(d.getStart(), d)));
        }
      }
    }
    return new TypePattern(dtype, dims, span(ctx.getStart(), ctx));
  }

  /** Statements; a {@code null} result stands for a statement too broken to build. */
  private final class StmtBuilder extends HeedBaseVisitor<Stmt> {
    @Override
    public Stmt visitInputStmt(HeedParser.InputStmtContext c) {
      if (c.typePattern() == null) return null;
      return new Stmt.Input(text(c.name), typePattern(c.typePattern()), span(c.name, c));
    }

    @Override
    public Stmt visitParamStmt(HeedParser.ParamStmtContext c) {
      List<Expr> shape = new ArrayList<>();
      if (c.shape() != null) {
        for (HeedParser.DimContext d : c.shape().dim()) {
          if (d instanceof HeedParser.ExprDimContext e) {
            shape.add(expr(e.expr(), e));
          } else {
            diagnostics.error(span(d.getStart(), d),
                "'...' is not allowed in a param shape; a parameter's dimensions must all be given");
          }
        }
      }
      Optional<String> checkpoint = Optional.empty();
      if (c.ckpt != null) {
        Expr.Str name = string(c.ckpt, c);
        if (name.value().isEmpty() && real(c.ckpt)) {
          diagnostics.error(name.span(), "checkpoint name must not be empty");
        }
        int brace = c.ckpt.getText().indexOf('{') >= 0 ? c.ckpt.getText().indexOf('{') : c.ckpt.getText().indexOf('}');
        if (brace >= 0 && real(c.ckpt)) {
          // Only `as "..."` prefixes interpolate {name}; a literal brace here is almost surely meant as one.
          diagnostics.error(new Span(file, name.span().line(), name.span().col() + brace, 1),
              "'" + c.ckpt.getText().charAt(brace) + "' in a checkpoint name: only a call's `as \"...\"` prefix "
                  + "interpolates {name}; name the parameter without braces and give the layer call `as \"...{i}\"`");
        }
        checkpoint = Optional.of(name.value());
      }
      Optional<String> init = Optional.empty();
      if (c.init != null) {
        String kind = c.init.getText();
        if (!INITS.contains(kind) && real(c.init)) {
          diagnostics.error(span(c.init, c), "unknown init '" + kind + "'; expected zeros, ones, uniform or normal"
              + Suggest.didYouMean(kind, INITS));
        }
        init = Optional.of(kind);
      }
      return new Stmt.Param(text(c.name), shape, checkpoint, init, span(c.name, c));
    }

    @Override
    public Stmt visitLetStmt(HeedParser.LetStmtContext c) {
      return new Stmt.Let(text(c.name), expr(c.expr(), c), span(c.name, c));
    }

    @Override
    public Stmt visitAssignStmt(HeedParser.AssignStmtContext c) {
      return new Stmt.Assign(text(c.name), expr(c.expr(), c), span(c.name, c));
    }

    @Override
    public Stmt visitForStmt(HeedParser.ForStmtContext c) {
      return new Stmt.For(text(c.var), expr(c.from, c), expr(c.to, c), block(c.block()), span(c.getStart(), c));
    }

    @Override
    public Stmt visitReturnStmt(HeedParser.ReturnStmtContext c) {
      return new Stmt.Return(expr(c.expr(), c), span(c.getStart(), c));
    }

    @Override
    public Stmt visitOutputStmt(HeedParser.OutputStmtContext c) {
      return new Stmt.Output(text(c.name), expr(c.expr(), c), span(c.name, c));
    }
  }

  /** {@code ctx} as an expression; {@code parent} locates a placeholder when ctx is missing. */
  private Expr expr(HeedParser.ExprContext ctx, ParserRuleContext parent) {
    if (ctx == null) return new Expr.Name("<error>", span(null, parent));
    Expr e = exprs.visit(ctx);
    return e != null ? e : new Expr.Name("<error>", span(ctx.getStart(), ctx));
  }

  /** Expressions; parentheses leave no node of their own. */
  private final class ExprBuilder extends HeedBaseVisitor<Expr> {
    @Override
    public Expr visitParenExpr(HeedParser.ParenExprContext c) {
      return expr(c.expr(), c);
    }

    @Override
    public Expr visitCallExpr(HeedParser.CallExprContext c) {
      List<Expr.Arg> args = new ArrayList<>();
      for (HeedParser.ArgContext a : c.arg()) {
        args.add(new Expr.Arg(Optional.ofNullable(a.name).map(Token::getText), expr(a.expr(), a),
            span(a.getStart(), a)));
      }
      Optional<Expr.Str> scope = Optional.ofNullable(c.scope).map(s -> string(s, c));
      return new Expr.Call(text(c.callee), args, scope, span(c.callee, c));
    }

    @Override
    public Expr visitNegExpr(HeedParser.NegExprContext c) {
      return new Expr.Neg(expr(c.expr(), c), span(c.getStart(), c));
    }

    @Override
    public Expr visitMulExpr(HeedParser.MulExprContext c) {
      return binary(c.op, c.expr(0), c.expr(1), c);
    }

    @Override
    public Expr visitAddExpr(HeedParser.AddExprContext c) {
      return binary(c.op, c.expr(0), c.expr(1), c);
    }

    private Expr binary(Token op, HeedParser.ExprContext left, HeedParser.ExprContext right, ParserRuleContext c) {
      return new Expr.Binary(op.getText().charAt(0), expr(left, c), expr(right, c), span(op, c));
    }

    @Override
    public Expr visitListExpr(HeedParser.ListExprContext c) {
      List<Expr> items = new ArrayList<>();
      for (HeedParser.ExprContext e : c.expr()) items.add(expr(e, c));
      return new Expr.ListOf(items, span(c.getStart(), c));
    }

    @Override
    public Expr visitNumberExpr(HeedParser.NumberExprContext c) {
      return number(c.NUMBER().getSymbol(), c);
    }

    @Override
    public Expr visitStringExpr(HeedParser.StringExprContext c) {
      return string(c.STRING().getSymbol(), c);
    }

    @Override
    public Expr visitNoneExpr(HeedParser.NoneExprContext c) {
      return new Expr.None(span(c.getStart(), c));
    }

    @Override
    public Expr visitNameExpr(HeedParser.NameExprContext c) {
      return new Expr.Name(c.ID().getText(), span(c.getStart(), c));
    }
  }

  private Expr.Num number(Token token, ParserRuleContext ctx) {
    String text = token.getText();
    Span span = span(token, ctx);
    boolean isInteger = text.chars().allMatch(Character::isDigit);
    if (!real(token)) return new Expr.Num(0, true, text, span);
    double value = Double.parseDouble(text);
    if (!Double.isFinite(value)) {
      diagnostics.error(span, "number '" + text + "' is too large");
      value = 0;
    } else if (isInteger && value > MAX_EXACT_INTEGER) {
      diagnostics.error(span, "integer '" + text + "' is too large; integers must be at most 2^53");
      value = 0;
    }
    return new Expr.Num(value, isInteger, text, span);
  }

  /** The unescaped string of a STRING token, reporting unknown escapes. */
  private Expr.Str string(Token token, ParserRuleContext ctx) {
    Span span = span(token, ctx);
    String text = token.getText();
    if (!real(token) || text.length() < 2) return new Expr.Str("", span);
    StringBuilder value = new StringBuilder();
    for (int i = 1; i < text.length() - 1; i++) {
      char ch = text.charAt(i);
      if (ch == '\u2028' || ch == '\u2029') {
        // Java tools (JavaPoet among them) start a new line at these; generated code would break.
        diagnostics.error(new Span(file, span.line(), span.col() + i, 1), String.format(
            "string contains U+%04X, a %s separator; write it some other way", (int) ch, ch == '\u2028' ? "line" : "paragraph"));
        continue;
      }
      if (ch != '\\') {
        value.append(ch);
        continue;
      }
      char escaped = i + 1 < text.length() - 1 ? text.charAt(i + 1) : '\\';
      switch (escaped) {
        case 'n' -> value.append('\n');
        case 't' -> value.append('\t');
        case 'r' -> value.append('\r');
        case '"' -> value.append('"');
        case '\\' -> value.append('\\');
        default -> {
          int length = Character.charCount(text.codePointAt(i + 1)) + 1;
          diagnostics.error(new Span(file, span.line(), span.col() + i, length),
              "invalid escape '\\" + text.substring(i + 1, i + length) + "' in string; "
                  + "the escapes are \\n, \\t, \\r, \\\" and \\\\");
          i += length - 2;
        }
      }
      i++;
    }
    return new Expr.Str(value.toString(), span);
  }

  /** The text of a name token; a placeholder where error recovery left none. */
  private static String text(Token token) {
    return token != null ? token.getText() : "<error>";
  }

  /** The span of {@code token}, or of {@code ctx}'s first token where there is none. */
  private Span span(Token token, ParserRuleContext ctx) {
    return TokenSpans.of(file, token != null ? token : ctx.getStart());
  }

  /** Whether {@code token} is in the input, not made up by error recovery. */
  private static boolean real(Token token) {
    return token.getTokenIndex() >= 0 && token.getStartIndex() >= 0;
  }
}
