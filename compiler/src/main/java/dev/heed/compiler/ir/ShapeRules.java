package dev.heed.compiler.ir;

import dev.heed.runtime.DType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The typing rule of every op: the result type from operand types and attributes, or a
 * {@link ShapeError} naming what does not fit. Used by the spec lowering (which adds
 * where each operand came from) and by the {@code infer-shapes} pass and the verifier.
 */
public final class ShapeRules {
  private ShapeRules() {}

  public static TensorType infer(Op op, List<TensorType> in, Map<String, Attr> attrs) {
    return switch (op) {
      case INPUT, PARAM -> throw new ShapeError(op.irName() + " declares its type; nothing to infer");
      case CONSTANT -> { arity(op, in, 0, 0); yield TensorType.f32(); }
      case ADD, SUB, MUL, DIV -> {
        arity(op, in, 2, 2);
        f32(op, in.get(0), "left operand");
        f32(op, in.get(1), "right operand");
        yield TensorType.f32().withShape(broadcast(op, in.get(0), in.get(1)));
      }
      case NEG, RELU, GELU, GELU_TANH, TANH, SIGMOID, EXP, SQRT -> {
        arity(op, in, 1, 1);
        f32(op, in.get(0), "operand");
        yield in.get(0);
      }
      case MATMUL -> matmul(in);
      case LINEAR -> linear(in);
      case TRANSPOSE -> transpose(in, ints(attrs, "perm"));
      case RESHAPE -> {
        if (!(attr(attrs, "shape", op) instanceof Attr.Dims d)) throw new ShapeError("reshape: attribute 'shape' must be a dims[...] list");
        yield reshape(in, d.dims());
      }
      case CONCAT -> concat(in, (int) intAttr(attrs, "axis", op));
      case SOFTMAX -> {
        arity(op, in, 1, 1);
        f32(op, in.get(0), "operand");
        axis(op, in.get(0), intAttr(attrs, "axis", op));
        yield in.get(0);
      }
      case ATTENTION -> attention(in);
      case MHA -> mha(in, intAttr(attrs, "heads", op));
      case FUSED_LINEAR -> {
        Epilogue e = Epilogue.parse(strAttr(attrs, "epilogue", op));
        if (e.norm() != null) numberAttr(attrs, "eps", op);
        yield fusedLinear(in, e);
      }
      case SLICE -> slice(in, intAttr(attrs, "axis", op), intAttr(attrs, "start", op), intAttr(attrs, "end", op));
      case ADD_LAYER_NORM, ADD_RMS_NORM -> {
        arity(op, in, 2, op == Op.ADD_LAYER_NORM ? 4 : 3);
        if (!in.get(0).equals(in.get(1))) {
          throw new ShapeError(op.irName() + ": the summands " + in.get(0) + " and " + in.get(1) + " must have the same type");
        }
        List<TensorType> rest = new ArrayList<>(in.subList(1, in.size()));
        rest.set(0, in.get(0));
        yield norm(op, rest, rest.size());
      }
      case ELEMENTWISE -> elementwise(in, strAttr(attrs, "expr", op));
      case LAYER_NORM -> norm(op, in, 3);
      case RMS_NORM -> norm(op, in, 2);
      case EMBEDDING -> embedding(in);
      case POSITIONS -> {
        arity(op, in, 1, 1);
        int ax = axis(op, in.get(0), intAttr(attrs, "axis", op));
        yield TensorType.i64(in.get(0).dim(ax));
      }
      case SINUSOIDAL -> {
        arity(op, in, 1, 1);
        int ax = axis(op, in.get(0), intAttr(attrs, "axis", op));
        long dim = intAttr(attrs, "dim", op);
        if (dim <= 0 || dim % 2 != 0) throw new ShapeError("sinusoidal: dim must be a positive even number, got " + dim);
        yield TensorType.f32(in.get(0).dim(ax), Dim.of(dim));
      }
      case PADDING_MASK -> {
        arity(op, in, 1, 1);
        TensorType m = in.get(0);
        if (m.dtype() != DType.I64) throw new ShapeError("padding_mask: mask must be i64, got " + m);
        if (m.rank() != 2) throw new ShapeError("padding_mask: expects a mask of shape [batch, seq], got " + m);
        yield TensorType.f32(m.dim(0), Dim.of(1), m.dim(1));
      }
      case CAUSAL_MASK -> {
        arity(op, in, 1, 1);
        int ax = axis(op, in.get(0), intAttr(attrs, "axis", op));
        Dim n = in.get(0).dim(ax);
        yield TensorType.f32(n, n);
      }
    };
  }

  /** Numpy broadcasting of two shapes, or a ShapeError naming both. */
  public static List<Dim> broadcast(Op op, TensorType a, TensorType b) {
    int rank = Math.max(a.rank(), b.rank());
    List<Dim> out = new ArrayList<>(Collections.nCopies(rank, null));
    for (int i = 1; i <= rank; i++) {
      Dim da = i <= a.rank() ? a.dim(a.rank() - i) : Dim.of(1);
      Dim db = i <= b.rank() ? b.dim(b.rank() - i) : Dim.of(1);
      Dim d;
      if (da.equals(db)) d = da;
      else if (da.isOne()) d = db;
      else if (db.isOne()) d = da;
      else {
        throw new ShapeError("cannot " + verb(op) + " " + a + " and " + b + ": dimension " + da + " does not match "
            + db + " (shapes align from the right; a dimension of 1 broadcasts)");
      }
      out.set(rank - i, d);
    }
    return out;
  }

  private static String verb(Op op) {
    return switch (op) {
      case ADD -> "add";
      case SUB -> "subtract";
      case MUL -> "multiply";
      case DIV -> "divide";
      default -> "broadcast";
    };
  }

  private static TensorType matmul(List<TensorType> in) {
    arity(Op.MATMUL, in, 2, 2);
    TensorType a = in.get(0), b = in.get(1);
    f32(Op.MATMUL, a, "left operand");
    f32(Op.MATMUL, b, "right operand");
    if (a.rank() < 2 || b.rank() < 2) {
      throw new ShapeError("matmul needs operands of rank 2 or more, got " + a + " and " + b);
    }
    Dim k1 = a.dim(a.rank() - 1), k2 = b.dim(b.rank() - 2);
    if (!k1.equals(k2)) {
      throw new ShapeError("cannot matmul " + a + " and " + b + ": inner dimensions " + k1 + " and " + k2 + " differ");
    }
    TensorType ba = a.withShape(a.shape().subList(0, a.rank() - 2));
    TensorType bb = b.withShape(b.shape().subList(0, b.rank() - 2));
    List<Dim> batch;
    try {
      batch = broadcast(Op.MATMUL, ba, bb);
    } catch (ShapeError e) {
      throw new ShapeError("cannot matmul " + a + " and " + b + ": leading dimensions do not broadcast");
    }
    List<Dim> out = new ArrayList<>(batch);
    out.add(a.dim(a.rank() - 2));
    out.add(b.last());
    return TensorType.f32().withShape(out);
  }

  /** q·kᵀ, then the mask added (which must not grow the scores), then ·v: see {@link Op#ATTENTION}. */
  private static TensorType attention(List<TensorType> in) {
    arity(Op.ATTENTION, in, 3, 4);
    TensorType q = in.get(0), k = in.get(1), v = in.get(2);
    f32(Op.ATTENTION, q, "query");
    f32(Op.ATTENTION, k, "key");
    f32(Op.ATTENTION, v, "value");
    if (q.rank() < 2 || k.rank() < 2 || v.rank() < 2) {
      throw new ShapeError("attention needs q, k and v of rank 2 or more, got " + q + ", " + k + " and " + v);
    }
    if (!q.last().equals(k.last())) {
      throw new ShapeError("attention: q " + q + " and k " + k + " differ in their last dimension");
    }
    if (!k.dim(k.rank() - 2).equals(v.dim(v.rank() - 2))) {
      throw new ShapeError("attention: k " + k + " and v " + v + " differ in their sequence dimension");
    }
    List<Dim> kt = new ArrayList<>(k.shape());
    Collections.swap(kt, k.rank() - 2, k.rank() - 1);
    TensorType scores = matmul(List.of(q, k.withShape(kt)));
    if (in.size() == 4) {
      TensorType mask = in.get(3);
      f32(Op.ATTENTION, mask, "mask");
      if (!broadcast(Op.ATTENTION, scores, mask).equals(scores.shape())) {
        throw new ShapeError("attention: mask " + mask + " does not broadcast to the scores " + scores);
      }
    }
    return matmul(List.of(scores, v));
  }

  /**
   * Packed-row multi-head attention, typed as the chain it stands for: see {@link Op#MHA}.
   */
  private static TensorType mha(List<TensorType> in, long heads) {
    arity(Op.MHA, in, 3, 4);
    if (heads <= 0) throw new ShapeError("mha: heads must be positive, got " + heads);
    List<TensorType> split = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      TensorType t = in.get(i);
      String what = i == 0 ? "query" : i == 1 ? "key" : "value";
      f32(Op.MHA, t, what);
      if (t.rank() != 3 || !t.last().isKnown() || t.last().size() % heads != 0) {
        throw new ShapeError("mha: " + what + " must be f32[batch, seq, heads·d] with a known last dimension divisible by "
            + heads + " heads, got " + t);
      }
      split.add(t.withShape(List.of(t.dim(0), Dim.of(heads), t.dim(1), Dim.of(t.last().size() / heads))));
    }
    if (in.size() == 4) split.add(in.get(3));
    TensorType o = attention(split);
    return o.withShape(List.of(o.dim(0), o.dim(2), Dim.of(heads * o.last().size())));
  }

  /** linear(x, w) then the epilogue's steps: see {@link Op#FUSED_LINEAR}. */
  private static TensorType fusedLinear(List<TensorType> in, Epilogue e) {
    int want = 2 + e.operandCount();
    arity(Op.FUSED_LINEAR, in, want, want);
    TensorType out = linear(e.bias() ? in.subList(0, 3) : in.subList(0, 2));
    if (e.residual()) {
      TensorType r = in.get(e.residualIndex());
      if (!r.equals(out)) throw new ShapeError("fused_linear: residual " + r + " must have the result's type " + out);
    }
    if (e.norm() != null) {
      for (int i = e.normIndex(); i < want; i++) {
        TensorType p = in.get(i);
        if (p.rank() != 1 || !p.dim(0).equals(out.last())) {
          throw new ShapeError("fused_linear: " + e.norm().irName() + " " + (i == e.normIndex() ? "scale" : "shift")
              + " " + p + " must be f32[" + out.last() + "] to normalise " + out + " over its last axis");
        }
      }
    }
    return out;
  }

  private static TensorType slice(List<TensorType> in, long axis, long start, long end) {
    arity(Op.SLICE, in, 1, 1);
    TensorType x = in.get(0);
    int ax = axis(Op.SLICE, x, axis);
    Dim d = x.dim(ax);
    if (!d.isKnown()) throw new ShapeError("slice: axis " + ax + " of " + x + " must have a known size, not " + d);
    if (start < 0 || end <= start || end > d.size()) {
      throw new ShapeError("slice: [" + start + ", " + end + ") is not a non-empty range within axis " + ax + " of " + x);
    }
    List<Dim> out = new ArrayList<>(x.shape());
    out.set(ax, Dim.of(end - start));
    return x.withShape(out);
  }

  private static TensorType elementwise(List<TensorType> in, String exprText) {
    ElementwiseExpr e;
    try {
      e = ElementwiseExpr.parse(exprText);
    } catch (IllegalArgumentException ex) {
      throw new ShapeError("elementwise: " + ex.getMessage());
    }
    if (in.isEmpty() || e.arity() != in.size()) {
      throw new ShapeError("elementwise: expr reads " + e.arity() + " operands but the node has " + in.size());
    }
    TensorType out = in.get(0);
    f32(Op.ELEMENTWISE, out, "operand 0");
    for (int i = 1; i < in.size(); i++) {
      f32(Op.ELEMENTWISE, in.get(i), "operand " + i);
      out = TensorType.f32().withShape(broadcast(Op.ELEMENTWISE, out, in.get(i)));
    }
    return out;
  }

  private static TensorType linear(List<TensorType> in) {
    arity(Op.LINEAR, in, 2, 3);
    TensorType x = in.get(0), w = in.get(1);
    f32(Op.LINEAR, x, "input");
    f32(Op.LINEAR, w, "weight");
    if (x.rank() < 1) throw new ShapeError("linear: input must have rank 1 or more, got " + x);
    if (w.rank() != 2) throw new ShapeError("linear: weight must be [out, in], got " + w);
    if (!x.last().equals(w.dim(1))) {
      throw new ShapeError("linear: input " + x + " has " + x.last() + " features but weight " + w + " expects "
          + w.dim(1) + " (weight is [out, in])");
    }
    if (in.size() == 3) {
      TensorType b = in.get(2);
      f32(Op.LINEAR, b, "bias");
      if (b.rank() != 1 || !b.dim(0).equals(w.dim(0))) {
        throw new ShapeError("linear: bias " + b + " does not match weight " + w + " (expected f32[" + w.dim(0) + "])");
      }
    }
    List<Dim> out = new ArrayList<>(x.shape().subList(0, x.rank() - 1));
    out.add(w.dim(0));
    return TensorType.f32().withShape(out);
  }

  private static TensorType transpose(List<TensorType> in, List<Long> perm) {
    arity(Op.TRANSPOSE, in, 1, 1);
    TensorType x = in.get(0);
    if (perm.size() != x.rank()) {
      throw new ShapeError("transpose: permutation " + perm + " has " + perm.size() + " axes but " + x + " has " + x.rank());
    }
    boolean[] seen = new boolean[perm.size()];
    List<Dim> out = new ArrayList<>();
    for (long p : perm) {
      if (p < 0 || p >= perm.size() || seen[(int) p]) throw new ShapeError("transpose: " + perm + " is not a permutation");
      seen[(int) p] = true;
      out.add(x.dim((int) p));
    }
    return x.withShape(out);
  }

  private static TensorType reshape(List<TensorType> in, List<Dim> shape) {
    arity(Op.RESHAPE, in, 1, 1);
    TensorType x = in.get(0);
    if (!sameVolume(x.shape(), shape)) {
      throw new ShapeError("reshape: cannot view " + x + " as " + x.withShape(shape) + ": element counts differ");
    }
    return x.withShape(shape);
  }

  /** True when both shapes hold the same number of elements for every binding of their symbols. */
  public static boolean sameVolume(List<Dim> a, List<Dim> b) {
    long ka = 1, kb = 1;
    List<String> sa = new ArrayList<>(), sb = new ArrayList<>();
    for (Dim d : a) {
      if (d instanceof Dim.Known k) ka *= k.size();
      else sa.add(((Dim.Sym) d).name());
    }
    for (Dim d : b) {
      if (d instanceof Dim.Known k) kb *= k.size();
      else sb.add(((Dim.Sym) d).name());
    }
    Collections.sort(sa);
    Collections.sort(sb);
    return ka == kb && sa.equals(sb);
  }

  private static TensorType concat(List<TensorType> in, int axis) {
    if (in.size() < 2) throw new ShapeError("concat needs two or more operands, got " + in.size());
    TensorType first = in.get(0);
    int ax = axis(Op.CONCAT, first, axis);
    long total = 0;
    for (TensorType t : in) {
      if (t.dtype() != first.dtype() || t.rank() != first.rank()) {
        throw new ShapeError("concat: cannot join " + first + " and " + t);
      }
      for (int i = 0; i < t.rank(); i++) {
        if (i == ax) continue;
        if (!t.dim(i).equals(first.dim(i))) {
          throw new ShapeError("concat along axis " + ax + ": " + first + " and " + t + " differ in dimension " + i);
        }
      }
      if (!t.dim(ax).isKnown()) {
        throw new ShapeError("concat along axis " + ax + " of " + t + ": the axis must have a known size, not " + t.dim(ax));
      }
      total += t.dim(ax).size();
    }
    List<Dim> out = new ArrayList<>(first.shape());
    out.set(ax, Dim.of(total));
    return first.withShape(out);
  }

  private static TensorType norm(Op op, List<TensorType> in, int n) {
    arity(op, in, n, n);
    TensorType x = in.get(0);
    f32(op, x, "input");
    if (x.rank() < 1) throw new ShapeError(op.irName() + ": input must have rank 1 or more, got " + x);
    for (int i = 1; i < n; i++) {
      TensorType p = in.get(i);
      if (p.rank() != 1 || !p.dim(0).equals(x.last())) {
        throw new ShapeError(op.irName() + ": " + (i == 1 ? "scale" : "shift") + " " + p + " must be f32[" + x.last()
            + "] to normalise " + x + " over its last axis");
      }
    }
    return x;
  }

  private static TensorType embedding(List<TensorType> in) {
    arity(Op.EMBEDDING, in, 2, 2);
    TensorType ids = in.get(0), table = in.get(1);
    if (ids.dtype() != DType.I64) throw new ShapeError("embedding: ids must be i64, got " + ids);
    if (table.dtype() != DType.F32 || table.rank() != 2) {
      throw new ShapeError("embedding: table must be f32[vocab, dim], got " + table);
    }
    List<Dim> out = new ArrayList<>(ids.shape());
    out.add(table.dim(1));
    return TensorType.f32().withShape(out);
  }

  /** Normalises a possibly negative axis against {@code t}, or fails naming both. */
  public static int axis(Op op, TensorType t, long axis) {
    long a = axis < 0 ? axis + t.rank() : axis;
    if (a < 0 || a >= t.rank()) throw new ShapeError(op.irName() + ": axis " + axis + " is out of range for " + t);
    return (int) a;
  }

  private static void arity(Op op, List<TensorType> in, int min, int max) {
    if (in.size() < min || in.size() > max) {
      String want = min == max ? Integer.toString(min) : min + " to " + max;
      throw new ShapeError(op.irName() + " takes " + want + " operands, got " + in.size());
    }
  }

  private static void f32(Op op, TensorType t, String what) {
    if (t.dtype() != DType.F32) throw new ShapeError(op.irName() + ": " + what + " must be f32, got " + t);
  }

  private static Attr attr(Map<String, Attr> attrs, String key, Op op) {
    Attr a = attrs.get(key);
    if (a == null) throw new ShapeError(op.irName() + " needs attribute '" + key + "'");
    return a;
  }

  private static long intAttr(Map<String, Attr> attrs, String key, Op op) {
    if (!(attr(attrs, key, op) instanceof Attr.Int i)) throw new ShapeError(op.irName() + ": attribute '" + key + "' must be an integer");
    return i.value();
  }

  private static void numberAttr(Map<String, Attr> attrs, String key, Op op) {
    Attr a = attr(attrs, key, op);
    if (!(a instanceof Attr.Int) && !(a instanceof Attr.Float)) {
      throw new ShapeError(op.irName() + ": attribute '" + key + "' must be a number");
    }
  }

  private static String strAttr(Map<String, Attr> attrs, String key, Op op) {
    if (!(attr(attrs, key, op) instanceof Attr.Str str)) throw new ShapeError(op.irName() + ": attribute '" + key + "' must be a string");
    return str.value();
  }

  private static List<Long> ints(Map<String, Attr> attrs, String key) {
    if (!(attrs.get(key) instanceof Attr.Ints i)) throw new ShapeError("transpose needs an integer list attribute '" + key + "'");
    return i.values();
  }
}
