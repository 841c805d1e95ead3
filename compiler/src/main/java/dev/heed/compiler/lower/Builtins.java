package dev.heed.compiler.lower;

import dev.heed.compiler.ir.Attr;
import dev.heed.compiler.ir.Dim;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.ir.ShapeError;
import dev.heed.compiler.ir.TensorType;
import dev.heed.dsl.ast.Expr;
import dev.heed.dsl.diag.Span;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * heed's built-in functions: their signatures (for arity and argument-name errors) and
 * how each lowers to IR ops. Layers with parameters (Linear, MultiHeadAttention, ...) are
 * written in heed itself, in {@code prelude.heed}.
 */
final class Builtins {
  /** One built-in: its formal arguments (a trailing '?' marks optional ones) and its lowering. */
  private record Builtin(String name, List<String> formals, String doc, Impl impl) {}

  @FunctionalInterface
  private interface Impl {
    Val apply(Args a);
  }

  private final Lowering low;
  private final Map<String, Builtin> table = new TreeMap<>();

  Builtins(Lowering low) {
    this.low = low;
    def("linear", "x, weight, bias?", "x·weightᵀ + bias; weight is [out, in]", a -> {
      List<Val.TensorV> ops = new ArrayList<>(List.of(a.tensor("x"), a.tensor("weight")));
      if (a.present("bias")) ops.add(a.tensor("bias"));
      return a.op(Op.LINEAR, ops, Map.of());
    });
    def("matmul", "a, b", "batched matrix product; also written a @ b", a -> a.op(Op.MATMUL, List.of(a.tensor("a"), a.tensor("b")), Map.of()));
    def("transpose", "x, dim0?, dim1?", "swaps two axes, by default the last two", a -> {
      Val.TensorV x = a.tensor("x");
      int r = x.type().rank();
      int d0 = a.axis("dim0", -2, x), d1 = a.axis("dim1", -1, x);
      List<Long> perm = new ArrayList<>();
      for (long i = 0; i < r; i++) perm.add(i);
      perm.set(d0, (long) d1);
      perm.set(d1, (long) d0);
      return a.op(Op.TRANSPOSE, List.of(x), Map.of("perm", new Attr.Ints(perm)));
    });
    def("reshape", "x, shape", "same elements, new shape: a list of sizes and dimension names", a -> {
      Val.TensorV x = a.tensor("x");
      return reshape(a, x, a.shape("shape"));
    });
    def("unsqueeze", "x, axis", "inserts an axis of size 1", a -> {
      Val.TensorV x = a.tensor("x");
      List<Dim> s = new ArrayList<>(x.type().shape());
      int ax = (int) a.integer("axis", 0);
      if (ax < 0) ax += s.size() + 1;
      if (ax < 0 || ax > s.size()) throw a.err("unsqueeze: axis " + a.integer("axis", 0) + " is out of range for " + x.type());
      s.add(ax, Dim.of(1));
      return reshape(a, x, s);
    });
    def("squeeze", "x, axis", "removes an axis of size 1", a -> {
      Val.TensorV x = a.tensor("x");
      int ax = a.axis("axis", 0, x);
      if (!x.type().dim(ax).isOne()) throw a.err("squeeze: axis " + ax + " of " + x.type() + " has size " + x.type().dim(ax) + ", not 1");
      List<Dim> s = new ArrayList<>(x.type().shape());
      s.remove(ax);
      return reshape(a, x, s);
    });
    def("split_heads", "x, heads", "[batch, seq, heads·d] → [batch, heads, seq, d]", a -> {
      Val.TensorV x = a.tensor("x");
      long h = a.positive("heads");
      TensorType t = x.type();
      if (t.rank() != 3) throw a.err("split_heads expects [batch, seq, features], got " + t);
      if (!t.last().isKnown() || t.last().size() % h != 0) {
        throw a.err("split_heads: " + t.last() + " features do not split into " + h + " heads");
      }
      Val.TensorV r = reshape(a, x, List.of(t.dim(0), t.dim(1), Dim.of(h), Dim.of(t.last().size() / h)));
      return a.op(Op.TRANSPOSE, List.of(r), Map.of("perm", new Attr.Ints(List.of(0L, 2L, 1L, 3L))));
    });
    def("merge_heads", "x", "[batch, heads, seq, d] → [batch, seq, heads·d]", a -> {
      Val.TensorV x = a.tensor("x");
      TensorType t = x.type();
      if (t.rank() != 4 || !t.dim(1).isKnown() || !t.last().isKnown()) {
        throw a.err("merge_heads expects [batch, heads, seq, d] with known heads and d, got " + t);
      }
      Val.TensorV tr = a.op(Op.TRANSPOSE, List.of(x), Map.of("perm", new Attr.Ints(List.of(0L, 2L, 1L, 3L))));
      return reshape(a, tr, List.of(t.dim(0), t.dim(2), Dim.of(t.dim(1).size() * t.last().size())));
    });
    def("concat", "tensors, axis?", "joins a list of tensors along axis (default -1)", a -> {
      List<Val.TensorV> ts = a.tensorList("tensors");
      if (ts.isEmpty()) throw a.err("concat needs at least one tensor");
      if (ts.size() == 1) return ts.get(0);
      int ax = a.axis("axis", -1, ts.get(0));
      return a.op(Op.CONCAT, ts, Map.of("axis", new Attr.Int(ax)));
    });
    def("softmax", "x, axis?", "e^x / Σ e^x along axis (default -1)", a -> {
      Val.TensorV x = a.tensor("x");
      return a.op(Op.SOFTMAX, List.of(x), Map.of("axis", new Attr.Int(a.axis("axis", -1, x))));
    });
    def("masked_softmax", "scores, mask?", "softmax(scores + mask) over the last axis; see attention for mask shapes", a -> {
      Val.TensorV s = a.tensor("scores");
      if (a.present("mask")) s = a.op(Op.ADD, List.of(s, alignMask(a, a.tensor("mask"), s)), Map.of());
      return a.op(Op.SOFTMAX, List.of(s), Map.of("axis", new Attr.Int(s.type().rank() - 1)));
    });
    def("attention", "q, k, v, mask?, scale?",
        "softmax(q·kᵀ·scale + mask)·v with scale = 1/√d_k by default; mask is [q, k], [batch, q, k] (broadcast over heads) or the scores' shape",
        a -> {
          Val.TensorV q = a.tensor("q"), k = a.tensor("k"), v = a.tensor("v");
          if (q.type().rank() < 2) throw a.err("attention: q must be [..., seq, d], got " + q.type());
          double scale;
          if (a.present("scale")) {
            scale = a.number("scale");
          } else {
            Dim dk = q.type().last();
            if (!dk.isKnown()) throw a.err("attention: the key dimension of q " + q.type() + " must be known to scale by 1/√d_k");
            scale = 1.0 / Math.sqrt(dk.size());
          }
          int r = k.type().rank();
          if (r < 2) throw a.err("attention: k must be [..., seq, d], got " + k.type());
          List<Long> perm = new ArrayList<>();
          for (long i = 0; i < r; i++) perm.add(i);
          perm.set(r - 2, (long) r - 1);
          perm.set(r - 1, (long) r - 2);
          Val.TensorV kt = a.op(Op.TRANSPOSE, List.of(k), Map.of("perm", new Attr.Ints(perm)));
          Val.TensorV s = a.op(Op.MATMUL, List.of(q, kt), Map.of());
          s = a.op(Op.MUL, List.of(s, low.constant(scale, a.span)), Map.of());
          if (a.present("mask")) s = a.op(Op.ADD, List.of(s, alignMask(a, a.tensor("mask"), s)), Map.of());
          Val.TensorV p = a.op(Op.SOFTMAX, List.of(s), Map.of("axis", new Attr.Int(s.type().rank() - 1)));
          return a.op(Op.MATMUL, List.of(p, v), Map.of());
        });
    def("padding_mask", "mask", "[batch, seq] of 1 (token) / 0 (padding) → additive mask [batch, 1, seq]",
        a -> a.op(Op.PADDING_MASK, List.of(a.tensor("mask")), Map.of()));
    def("causal_mask", "x, axis?", "additive mask [n, n] hiding later positions; n = x.shape[axis] (default 1)", a -> {
      Val.TensorV x = a.tensor("x");
      return a.op(Op.CAUSAL_MASK, List.of(x), Map.of("axis", new Attr.Int(a.axis("axis", 1, x))));
    });
    def("layer_norm", "x, weight, bias, eps?", "LayerNorm over the last axis (eps default 1e-5)",
        a -> a.op(Op.LAYER_NORM, List.of(a.tensor("x"), a.tensor("weight"), a.tensor("bias")),
            Map.of("eps", new Attr.Float(a.present("eps") ? a.number("eps") : 1e-5))));
    def("rms_norm", "x, weight, eps?", "RMSNorm over the last axis (eps default 1e-6)",
        a -> a.op(Op.RMS_NORM, List.of(a.tensor("x"), a.tensor("weight")),
            Map.of("eps", new Attr.Float(a.present("eps") ? a.number("eps") : 1e-6))));
    unary("relu", Op.RELU, "max(x, 0)");
    unary("tanh", Op.TANH, "tanh(x)");
    unary("sigmoid", Op.SIGMOID, "1 / (1 + e^-x)");
    unary("exp", Op.EXP, "e^x");
    def("sqrt", "x", "√x, of a tensor or a number", a -> {
      Val x = a.value("x");
      if (x instanceof Val.NumV n) {
        if (n.value() < 0) throw a.err("sqrt of the negative number " + n.value());
        return new Val.NumV(Math.sqrt(n.value()), false, a.span);
      }
      return a.op(Op.SQRT, List.of(a.tensor("x")), Map.of());
    });
    def("gelu", "x, approximate?", "GELU: exact (erf) by default, approximate = \"tanh\" for the tanh form", a -> {
      String mode = a.present("approximate") ? a.string("approximate") : "none";
      return switch (mode) {
        case "none", "erf" -> a.op(Op.GELU, List.of(a.tensor("x")), Map.of());
        case "tanh" -> a.op(Op.GELU_TANH, List.of(a.tensor("x")), Map.of());
        default -> throw a.err("gelu: approximate must be \"none\" or \"tanh\", not \"" + mode + "\"");
      };
    });
    def("activation", "x, kind", "an activation chosen by name: relu, gelu, gelu_tanh, tanh, sigmoid, identity", a -> {
      String kind = a.string("kind");
      Op op = switch (kind) {
        case "relu" -> Op.RELU;
        case "gelu" -> Op.GELU;
        case "gelu_tanh" -> Op.GELU_TANH;
        case "tanh" -> Op.TANH;
        case "sigmoid" -> Op.SIGMOID;
        case "identity" -> null;
        default -> throw a.err("unknown activation \"" + kind + "\"" + dev.heed.dsl.diag.Suggest.didYouMean(kind,
            List.of("relu", "gelu", "gelu_tanh", "tanh", "sigmoid", "identity")));
      };
      return op == null ? a.tensor("x") : a.op(op, List.of(a.tensor("x")), Map.of());
    });
    def("dropout", "x, p?", "identity at inference", a -> a.tensor("x"));
    def("embedding", "ids, table", "rows of table [vocab, dim] for i64 ids", a -> a.op(Op.EMBEDDING, List.of(a.tensor("ids"), a.tensor("table")), Map.of()));
    def("positions", "x, axis?", "i64 [n] = 0, 1, …, n-1 with n = x.shape[axis] (default 1)", a -> {
      Val.TensorV x = a.tensor("x");
      return a.op(Op.POSITIONS, List.of(x), Map.of("axis", new Attr.Int(a.axis("axis", 1, x))));
    });
    def("sinusoidal", "x, dim, axis?", "sinusoidal position encodings [n, dim], n = x.shape[axis] (default 1)", a -> {
      Val.TensorV x = a.tensor("x");
      Map<String, Attr> attrs = new LinkedHashMap<>();
      attrs.put("axis", new Attr.Int(a.axis("axis", 1, x)));
      attrs.put("dim", new Attr.Int(a.positive("dim")));
      return a.op(Op.SINUSOIDAL, List.of(x), attrs);
    });
  }

  /**
   * Brings a mask to the rank of attention scores: a [batch, q, k] mask against
   * [batch, heads, q, k] scores gets a heads axis of 1; other shapes broadcast as they are.
   */
  private Val.TensorV alignMask(Args a, Val.TensorV mask, Val.TensorV scores) {
    TensorType m = mask.type(), s = scores.type();
    if (s.rank() == 4 && m.rank() == 3) {
      return reshape(a, mask, List.of(m.dim(0), Dim.of(1), m.dim(1), m.dim(2)));
    }
    return mask;
  }

  private Val.TensorV reshape(Args a, Val.TensorV x, List<Dim> shape) {
    if (shape.equals(x.type().shape())) return x;
    return a.op(Op.RESHAPE, List.of(x), Map.of("shape", new Attr.Dims(shape)));
  }

  private void unary(String name, Op op, String doc) {
    def(name, "x", doc, a -> a.op(op, List.of(a.tensor("x")), Map.of()));
  }

  private void def(String name, String formals, String doc, Impl impl) {
    List<String> fs = List.of(formals.split(",\\s*"));
    table.put(name, new Builtin(name, fs, doc, impl));
  }

  boolean has(String name) { return table.containsKey(name); }

  Set<String> names() { return table.keySet(); }

  /** The reference table for the README: name(args) and what it computes. */
  static Map<String, String> reference() {
    Map<String, String> out = new TreeMap<>();
    new Builtins(null).table.values().forEach(b -> out.put(b.name() + "(" + String.join(", ", b.formals()) + ")", b.doc()));
    return out;
  }

  /** Applies an op directly (operators like + and @ come here). */
  Val apply(Op op, List<Val.TensorV> operands, Map<String, Attr> attrs, Span span) {
    try {
      return low.node(op, operands, attrs, span);
    } catch (ShapeError e) {
      throw low.shapeError(e, span, operands);
    }
  }

  Val call(Expr.Call c, Lowering.Scope scope) {
    Builtin b = table.get(c.callee());
    List<String> names = b.formals().stream().map(f -> f.replace("?", "")).toList();
    Map<String, Expr> bound = low.bindArgs(c, "'" + b.name() + "'", names);
    Map<String, Val> values = new LinkedHashMap<>();
    for (String f : b.formals()) {
      String n = f.replace("?", "");
      Expr e = bound.get(n);
      if (e == null) {
        if (!f.endsWith("?")) {
          throw low.error(c.span(), "missing argument '" + n + "' in call to '" + b.name() + "' (" + String.join(", ", b.formals()) + ")");
        }
        continue;
      }
      Val v = low.eval(e, scope);
      if (v instanceof Val.ErrorV) return v;
      if (v instanceof Val.ListV l && l.items().stream().anyMatch(i -> i instanceof Val.ErrorV)) return new Val.ErrorV(c.span());
      values.put(n, v);
    }
    return b.impl().apply(new Args(b, values, bound, c.span()));
  }

  /** The bound arguments of one built-in call, with typed accessors that report misuse. */
  private final class Args {
    final Builtin b;
    final Map<String, Val> values;
    final Map<String, Expr> exprs;
    final Span span;

    Args(Builtin b, Map<String, Val> values, Map<String, Expr> exprs, Span span) {
      this.b = b;
      this.values = values;
      this.exprs = exprs;
      this.span = span;
    }

    boolean present(String n) { return values.containsKey(n) && !(values.get(n) instanceof Val.NoneV); }

    Val value(String n) { return values.get(n); }

    Span where(String n) { return exprs.containsKey(n) ? exprs.get(n).span() : span; }

    Val.TensorV tensor(String n) {
      Val v = values.get(n);
      if (v instanceof Val.TensorV t) return t;
      throw low.error(where(n), "argument '" + n + "' of '" + b.name() + "' must be a tensor, not " + Val.describe(v));
    }

    List<Val.TensorV> tensorList(String n) {
      Val v = values.get(n);
      if (!(v instanceof Val.ListV l)) throw low.error(where(n), "argument '" + n + "' of '" + b.name() + "' must be a list of tensors, like [a, b]");
      List<Val.TensorV> out = new ArrayList<>();
      for (Val i : l.items()) {
        if (!(i instanceof Val.TensorV t)) throw low.error(i.origin(), "'" + b.name() + "' expects tensors in its list, not " + Val.describe(i));
        out.add(t);
      }
      return out;
    }

    double number(String n) {
      if (values.get(n) instanceof Val.NumV num) return num.value();
      throw low.error(where(n), "argument '" + n + "' of '" + b.name() + "' must be a number, not " + Val.describe(values.get(n)));
    }

    long integer(String n, long dflt) {
      if (!present(n)) return dflt;
      return low.intValue(values.get(n), exprs.get(n), "argument '" + n + "' of '" + b.name() + "'");
    }

    long positive(String n) {
      return low.positiveInt(values.get(n), exprs.get(n), "argument '" + n + "' of '" + b.name() + "'");
    }

    String string(String n) {
      if (values.get(n) instanceof Val.StrV s) return s.value();
      throw low.error(where(n), "argument '" + n + "' of '" + b.name() + "' must be a string, not " + Val.describe(values.get(n)));
    }

    int axis(String n, long dflt, Val.TensorV of) {
      long ax = integer(n, dflt);
      long norm = ax < 0 ? ax + of.type().rank() : ax;
      if (norm < 0 || norm >= of.type().rank()) throw low.error(where(n), b.name() + ": axis " + ax + " is out of range for " + of.type());
      return (int) norm;
    }

    List<Dim> shape(String n) {
      Val v = values.get(n);
      if (!(v instanceof Val.ListV l)) throw low.error(where(n), "argument '" + n + "' of '" + b.name() + "' must be a list of dimensions, like [batch, seq, 64]");
      List<Dim> dims = new ArrayList<>();
      for (Val i : l.items()) {
        switch (i) {
          case Val.NumV num when num.isWhole() && num.value() > 0 && num.value() <= Val.MAX_EXACT_INTEGER -> dims.add(Dim.of(num.asLong()));
          case Val.DimV d -> dims.add(d.dim());
          default -> throw low.error(i.origin(), "a dimension must be a positive integer or a dimension name, not " + Val.describe(i));
        }
      }
      return dims;
    }

    Val.TensorV op(Op op, List<Val.TensorV> operands, Map<String, Attr> attrs) {
      try {
        return low.node(op, operands, attrs, span);
      } catch (ShapeError e) {
        String m = e.getMessage().startsWith(b.name()) ? e.getMessage() : b.name() + ": " + e.getMessage();
        throw low.shapeError(new ShapeError(m), span, operands);
      }
    }

    Lowering.LowerError err(String message) { return low.error(span, message); }
  }
}
