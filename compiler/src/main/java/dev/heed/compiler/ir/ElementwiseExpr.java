package dev.heed.compiler.ir;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The expression of an {@link Op#ELEMENTWISE} node: a tree of elementwise ops over the node's
 * operands ({@code $0}, {@code $1}, …) and f32 constants. The text form, which IR text holds
 * in the node's {@code expr} attribute, is
 * <pre>
 *   expr   := "(" expr " " op " " expr ")" | unary "(" expr ")" | "$" index | number
 *   op     := "+" | "-" | "*" | "/"
 *   unary  := neg | relu | gelu | gelu_tanh | tanh | sigmoid | exp | sqrt
 *   number := a float in Java's Float.toString form, e.g. 0.5 or -1.0E9
 * </pre>
 * Every binary op is parenthesised, so the text is the tree: {@link #toString()} prints it back
 * exactly. Each step is the IR op of that name, evaluated as {@code interp.Scalars} defines it,
 * so a fused chain computes the same bits as the ops it replaces.
 */
public sealed interface ElementwiseExpr {
  /** {@code $index}: the operand at that position. */
  record Operand(int index) implements ElementwiseExpr {
    public Operand {
      if (index < 0) throw new IllegalArgumentException("operand index must be ≥ 0, got " + index);
    }
  }

  /** An f32 constant. */
  record Constant(float value) implements ElementwiseExpr {}

  /** A unary elementwise op applied to {@code x}. */
  record Unary(Op op, ElementwiseExpr x) implements ElementwiseExpr {
    public Unary {
      if (!op.isUnaryElementwise()) throw new IllegalArgumentException(op.irName() + " is not a unary elementwise op");
    }
  }

  /** A binary elementwise op (add, sub, mul, div). */
  record Binary(Op op, ElementwiseExpr a, ElementwiseExpr b) implements ElementwiseExpr {
    public Binary {
      if (!op.isBinaryElementwise()) throw new IllegalArgumentException(op.irName() + " is not a binary elementwise op");
    }
  }

  /** The highest operand index used, plus one. */
  default int arity() {
    return switch (this) {
      case Operand o -> o.index() + 1;
      case Constant c -> 0;
      case Unary u -> u.x().arity();
      case Binary b -> Math.max(b.a().arity(), b.b().arity());
    };
  }

  /** How many ops the expression applies (its kernel's work per element). */
  default int opCount() {
    return switch (this) {
      case Operand o -> 0;
      case Constant c -> 0;
      case Unary u -> 1 + u.x().opCount();
      case Binary b -> 1 + b.a().opCount() + b.b().opCount();
    };
  }

  /**
   * Renders the expression with {@code operand} giving each operand's text and {@code unary}
   * and {@code binary} each op's: how emitters turn it into code.
   */
  default String render(Function<Integer, String> operand, Function<Float, String> constant,
      java.util.function.BiFunction<Op, String, String> unary, Binary3 binary) {
    return switch (this) {
      case Operand o -> operand.apply(o.index());
      case Constant c -> constant.apply(c.value());
      case Unary u -> unary.apply(u.op(), u.x().render(operand, constant, unary, binary));
      case Binary b -> binary.apply(b.op(), b.a().render(operand, constant, unary, binary),
          b.b().render(operand, constant, unary, binary));
    };
  }

  /** A renderer of binary ops, for {@link #render}. */
  @FunctionalInterface
  interface Binary3 {
    String apply(Op op, String a, String b);
  }

  /** The text form (see the interface comment). */
  static String print(ElementwiseExpr e) {
    return e.render(i -> "$" + i, c -> Float.toString(c), (op, x) -> op.irName() + "(" + x + ")",
        (op, a, b) -> "(" + a + " " + symbol(op) + " " + b + ")");
  }

  static String symbol(Op op) {
    return switch (op) {
      case ADD -> "+";
      case SUB -> "-";
      case MUL -> "*";
      case DIV -> "/";
      default -> throw new IllegalArgumentException(op.irName() + " is not a binary elementwise op");
    };
  }

  /** Parses the text form, or throws IllegalArgumentException saying where and what. */
  static ElementwiseExpr parse(String text) {
    Parser p = new Parser(text);
    ElementwiseExpr e = p.expr();
    p.skipSpaces();
    if (p.pos != text.length()) throw p.error("unexpected '" + text.charAt(p.pos) + "'");
    return e;
  }

  /** Evaluates with {@code args[i]} for {@code $i}, by the given scalar semantics. */
  default float eval(float[] args, Semantics scalars) {
    return switch (this) {
      case Operand o -> args[o.index()];
      case Constant c -> c.value();
      case Unary u -> scalars.unary(u.op(), u.x().eval(args, scalars));
      case Binary b -> scalars.binary(b.op(), b.a().eval(args, scalars), b.b().eval(args, scalars));
    };
  }

  /** Scalar semantics for {@link #eval} (the interpreter passes its reference definitions). */
  interface Semantics {
    float unary(Op op, float x);

    float binary(Op op, float a, float b);
  }

  /** The operand indices the expression reads, in first-use order. */
  default List<Integer> operands() {
    List<Integer> out = new ArrayList<>();
    render(i -> {
      if (!out.contains(i)) out.add(i);
      return "";
    }, c -> "", (op, x) -> "", (op, a, b) -> "");
    return out;
  }

  /** A small recursive-descent parser for the text form. */
  final class Parser {
    private final String text;
    private int pos;

    private Parser(String text) {
      this.text = text;
    }

    private IllegalArgumentException error(String what) {
      return new IllegalArgumentException("elementwise expr \"" + text + "\" at column " + (pos + 1) + ": " + what);
    }

    private void skipSpaces() {
      while (pos < text.length() && text.charAt(pos) == ' ') pos++;
    }

    private boolean eat(char c) {
      skipSpaces();
      if (pos < text.length() && text.charAt(pos) == c) {
        pos++;
        return true;
      }
      return false;
    }

    private void expect(char c) {
      if (!eat(c)) throw error("expected '" + c + "'");
    }

    private ElementwiseExpr expr() {
      skipSpaces();
      if (pos >= text.length()) throw error("expected an expression");
      char c = text.charAt(pos);
      if (c == '(') {
        pos++;
        ElementwiseExpr a = expr();
        skipSpaces();
        if (pos >= text.length()) throw error("expected + - * or /");
        Op op = switch (text.charAt(pos)) {
          case '+' -> Op.ADD;
          case '-' -> Op.SUB;
          case '*' -> Op.MUL;
          case '/' -> Op.DIV;
          default -> throw error("expected + - * or /");
        };
        pos++;
        ElementwiseExpr b = expr();
        expect(')');
        return new Binary(op, a, b);
      }
      if (c == '$') {
        pos++;
        int start = pos;
        while (pos < text.length() && Character.isDigit(text.charAt(pos))) pos++;
        if (start == pos || pos - start > 6) throw error("expected an operand number after '$'");
        return new Operand(Integer.parseInt(text.substring(start, pos)));
      }
      if (Character.isLetter(c)) {
        int start = pos;
        while (pos < text.length() && (Character.isLetter(text.charAt(pos)) || text.charAt(pos) == '_')) pos++;
        String name = text.substring(start, pos);
        Op op = Op.fromIrName(name);
        if (op == null || !op.isUnaryElementwise()) {
          if (name.equals("NaN") || name.equals("Infinity")) return new Constant(Float.parseFloat(name));
          pos = start;
          throw error("unknown function '" + name + "'");
        }
        expect('(');
        ElementwiseExpr x = expr();
        expect(')');
        return new Unary(op, x);
      }
      int start = pos;
      while (pos < text.length() && "+-.0123456789eEInfinityNa".indexOf(text.charAt(pos)) >= 0) pos++;
      try {
        return new Constant(Float.parseFloat(text.substring(start, pos)));
      } catch (NumberFormatException e) {
        pos = start;
        throw error("expected an expression");
      }
    }
  }
}
