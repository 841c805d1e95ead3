package dev.heed.compiler.interp;

import dev.heed.compiler.ir.Dim;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.ElementwiseExpr;
import dev.heed.compiler.ir.Epilogue;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.ir.TensorType;
import dev.heed.runtime.DType;
import dev.heed.runtime.Tensor;
import dev.heed.runtime.Weights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference interpreter: runs a graph node by node with plain loops. It is the definition
 * of every op — generated code must agree with it — so it is written to be read, not to be fast.
 *
 * <p>Tensors are row-major. f32 arithmetic is done per element in double and rounded to f32
 * once ({@link Scalars}); sums and dot products accumulate in double.
 *
 * <p>Tensors are never modified after they are made, so reshape shares its operand's array.
 */
public final class Interpreter {
  private Interpreter() {}

  /**
   * Runs {@code g}.
   *
   * @param inputs a tensor for each {@code input}, keyed by its {@code name} attribute; symbolic
   *     dimensions are bound from their shapes
   * @param weights where {@code param}s are read from
   * @return the outputs, by output name, in declaration order
   * @throws IllegalArgumentException for missing, unknown or mis-typed inputs, inconsistent
   *     dimension bindings, or data an op cannot accept (an embedding id out of range)
   */
  public static Map<String, Tensor> run(Graph g, Map<String, Tensor> inputs, Weights weights) {
    Map<String, Integer> dims = bindDims(g, inputs);
    Map<String, Tensor> values = new HashMap<>();
    for (Node n : g.nodes()) {
      List<Tensor> args = new ArrayList<>();
      for (String o : n.operands()) {
        Tensor t = values.get(o);
        if (t == null) throw new IllegalArgumentException("%" + n.name() + ": operand %" + o + " has no value yet");
        args.add(t);
      }
      Tensor result = eval(n, args, dims, inputs, weights);
      checkAgainstType(n, result, dims);
      values.put(n.name(), result);
    }
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Graph.Output o : g.outputs()) {
      Tensor t = values.get(o.value());
      if (t == null) throw new IllegalArgumentException("output " + o.name() + ": %" + o.value() + " is not defined");
      out.put(o.name(), t);
    }
    return out;
  }

  // ---- inputs and symbolic dimensions --------------------------------------------------

  /** Checks each input against its declared type and binds the symbols in it. */
  private static Map<String, Integer> bindDims(Graph g, Map<String, Tensor> inputs) {
    Map<String, Integer> dims = new HashMap<>();
    Map<String, String> boundAt = new HashMap<>(); // symbol -> "input 'src' axis 1"
    List<String> declared = g.inputs().stream().map(n -> n.strAttr("name")).toList();
    for (String given : inputs.keySet()) {
      if (!declared.contains(given)) {
        throw new IllegalArgumentException("unknown input '" + given + "'; the model's inputs are " + declared);
      }
    }
    for (Node n : g.inputs()) {
      String name = n.strAttr("name");
      TensorType type = n.type();
      Tensor t = inputs.get(name);
      if (t == null) throw new IllegalArgumentException("missing input '" + name + "' (" + type + ")");
      if (type == null) throw new IllegalArgumentException("input '" + name + "' (%" + n.name() + ") has no declared type");
      if (t.dtype() != type.dtype() || t.rank() != type.rank()) {
        throw new IllegalArgumentException("input '" + name + "' must be " + type + ", got " + t.typeString());
      }
      for (int axis = 0; axis < type.rank(); axis++) {
        Dim d = type.dim(axis);
        int actual = t.dim(axis);
        String here = "input '" + name + "' axis " + axis;
        if (d instanceof Dim.Known k) {
          if (k.size() != actual) {
            throw new IllegalArgumentException(here + " must be " + k.size() + " (" + type + "), got " + actual);
          }
        } else {
          String sym = ((Dim.Sym) d).name();
          Integer bound = dims.get(sym);
          if (bound == null) {
            dims.put(sym, actual);
            boundAt.put(sym, here);
          } else if (bound != actual) {
            throw new IllegalArgumentException(here + " (" + sym + ") is " + actual + ", but " + boundAt.get(sym)
                + " already bound " + sym + " = " + bound);
          }
        }
      }
    }
    return dims;
  }

  private static int resolve(Dim d, Map<String, Integer> dims) {
    if (d instanceof Dim.Known k) {
      if (k.size() > Integer.MAX_VALUE) throw new IllegalArgumentException("dimension " + k.size() + " is too large");
      return (int) k.size();
    }
    Integer v = dims.get(((Dim.Sym) d).name());
    if (v == null) throw new IllegalArgumentException("dimension symbol " + d + " is not bound by any input");
    return v;
  }

  private static int[] resolve(List<Dim> shape, Map<String, Integer> dims) {
    int[] out = new int[shape.size()];
    for (int i = 0; i < out.length; i++) out[i] = resolve(shape.get(i), dims);
    return out;
  }

  /** A self-check: the value computed must have the node's type with the symbols bound. */
  private static void checkAgainstType(Node n, Tensor t, Map<String, Integer> dims) {
    if (n.type() == null) return;
    int[] expected = resolve(n.type().shape(), dims);
    if (t.dtype() != n.type().dtype() || !Arrays.equals(expected, t.shape())) {
      throw new IllegalStateException("%" + n.name() + " (" + n.op().irName() + ") computed " + t.typeString()
          + " but its type " + n.type() + " says " + n.type().dtype().irName() + Arrays.toString(expected));
    }
  }

  // ---- ops -----------------------------------------------------------------------------

  private static Tensor eval(Node n, List<Tensor> in, Map<String, Integer> dims, Map<String, Tensor> inputs,
      Weights weights) {
    return switch (n.op()) {
      case INPUT -> inputs.get(n.strAttr("name"));
      case PARAM -> param(n, dims, weights);
      case CONSTANT -> Tensor.ofFloats(new float[] {(float) n.floatAttr("value")});
      case ADD, SUB, MUL, DIV -> binary(n.op(), in.get(0), in.get(1));
      case NEG, RELU, GELU, GELU_TANH, TANH, SIGMOID, EXP, SQRT -> unary(n.op(), in.get(0));
      case MATMUL -> matmul(in.get(0), in.get(1));
      case LINEAR -> linear(in.get(0), in.get(1), in.size() > 2 ? in.get(2) : null);
      case ATTENTION -> attention(in.get(0), in.get(1), in.get(2), in.size() > 3 ? in.get(3) : null, n.floatAttr("scale"));
      case MHA -> mha(in.get(0), in.get(1), in.get(2), in.size() > 3 ? in.get(3) : null, (int) n.intAttr("heads"),
          n.floatAttr("scale"));
      case FUSED_LINEAR -> {
        Epilogue e = Epilogue.parse(n.strAttr("epilogue"));
        yield fusedLinear(in, e, e.norm() == null ? 0 : n.floatAttr("eps"));
      }
      case ADD_LAYER_NORM -> layerNorm(binary(Op.ADD, in.get(0), in.get(1)), in.get(2), in.get(3), n.floatAttr("eps"));
      case ADD_RMS_NORM -> rmsNorm(binary(Op.ADD, in.get(0), in.get(1)), in.get(2), n.floatAttr("eps"));
      case ELEMENTWISE -> elementwise(in, ElementwiseExpr.parse(n.strAttr("expr")));
      case SLICE -> slice(in.get(0), n.intAttr("axis"), (int) n.intAttr("start"), (int) n.intAttr("end"));
      case TRANSPOSE -> transpose(in.get(0), n.intsAttr("perm"));
      case RESHAPE -> reshape(in.get(0), resolve(n.dimsAttr("shape"), dims));
      case CONCAT -> concat(in, n.intAttr("axis"));
      case SOFTMAX -> softmax(in.get(0), n.intAttr("axis"));
      case LAYER_NORM -> layerNorm(in.get(0), in.get(1), in.get(2), n.floatAttr("eps"));
      case RMS_NORM -> rmsNorm(in.get(0), in.get(1), n.floatAttr("eps"));
      case EMBEDDING -> embedding(in.get(0), in.get(1));
      case POSITIONS -> positions(in.get(0).dim(axis(in.get(0), n.intAttr("axis"))));
      case SINUSOIDAL -> sinusoidal(in.get(0).dim(axis(in.get(0), n.intAttr("axis"))), (int) n.intAttr("dim"));
      case PADDING_MASK -> paddingMask(in.get(0));
      case CAUSAL_MASK -> causalMask(in.get(0).dim(axis(in.get(0), n.intAttr("axis"))));
    };
  }

  /** {name, init}: the weights' tensor of the declared (static) shape. */
  private static Tensor param(Node n, Map<String, Integer> dims, Weights weights) {
    int[] shape = resolve(n.type().shape(), dims);
    float[] data = weights.get(n.strAttr("name"), shape, n.strAttr("init"));
    if (data.length != volume(shape)) {
      throw new IllegalArgumentException("weights for " + n.strAttr("name") + " hold " + data.length
          + " values, expected " + volume(shape) + " for " + n.type());
    }
    return Tensor.ofFloats(data, shape);
  }

  /** a op b with numpy broadcasting: shapes align from the right, a dimension of 1 stretches. */
  static Tensor binary(Op op, Tensor a, Tensor b) {
    int[] shape = broadcastShapes(a.shape(), b.shape());
    int rank = shape.length;
    int[] sa = broadcastStrides(a.shape(), rank);
    int[] sb = broadcastStrides(b.shape(), rank);
    float[] x = a.floats(), y = b.floats(), out = new float[volume(shape)];
    int[] idx = new int[rank];
    for (int i = 0; i < out.length; i++) {
      unravel(i, shape, idx);
      out[i] = Scalars.binary(op, x[dot(idx, sa)], y[dot(idx, sb)]);
    }
    return Tensor.ofFloats(out, shape);
  }

  static Tensor unary(Op op, Tensor a) {
    float[] x = a.floats(), out = new float[x.length];
    for (int i = 0; i < x.length; i++) out[i] = Scalars.unary(op, x[i]);
    return Tensor.ofFloats(out, a.shape());
  }

  /** a[..., m, k] · b[..., k, n] → [..., m, n]; the leading (batch) dimensions broadcast. */
  static Tensor matmul(Tensor a, Tensor b) {
    int ra = a.rank(), rb = b.rank();
    int m = a.dim(ra - 2), k = a.dim(ra - 1), n = b.dim(rb - 1);
    if (b.dim(rb - 2) != k) {
      throw new IllegalArgumentException("matmul: " + a.typeString() + " · " + b.typeString() + ": inner dimensions differ");
    }
    int[] batchA = Arrays.copyOf(a.shape(), ra - 2), batchB = Arrays.copyOf(b.shape(), rb - 2);
    int[] batch = broadcastShapes(batchA, batchB);
    int[] sa = broadcastStrides(batchA, batch.length), sb = broadcastStrides(batchB, batch.length);
    int[] shape = Arrays.copyOf(batch, batch.length + 2);
    shape[batch.length] = m;
    shape[batch.length + 1] = n;
    float[] x = a.floats(), y = b.floats(), out = new float[volume(shape)];
    int[] idx = new int[batch.length];
    for (int bi = 0; bi < volume(batch); bi++) {
      unravel(bi, batch, idx);
      int offA = dot(idx, sa) * m * k, offB = dot(idx, sb) * k * n, offOut = bi * m * n;
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          double sum = 0;
          for (int p = 0; p < k; p++) sum += (double) x[offA + i * k + p] * y[offB + p * n + j];
          out[offOut + i * n + j] = (float) sum;
        }
      }
    }
    return Tensor.ofFloats(out, shape);
  }

  /**
   * softmax(q·kᵀ·scale + mask)·v, defined as the op chain it replaces (transpose, matmul,
   * mul by the f32 scale, add, softmax over the last axis, matmul), so fusing it changes no bit.
   */
  static Tensor attention(Tensor q, Tensor k, Tensor v, Tensor mask, double scale) {
    List<Long> perm = new ArrayList<>();
    for (long i = 0; i < k.rank(); i++) perm.add(i);
    Collections.swap(perm, k.rank() - 2, k.rank() - 1);
    Tensor s = matmul(q, transpose(k, perm));
    s = binary(Op.MUL, s, Tensor.ofFloats(new float[] {(float) scale}));
    if (mask != null) s = binary(Op.ADD, s, mask);
    return matmul(softmax(s, -1), v);
  }

  /**
   * Multi-head attention on packed rows, defined as the chain {@code mha} replaces:
   * split_heads (reshape to [b, s, h, d], transpose [0, 2, 1, 3]) of q, k and v, attention,
   * merge_heads (transpose back, reshape to [b, sq, h·dv]).
   */
  static Tensor mha(Tensor q, Tensor k, Tensor v, Tensor mask, int heads, double scale) {
    List<Long> perm = List.of(0L, 2L, 1L, 3L);
    Tensor o = attention(transpose(splitHeads(q, heads), perm), transpose(splitHeads(k, heads), perm),
        transpose(splitHeads(v, heads), perm), mask, scale);
    Tensor t = transpose(o, perm);
    return reshape(t, new int[] {t.dim(0), t.dim(1), t.dim(2) * t.dim(3)});
  }

  private static Tensor splitHeads(Tensor x, int heads) {
    return reshape(x, new int[] {x.dim(0), x.dim(1), heads, x.dim(2) / heads});
  }

  /** linear, then the epilogue's steps as the ops they stand for ({@code eps}: the norm's). */
  static Tensor fusedLinear(List<Tensor> in, Epilogue e, double eps) {
    Tensor y = linear(in.get(0), in.get(1), e.bias() ? in.get(2) : null);
    if (e.activation() != null) y = unary(e.activation(), y);
    if (e.residual()) y = binary(Op.ADD, y, in.get(e.residualIndex()));
    if (e.norm() == Op.LAYER_NORM) y = layerNorm(y, in.get(e.normIndex()), in.get(e.normIndex() + 1), eps);
    if (e.norm() == Op.RMS_NORM) y = rmsNorm(y, in.get(e.normIndex()), eps);
    return y;
  }

  /** The expression evaluated per element, operands broadcast to the result's shape. */
  static Tensor elementwise(List<Tensor> in, ElementwiseExpr expr) {
    int[] shape = in.get(0).shape();
    for (Tensor t : in) shape = broadcastShapes(shape, t.shape());
    int rank = shape.length;
    int[][] strides = new int[in.size()][];
    float[][] data = new float[in.size()][];
    for (int i = 0; i < in.size(); i++) {
      strides[i] = broadcastStrides(in.get(i).shape(), rank);
      data[i] = in.get(i).floats();
    }
    ElementwiseExpr.Semantics semantics = new ElementwiseExpr.Semantics() {
      @Override public float unary(Op op, float x) { return Scalars.unary(op, x); }

      @Override public float binary(Op op, float a, float b) { return Scalars.binary(op, a, b); }
    };
    float[] out = new float[volume(shape)];
    float[] args = new float[in.size()];
    int[] idx = new int[rank];
    for (int i = 0; i < out.length; i++) {
      unravel(i, shape, idx);
      for (int a = 0; a < args.length; a++) args[a] = data[a][dot(idx, strides[a])];
      out[i] = expr.eval(args, semantics);
    }
    return Tensor.ofFloats(out, shape);
  }

  /** The elements with start ≤ index &lt; end along axis. */
  static Tensor slice(Tensor x, long axisAttr, int start, int end) {
    int ax = axis(x, axisAttr);
    int[] shape = x.shape();
    int outer = 1, inner = 1;
    for (int i = 0; i < ax; i++) outer *= shape[i];
    for (int i = ax + 1; i < shape.length; i++) inner *= shape[i];
    int n = shape[ax], len = end - start;
    float[] src = x.floats(), out = new float[outer * len * inner];
    for (int o = 0; o < outer; o++) {
      System.arraycopy(src, (o * n + start) * inner, out, o * len * inner, len * inner);
    }
    int[] outShape = shape.clone();
    outShape[ax] = len;
    return Tensor.ofFloats(out, outShape);
  }

  /** x[..., k] · w[n, k]ᵀ + bias[n] → [..., n] (PyTorch's Linear layout). */
  static Tensor linear(Tensor x, Tensor w, Tensor bias) {
    int k = x.dim(x.rank() - 1), n = w.dim(0);
    if (w.dim(1) != k) throw new IllegalArgumentException("linear: " + x.typeString() + " with weight " + w.typeString());
    int rows = volume(Arrays.copyOf(x.shape(), x.rank() - 1));
    int[] shape = x.shape();
    shape[shape.length - 1] = n;
    float[] in = x.floats(), wt = w.floats(), b = bias == null ? null : bias.floats(), out = new float[rows * n];
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < n; j++) {
        double sum = b == null ? 0 : b[j];
        for (int p = 0; p < k; p++) sum += (double) in[r * k + p] * wt[j * k + p];
        out[r * n + j] = (float) sum;
      }
    }
    return Tensor.ofFloats(out, shape);
  }

  /** out.shape[i] = x.shape[perm[i]]; out[i0, i1, ...] = x at the index whose axis perm[j] is i_j. */
  static Tensor transpose(Tensor x, List<Long> perm) {
    int rank = x.rank();
    int[] inStrides = strides(x.shape());
    int[] shape = new int[rank], strideOfOutAxis = new int[rank];
    for (int i = 0; i < rank; i++) {
      int p = perm.get(i).intValue();
      shape[i] = x.dim(p);
      strideOfOutAxis[i] = inStrides[p];
    }
    int[] idx = new int[rank];
    int count = volume(shape);
    if (x.dtype() == DType.F32) {
      float[] src = x.floats(), out = new float[count];
      for (int i = 0; i < count; i++) {
        unravel(i, shape, idx);
        out[i] = src[dot(idx, strideOfOutAxis)];
      }
      return Tensor.ofFloats(out, shape);
    }
    long[] src = x.longs(), out = new long[count];
    for (int i = 0; i < count; i++) {
      unravel(i, shape, idx);
      out[i] = src[dot(idx, strideOfOutAxis)];
    }
    return Tensor.ofLongs(out, shape);
  }

  /** The same elements in the same row-major order, viewed with a new shape. */
  static Tensor reshape(Tensor x, int[] shape) {
    if (volume(shape) != x.size()) {
      throw new IllegalArgumentException("reshape: cannot view " + x.typeString() + " as " + Arrays.toString(shape));
    }
    return x.dtype() == DType.F32 ? Tensor.ofFloats(x.floats(), shape) : Tensor.ofLongs(x.longs(), shape);
  }

  /** Operands joined along {@code axis}: for each index before the axis, each operand's block in turn. */
  static Tensor concat(List<Tensor> in, long axisAttr) {
    Tensor first = in.get(0);
    int ax = axis(first, axisAttr);
    int[] shape = first.shape();
    shape[ax] = in.stream().mapToInt(t -> t.dim(ax)).sum();
    int outer = volume(Arrays.copyOf(shape, ax));
    int inner = volume(Arrays.copyOfRange(shape, ax + 1, shape.length));
    boolean f32 = first.dtype() == DType.F32;
    float[] fo = f32 ? new float[volume(shape)] : null;
    long[] lo = f32 ? null : new long[volume(shape)];
    int pos = 0;
    for (int o = 0; o < outer; o++) {
      for (Tensor t : in) {
        int block = t.dim(ax) * inner;
        if (f32) System.arraycopy(t.floats(), o * block, fo, pos, block);
        else System.arraycopy(t.longs(), o * block, lo, pos, block);
        pos += block;
      }
    }
    return f32 ? Tensor.ofFloats(fo, shape) : Tensor.ofLongs(lo, shape);
  }

  /** e^(x - max) / Σ e^(x - max) along {@code axis}, max taken along the same axis. */
  static Tensor softmax(Tensor x, long axisAttr) {
    int ax = axis(x, axisAttr);
    int[] shape = x.shape();
    int n = shape[ax];
    int outer = volume(Arrays.copyOf(shape, ax));
    int inner = volume(Arrays.copyOfRange(shape, ax + 1, shape.length));
    float[] in = x.floats(), out = new float[in.length];
    for (int o = 0; o < outer; o++) {
      for (int i = 0; i < inner; i++) {
        int base = o * n * inner + i; // element j of this row is at base + j * inner
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) max = Math.max(max, in[base + j * inner]);
        double sum = 0;
        for (int j = 0; j < n; j++) sum += Math.exp(in[base + j * inner] - max);
        for (int j = 0; j < n; j++) out[base + j * inner] = (float) (Math.exp(in[base + j * inner] - max) / sum);
      }
    }
    return Tensor.ofFloats(out, shape);
  }

  /** Over the last axis: (x - mean) / √(var + eps) · gamma + beta, var the biased (÷d) variance. */
  static Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, double eps) {
    int d = x.dim(x.rank() - 1);
    float[] in = x.floats(), g = gamma.floats(), b = beta.floats(), out = new float[in.length];
    for (int row = 0; row * d < in.length; row++) {
      int off = row * d;
      double mean = 0;
      for (int i = 0; i < d; i++) mean += in[off + i];
      mean /= d;
      double var = 0;
      for (int i = 0; i < d; i++) var += (in[off + i] - mean) * (in[off + i] - mean);
      var /= d;
      double inv = 1.0 / Math.sqrt(var + eps);
      for (int i = 0; i < d; i++) out[off + i] = (float) ((in[off + i] - mean) * inv * g[i] + b[i]);
    }
    return Tensor.ofFloats(out, x.shape());
  }

  /** Over the last axis: x / √(mean(x²) + eps) · gamma. */
  static Tensor rmsNorm(Tensor x, Tensor gamma, double eps) {
    int d = x.dim(x.rank() - 1);
    float[] in = x.floats(), g = gamma.floats(), out = new float[in.length];
    for (int row = 0; row * d < in.length; row++) {
      int off = row * d;
      double sumSq = 0;
      for (int i = 0; i < d; i++) sumSq += (double) in[off + i] * in[off + i];
      double inv = 1.0 / Math.sqrt(sumSq / d + eps);
      for (int i = 0; i < d; i++) out[off + i] = (float) (in[off + i] * inv * g[i]);
    }
    return Tensor.ofFloats(out, x.shape());
  }

  /** out[..., :] = table[ids[...], :]. */
  static Tensor embedding(Tensor ids, Tensor table) {
    int vocab = table.dim(0), d = table.dim(1);
    long[] id = ids.longs();
    float[] t = table.floats(), out = new float[id.length * d];
    for (int i = 0; i < id.length; i++) {
      if (id[i] < 0 || id[i] >= vocab) {
        throw new IllegalArgumentException("embedding: id " + id[i] + " is out of range for a vocabulary of " + vocab
            + " (ids must be in [0, " + vocab + "))");
      }
      System.arraycopy(t, (int) id[i] * d, out, i * d, d);
    }
    int[] shape = Arrays.copyOf(ids.shape(), ids.rank() + 1);
    shape[ids.rank()] = d;
    return Tensor.ofFloats(out, shape);
  }

  /** i64[n]: 0, 1, …, n-1. */
  static Tensor positions(int n) {
    long[] out = new long[n];
    for (int i = 0; i < n; i++) out[i] = i;
    return Tensor.ofLongs(out, n);
  }

  /** f32[n, dim]: pe[p, 2i] = sin(p / 10000^(2i/dim)), pe[p, 2i+1] = cos(p / 10000^(2i/dim)). */
  static Tensor sinusoidal(int n, int dim) {
    float[] out = new float[n * dim];
    for (int p = 0; p < n; p++) {
      for (int i = 0; i < dim / 2; i++) {
        double angle = p / Math.pow(10000.0, 2.0 * i / dim);
        out[p * dim + 2 * i] = (float) Math.sin(angle);
        out[p * dim + 2 * i + 1] = (float) Math.cos(angle);
      }
    }
    return Tensor.ofFloats(out, n, dim);
  }

  /** m i64[b, s] → f32[b, 1, s]: 0 where m ≠ 0 (a real token), {@link Op#MASKED} where m = 0 (padding). */
  static Tensor paddingMask(Tensor m) {
    long[] in = m.longs();
    float[] out = new float[in.length];
    for (int i = 0; i < in.length; i++) out[i] = in[i] != 0 ? 0f : Op.MASKED;
    return Tensor.ofFloats(out, m.dim(0), 1, m.dim(1));
  }

  /** f32[n, n]: row = query, column = key; 0 where key ≤ query, {@link Op#MASKED} above the diagonal. */
  static Tensor causalMask(int n) {
    float[] out = new float[n * n];
    for (int q = 0; q < n; q++) {
      for (int k = 0; k < n; k++) out[q * n + k] = k <= q ? 0f : Op.MASKED;
    }
    return Tensor.ofFloats(out, n, n);
  }

  // ---- index arithmetic ------------------------------------------------------------------

  private static int axis(Tensor t, long axis) {
    long a = axis < 0 ? axis + t.rank() : axis;
    if (a < 0 || a >= t.rank()) throw new IllegalArgumentException("axis " + axis + " is out of range for " + t.typeString());
    return (int) a;
  }

  static int volume(int[] shape) {
    long v = 1;
    for (int d : shape) v *= d;
    if (v > Integer.MAX_VALUE) throw new IllegalArgumentException("tensor too large: " + Arrays.toString(shape));
    return (int) v;
  }

  /** Row-major strides: the last axis has stride 1. */
  static int[] strides(int[] shape) {
    int[] s = new int[shape.length];
    int stride = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      s[i] = stride;
      stride *= shape[i];
    }
    return s;
  }

  /** The numpy broadcast of two shapes. */
  static int[] broadcastShapes(int[] a, int[] b) {
    int rank = Math.max(a.length, b.length);
    int[] out = new int[rank];
    for (int i = 1; i <= rank; i++) {
      int da = i <= a.length ? a[a.length - i] : 1;
      int db = i <= b.length ? b[b.length - i] : 1;
      if (da != db && da != 1 && db != 1) {
        throw new IllegalArgumentException("cannot broadcast " + Arrays.toString(a) + " with " + Arrays.toString(b));
      }
      out[rank - i] = da == 1 ? db : da;
    }
    return out;
  }

  /**
   * Strides of {@code shape} placed right-aligned in a result of rank {@code rank}: 0 for the
   * missing leading axes and for axes of size 1, so that those stretch.
   */
  static int[] broadcastStrides(int[] shape, int rank) {
    int[] own = strides(shape);
    int[] out = new int[rank];
    for (int i = 0; i < shape.length; i++) {
      out[rank - shape.length + i] = shape[i] == 1 ? 0 : own[i];
    }
    return out;
  }

  /** The multi-index of row-major position {@code flat} in {@code shape}, into {@code idx}. */
  private static void unravel(int flat, int[] shape, int[] idx) {
    for (int ax = shape.length - 1; ax >= 0; ax--) {
      idx[ax] = flat % shape[ax];
      flat /= shape[ax];
    }
  }

  private static int dot(int[] idx, int[] strides) {
    int s = 0;
    for (int i = 0; i < idx.length; i++) s += idx[i] * strides[i];
    return s;
  }
}
