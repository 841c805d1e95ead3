package dev.heed.compiler.emit;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeName;
import dev.heed.compiler.ir.Dim;
import dev.heed.compiler.ir.ElementwiseExpr;
import dev.heed.compiler.ir.Epilogue;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.ir.ShapeRules;
import dev.heed.compiler.ir.TensorType;
import dev.heed.runtime.DType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import javax.lang.model.element.Modifier;

/**
 * Writes the jvm target's kernels: one plain static method per distinct computation,
 * named for what it computes, its Javadoc saying the shapes, what was fused, and the spec
 * lines it comes from. Known dimensions are literals in the code; symbolic ones
 * ({@code batch}, {@code seq}) are int parameters. Nodes that compute the same thing on the
 * same shapes (and read their operands with the same layout) share one kernel.
 */
final class JvmKernels {
  static final ClassName GEMM = ClassName.get("dev.heed.runtime.kernels", "Gemm");
  static final ClassName ACTIVATIONS = ClassName.get("dev.heed.runtime.kernels", "Activations");
  static final ClassName ACTIVATION = ClassName.get("dev.heed.runtime.kernels", "Activation");
  static final ClassName NORMS = ClassName.get("dev.heed.runtime.kernels", "Norms");
  static final ClassName PACKED_LINEAR = ClassName.get("dev.heed.runtime.kernels", "PackedLinear");
  static final ClassName ATTENTION = ClassName.get("dev.heed.runtime.kernels", "Attention");
  static final ClassName PARALLEL = ClassName.get("dev.heed.runtime", "Parallel");

  /** Elements per parallel chunk of a generated elementwise loop. */
  static final int ELEMENTWISE_GRAIN = 1 << 14;

  /** A kernel call: the method to call and the IR values and symbols to pass, in order. */
  record Call(String method, List<String> arrays, List<String> symbols) {}

  private record Kernel(String name, MethodSpec.Builder method, List<String> sources) {}

  private final Map<String, Kernel> byKey = new LinkedHashMap<>();
  private final Map<String, Integer> nameCounts = new TreeMap<>();
  /** Every method name given out: a numbered name (linear6to1 + 2) can spell another base (linear6to12). */
  private final Set<String> usedNames = new java.util.HashSet<>();
  private final Map<String, Node> nodes;
  private final BufferPlan plan;
  private final Function<dev.heed.compiler.ir.Loc, String> sourceLine;

  JvmKernels(BufferPlan plan, Function<dev.heed.compiler.ir.Loc, String> sourceLine) {
    this.plan = plan;
    this.nodes = plan.graph().byName();
    this.sourceLine = sourceLine;
  }

  /**
   * True when operand {@code i} of {@code n} is a weight the model packs once, at load time,
   * for {@code Gemm.linear}: the weight of a linear layer that is a parameter or a load-time
   * value (or a view of one).
   */
  boolean isPackedOperand(Node n, int i) {
    if ((n.op() != Op.LINEAR && n.op() != Op.FUSED_LINEAR) || i != 1) return false;
    String w = n.operands().get(1);
    Node root = nodes.get(plan.root(w));
    boolean fixed = root.op() == Op.PARAM || plan.role(root.name()) == BufferPlan.Role.LOAD_TIME;
    return fixed && nodes.get(w).type().rank() == 2;
  }

  /** The kernels in the order they were first used. */
  List<MethodSpec> methods() {
    List<MethodSpec> out = new ArrayList<>();
    for (Kernel k : byKey.values()) {
      out.add(k.method().addJavadoc("$L", fromLines(k.sources())).build());
    }
    return out;
  }

  private static String fromLines(List<String> sources) {
    StringBuilder sb = new StringBuilder("\n<p>From the spec:\n<pre>\n");
    for (String s : sources) sb.append(s.replace("*/", "*&#47;")).append('\n');
    return sb.append("</pre>\n").toString();
  }

  /** The kernel computing {@code n}, made on first use. */
  Call kernelFor(Node n) {
    Shapes s = new Shapes(n);
    String key = n.op().irName() + " " + n.attrs() + " " + s.key + " " + constantsKey(n) + (isPackedOperand(n, 1) ? " packed" : "")
        + (plan.role(n.name()) == BufferPlan.Role.LOAD_TIME ? " load-time" : "");
    Kernel k = byKey.get(key);
    if (k == null) {
      String name = uniqueName(baseName(n, s));
      MethodSpec.Builder m = MethodSpec.methodBuilder(name).addModifiers(Modifier.STATIC);
      body(n, s, m);
      k = new Kernel(name, m, new ArrayList<>());
      byKey.put(key, k);
    }
    String where = sourceLine.apply(n.loc());
    if (where != null && !k.sources().contains(where) && k.sources().size() < 4) k.sources().add(where);
    return new Call(k.name(), s.arrayOperands, s.actualSymbols);
  }

  /** True when operand value {@code o} is a slice that its consumer reads in place. */
  private boolean isSliceView(String o) {
    return nodes.get(o).op() == Op.SLICE && plan.role(o) == BufferPlan.Role.VIEW;
  }

  private String constantsKey(Node n) {
    StringBuilder sb = new StringBuilder();
    for (String o : n.operands()) {
      Node d = nodes.get(o);
      if (d.op() == Op.CONSTANT) sb.append(o).append('=').append(d.floatAttr("value")).append(' ');
    }
    return sb.toString().replaceAll("\\S+=", "c=");
  }

  private String uniqueName(String base) {
    while (true) {
      int c = nameCounts.merge(base, 1, Integer::sum);
      String name = c == 1 ? base : base + c;
      if (usedNames.add(name)) return name;
    }
  }

  // ---- shapes: symbols in a node's types, canonicalised so equal shapes share a kernel ----

  private final class Shapes {
    final List<TensorType> in = new ArrayList<>();
    final TensorType out;
    private final SymbolicShapes shapes = new SymbolicShapes();
    /** Symbols in order of appearance, as the kernel names them (after this node). */
    final List<String> actualSymbols = shapes.symbols();
    final List<String> arrayOperands = new ArrayList<>();
    /** Per operand: its value when it is a constant, else null. */
    final List<Double> constants = new ArrayList<>();
    final String key;

    Shapes(Node n) {
      StringBuilder sb = new StringBuilder();
      for (String o : n.operands()) {
        Node d = nodes.get(o);
        in.add(d.type());
        if (d.op() != Op.CONSTANT) arrayOperands.add(o);
        constants.add(d.op() == Op.CONSTANT ? d.floatAttr("value") : null);
        sb.append(shapes.canon(d.type())).append(d.op() == Op.CONSTANT ? "c" : "");
        if (isSliceView(o)) {
          // Read in place: the layout of the sliced buffer is part of the kernel.
          sb.append("@").append(d.attrs()).append(shapes.canon(nodes.get(d.operands().get(0)).type()));
        }
        sb.append(';');
      }
      out = n.type();
      sb.append("->").append(shapes.canon(out));
      key = sb.toString();
    }
  }

  // ---- names ------------------------------------------------------------------------

  private String baseName(Node n, Shapes s) {
    return switch (n.op()) {
      case LINEAR -> "linear" + dimText(s.in.get(1).dim(1)) + "to" + dimText(s.in.get(1).dim(0)) + (s.in.size() == 3 ? "" : "NoBias");
      case MATMUL -> "matmul";
      case ADD, SUB, MUL, DIV -> {
        boolean constant = s.arrayOperands.size() < 2;
        boolean same = s.in.get(0).equals(s.out) && s.in.get(1).equals(s.out);
        yield n.op().irName() + (constant ? "Constant" : same ? "" : "Broadcast");
      }
      case LAYER_NORM -> "layerNorm" + dimText(s.out.last());
      case RMS_NORM -> "rmsNorm" + dimText(s.out.last());
      case ADD_LAYER_NORM -> "addLayerNorm" + dimText(s.out.last());
      case ADD_RMS_NORM -> "addRmsNorm" + dimText(s.out.last());
      case SOFTMAX -> "softmax";
      case EMBEDDING -> "embedding" + dimText(s.out.last());
      case FUSED_LINEAR -> {
        Epilogue e = Epilogue.parse(n.strAttr("epilogue"));
        String act = e.activation() == null ? "" : JavaNames.camel(e.activation().irName());
        yield "linear" + dimText(s.in.get(1).dim(1)) + "to" + dimText(s.in.get(1).dim(0)) + (e.bias() ? "" : "NoBias")
            + (act.isEmpty() ? "" : Character.toUpperCase(act.charAt(0)) + act.substring(1)) + (e.residual() ? "Residual" : "")
            + (e.norm() == Op.LAYER_NORM ? "LayerNorm" : e.norm() == Op.RMS_NORM ? "RmsNorm" : "");
      }
      case ELEMENTWISE -> {
        List<String> ops = new ArrayList<>();
        ElementwiseExpr.parse(n.strAttr("expr")).render(i -> "", c -> "", (op, x) -> {
          ops.add(op.irName());
          return "";
        }, (op, a, b) -> {
          ops.add(op.irName());
          return "";
        });
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(3, ops.size()); i++) {
          String c = JavaNames.camel(ops.get(i));
          sb.append(i == 0 ? c : Character.toUpperCase(c.charAt(0)) + c.substring(1));
        }
        if (ops.size() > 3) sb.append("Etc");
        yield sb.isEmpty() ? "elementwise" : sb.toString();
      }
      default -> JavaNames.camel(n.op().irName());
    };
  }

  private static String dimText(Dim d) {
    return d instanceof Dim.Known k ? Long.toString(k.size()) : JavaNames.camel(d.toString());
  }

  // ---- code ----------------------------------------------------------------------------

  /** Java expression for one dimension: a literal or the symbol's parameter. */
  static String dim(Dim d) {
    return d instanceof Dim.Known k ? Long.toString(k.size()) : symVar(((Dim.Sym) d).name());
  }

  /** Local names the kernels and forward() use; a symbol spelled the same gets a "Dim" suffix. */
  private static final Set<String> RESERVED = Set.of("a", "b", "x", "w", "bias", "out", "n", "o", "i",
      "j", "k", "m", "p", "q", "r", "d", "id", "ids", "in", "inner", "outer", "len", "base", "max", "sum", "scale", "e",
      "mean", "var", "dev", "inv", "sq", "eps", "gamma", "beta", "rows", "dim", "vocab", "table", "mask", "mat", "angle",
      "inputs", "outputs", "weights", "result", "sk", "dv", "rest", "from", "to", "qOff", "kOff", "vOff", "maskOff",
      "maskRowStride", "maskColStride", "residual", "ws", "workspaces", "heads");

  /** The Java variable holding symbolic dimension {@code name}. */
  static String symVar(String name) {
    String v = JavaNames.camel(name);
    return RESERVED.contains(v) || v.matches("i\\d+|in\\d+|x\\d+|f\\d+|l\\d+") || JavaNames.unusable(v) ? v + "Dim" : v;
  }

  private static String offset(String index, String matrix) {
    if (index.equals("0")) return "0";
    return (index.matches("\\w+") ? index : "(" + index + ")") + " * " + matrix;
  }

  /** Java expression for the element count of a shape: known sizes folded into one literal. */
  static String size(List<Dim> shape) {
    long known = 1;
    List<String> parts = new ArrayList<>();
    for (Dim d : shape) {
      if (d instanceof Dim.Known k) known *= k.size();
      else parts.add(dim(d));
    }
    if (known != 1 || parts.isEmpty()) parts.add(Long.toString(known));
    return String.join(" * ", parts);
  }

  static TypeName arrayType(DType t) {
    return t == DType.F32 ? TypeName.get(float[].class) : TypeName.get(long[].class);
  }

  private void body(Node n, Shapes s, MethodSpec.Builder m) {
    List<String> names = new ArrayList<>();
    // Array parameters, named for their role.
    List<String> roles = roles(n);
    for (int i = 0; i < n.operands().size(); i++) {
      Node d = nodes.get(n.operands().get(i));
      if (d.op() == Op.CONSTANT) {
        names.add(JavaNames.floatLiteral(d.floatAttr("value")));
        continue;
      }
      String role = roles.get(Math.min(i, roles.size() - 1));
      m.addParameter(isPackedOperand(n, i) ? PACKED_LINEAR : arrayType(d.type().dtype()), role);
      names.add(role);
    }
    m.addParameter(arrayType(n.type().dtype()), "out");
    for (String sym : s.actualSymbols) m.addParameter(TypeName.INT, symVar(sym));
    m.addJavadoc("$L", KernelDoc.describe(n, s.out, s.in, s.constants));
    String fused = fusedNote(n);
    if (fused != null) m.addJavadoc("\n<p>$L\n", fused);
    if (plan.role(n.name()) == BufferPlan.Role.LOAD_TIME) {
      m.addJavadoc("\n<p>Runs once, in the constructor: it reads weights only.\n");
    }
    CodeBlock.Builder c = CodeBlock.builder();
    switch (n.op()) {
      // Activations in bulk: the runtime's parallel (and, with the Vector API, vectorised) loop.
      case RELU, GELU, GELU_TANH, TANH, SIGMOID ->
          c.addStatement("$T.apply($T.$L, $L, out, $L)", ACTIVATIONS, ACTIVATION, activation(n.op()), names.get(0),
              size(s.out.shape()));
      case NEG, EXP, SQRT -> {
        c.addStatement("int n = $L", size(s.out.shape()));
        c.beginControlFlow("for (int i = 0; i < n; i++)");
        c.addStatement("out[i] = $L", unary(n.op(), names.get(0) + "[i]"));
        c.endControlFlow();
      }
      case ADD, SUB, MUL, DIV -> binary(n, s, names, c);
      case ELEMENTWISE -> elementwise(n, s, names, c);
      case LINEAR -> {
        TensorType w = s.in.get(1);
        if (isPackedOperand(n, 1)) {
          c.addStatement("$T.linear($L, w, $L, out, $L)", GEMM, names.get(0), s.in.size() == 3 ? "bias" : "null",
              size(s.in.get(0).shape().subList(0, s.in.get(0).rank() - 1)));
          break;
        }
        c.addStatement("$T.linear($L, w, $L, out, $L, $L, $L)", GEMM, names.get(0), s.in.size() == 3 ? "bias" : "null",
            size(s.in.get(0).shape().subList(0, s.in.get(0).rank() - 1)), dim(w.dim(1)), dim(w.dim(0)));
      }
      case FUSED_LINEAR -> fusedLinear(n, s, c);
      case MATMUL -> matmul(s, c);
      case ATTENTION -> attention(n, s, c);
      case MHA -> mha(n, s, c);
      case TRANSPOSE -> transpose(n, s, c);
      case CONCAT -> concat(n, s, c);
      case SLICE -> slice(n, s, c);
      case SOFTMAX -> softmax(n, s, c);
      case LAYER_NORM, RMS_NORM, ADD_LAYER_NORM, ADD_RMS_NORM -> norm(n, s, c);
      case EMBEDDING -> {
        TensorType table = s.in.get(1);
        c.addStatement("int n = $L", size(s.in.get(0).shape()));
        c.addStatement("int vocab = $L, dim = $L", dim(table.dim(0)), dim(table.dim(1)));
        c.beginControlFlow("for (int i = 0; i < n; i++)");
        c.addStatement("long id = ids[i]");
        c.beginControlFlow("if (id < 0 || id >= vocab)");
        c.addStatement("throw new $T(\"token id \" + id + \" at position \" + i + \" is outside the vocabulary [0, \" + vocab + \")\")",
            IllegalArgumentException.class);
        c.endControlFlow();
        c.addStatement("$T.arraycopy(table, (int) id * dim, out, i * dim, dim)", System.class);
        c.endControlFlow();
      }
      case POSITIONS -> {
        c.beginControlFlow("for (int i = 0; i < $L; i++)", dim(s.out.dim(0)));
        c.addStatement("out[i] = i");
        c.endControlFlow();
      }
      case SINUSOIDAL -> {
        c.addStatement("int n = $L, dim = $L", dim(s.out.dim(0)), dim(s.out.dim(1)));
        c.beginControlFlow("for (int p = 0; p < n; p++)");
        c.beginControlFlow("for (int i = 0; i < dim; i += 2)");
        c.addStatement("double angle = p / Math.pow(10000.0, (double) i / dim)");
        c.addStatement("out[p * dim + i] = (float) Math.sin(angle)");
        c.addStatement("out[p * dim + i + 1] = (float) Math.cos(angle)");
        c.endControlFlow();
        c.endControlFlow();
      }
      case PADDING_MASK -> {
        c.addStatement("int n = $L", size(s.in.get(0).shape()));
        c.beginControlFlow("for (int i = 0; i < n; i++)");
        c.addStatement("out[i] = mask[i] != 0 ? 0f : $L", JavaNames.floatLiteral(Op.MASKED));
        c.endControlFlow();
      }
      case CAUSAL_MASK -> {
        c.addStatement("int n = $L", dim(s.out.dim(0)));
        c.beginControlFlow("for (int q = 0; q < n; q++)");
        c.beginControlFlow("for (int k = 0; k < n; k++)");
        c.addStatement("out[q * n + k] = k <= q ? 0f : $L", JavaNames.floatLiteral(Op.MASKED));
        c.endControlFlow();
        c.endControlFlow();
      }
      case RESHAPE, INPUT, PARAM, CONSTANT -> throw new IllegalStateException(n.op() + " has no kernel");
    }
    m.addCode(c.build());
  }

  private List<String> roles(Node n) {
    return switch (n.op()) {
      case ADD, SUB, MUL, DIV, MATMUL -> List.of("a", "b");
      case LINEAR -> List.of("x", "w", "bias");
      case FUSED_LINEAR -> {
        Epilogue e = Epilogue.parse(n.strAttr("epilogue"));
        List<String> r = new ArrayList<>(List.of("x", "w"));
        if (e.bias()) r.add("bias");
        if (e.residual()) r.add("residual");
        if (e.norm() != null) r.add("gamma");
        if (e.norm() == Op.LAYER_NORM) r.add("beta");
        yield r;
      }
      case ATTENTION, MHA -> List.of("q", "k", "v", "mask");
      case LAYER_NORM -> List.of("x", "gamma", "beta");
      case RMS_NORM -> List.of("x", "gamma");
      case ADD_LAYER_NORM -> List.of("a", "b", "gamma", "beta");
      case ADD_RMS_NORM -> List.of("a", "b", "gamma");
      case EMBEDDING -> List.of("ids", "table");
      case PADDING_MASK -> List.of("mask");
      case CONCAT -> indexed("in", n.operands().size());
      case ELEMENTWISE -> indexed("x", n.operands().size());
      default -> List.of("x");
    };
  }

  private static List<String> indexed(String prefix, int count) {
    List<String> r = new ArrayList<>();
    for (int i = 0; i < Math.max(1, count); i++) r.add(prefix + i);
    return r;
  }

  /** For a fused op, what it fused, in the order the ops ran before: "fused: linear + bias + gelu". */
  private String fusedNote(Node n) {
    return switch (n.op()) {
      case FUSED_LINEAR -> {
        Epilogue e = Epilogue.parse(n.strAttr("epilogue"));
        List<String> steps = new ArrayList<>(List.of("linear"));
        if (e.bias()) steps.add("bias");
        if (e.activation() != null) steps.add(e.activation().irName());
        if (e.residual()) steps.add("residual add");
        if (e.norm() != null) steps.add(e.norm().irName());
        yield "Fused: " + String.join(" + ", steps) + ", in the GEMM's store: the product is written once"
            + (e.norm() != null ? ", and each block of rows is normalised as soon as it is complete, while in cache." : ".");
      }
      case MHA -> {
        List<String> how = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          String o = n.operands().get(i);
          String role = i == 0 ? "q" : i == 1 ? "k" : "v";
          if (isSliceView(o)) {
            Node sl = nodes.get(o);
            TensorType base = nodes.get(sl.operands().get(0)).type();
            how.add(role + " is columns " + sl.intAttr("start") + " to " + (sl.intAttr("end") - 1) + " of the rows of a "
                + KernelDoc.bracket(base) + " buffer");
          }
        }
        yield "Fused: split_heads (reshape + transpose) of q, k and v, attention, merge_heads (transpose + reshape): "
            + "every head is read and written in place, with strides; no transposed copies."
            + (how.isEmpty() ? "" : " Read in place: " + String.join("; ", how) + ".");
      }
      case ADD_LAYER_NORM -> "Fused: add + layer_norm: the sum is normalised as it is stored.";
      case ADD_RMS_NORM -> "Fused: add + rms_norm: the sum is normalised as it is stored.";
      case ELEMENTWISE -> "Fused: {@code " + JavaNames.comment(n.strAttr("expr")).replace("@", "&#64;")
          .replace("{", "&#123;").replace("}", "&#125;") + "} in one loop (" + opsOf(n) + ").";
      case ATTENTION -> "Fused: transpose + matmul + scale + mask + softmax + matmul, without the scores tensor.";
      default -> null;
    };
  }

  private static String opsOf(Node n) {
    List<String> ops = new ArrayList<>();
    ElementwiseExpr.parse(n.strAttr("expr")).render(i -> "", c -> "", (op, x) -> {
      ops.add(op.irName());
      return "";
    }, (op, a, b) -> {
      ops.add(op.irName());
      return "";
    });
    return String.join(" + ", ops);
  }

  private static String unary(Op op, String x) {
    return switch (op) {
      case NEG -> x.startsWith("-") ? "-(" + x + ")" : "-" + x;
      case RELU -> "Math.max(" + x + ", 0f)";
      case TANH -> "(float) Math.tanh(" + x + ")";
      case EXP -> "(float) Math.exp(" + x + ")";
      case SQRT -> "(float) Math.sqrt(" + x + ")";
      case GELU -> CodeBlock.of("$T.gelu($L)", ACTIVATIONS, x).toString();
      case GELU_TANH -> CodeBlock.of("$T.geluTanh($L)", ACTIVATIONS, x).toString();
      case SIGMOID -> CodeBlock.of("$T.sigmoid($L)", ACTIVATIONS, x).toString();
      default -> throw new IllegalArgumentException(op.toString());
    };
  }

  private static String binaryOp(Op op) {
    return switch (op) {
      case ADD -> " + ";
      case SUB -> " - ";
      case MUL -> " * ";
      default -> " / ";
    };
  }

  /** Elementwise a ∘ b: a flat loop when no operand broadcasts, nested loops otherwise. */
  private void binary(Node n, Shapes s, List<String> names, CodeBlock.Builder c) {
    TensorType out = s.out;
    boolean flat = true;
    for (int i = 0; i < 2; i++) {
      boolean isConst = nodes.get(n.operands().get(i)).op() == Op.CONSTANT;
      if (!isConst && !s.in.get(i).shape().equals(out.shape())) flat = false;
    }
    String[] idx = new String[2];
    if (flat) {
      for (int i = 0; i < 2; i++) idx[i] = nodes.get(n.operands().get(i)).op() == Op.CONSTANT ? null : "[i]";
      c.addStatement("int n = $L", size(out.shape()));
      c.beginControlFlow("for (int i = 0; i < n; i++)");
      c.addStatement("out[i] = $L$L$L", operand(names, idx, 0), binaryOp(n.op()), operand(names, idx, 1));
      c.endControlFlow();
      return;
    }
    int r = out.rank();
    for (int i = 0; i < 2; i++) {
      if (nodes.get(n.operands().get(i)).op() == Op.CONSTANT) continue;
      idx[i] = "[" + broadcastIndex(s.in.get(i), out) + "]";
    }
    c.addStatement("int o = 0");
    for (int d = 0; d < r; d++) c.beginControlFlow("for (int i$L = 0; i$L < $L; i$L++)", d, d, dim(out.dim(d)), d);
    c.addStatement("out[o++] = $L$L$L", operand(names, idx, 0), binaryOp(n.op()), operand(names, idx, 1));
    for (int d = 0; d < r; d++) c.endControlFlow();
  }

  private static String operand(List<String> names, String[] idx, int i) {
    return idx[i] == null ? names.get(i) : names.get(i) + idx[i];
  }

  /**
   * A fused chain of elementwise ops: one loop over the output's flat index {@code i}, each
   * operand read at {@code i} when it has the output's shape, else at the index it broadcasts
   * to (e.g. {@code i % (seq * 384)} for {@code [seq, 384]} against {@code [batch, seq, 384]});
   * in parallel chunks when the output is large.
   */
  private void elementwise(Node n, Shapes s, List<String> names, CodeBlock.Builder c) {
    ElementwiseExpr e = ElementwiseExpr.parse(n.strAttr("expr"));
    TensorType out = s.out;
    String[] read = new String[n.operands().size()];
    for (int i = 0; i < read.length; i++) {
      Node d = nodes.get(n.operands().get(i));
      if (d.op() == Op.CONSTANT) read[i] = names.get(i);
      else if (d.type().shape().equals(out.shape())) read[i] = names.get(i) + "[i]";
      else read[i] = names.get(i) + "[" + flatBroadcastIndex(d.type(), out) + "]";
    }
    String expr = e.render(i -> read[i], v -> JavaNames.floatLiteral(v), JvmKernels::unary,
        (op, a, b) -> "(" + a + binaryOp(op) + b + ")");
    if (expr.startsWith("(") && e instanceof ElementwiseExpr.Binary) expr = expr.substring(1, expr.length() - 1);
    String total = size(out.shape());
    boolean small = out.isStatic() && Long.parseLong(total) <= ELEMENTWISE_GRAIN;
    if (small) {
      c.beginControlFlow("for (int i = 0; i < $L; i++)", total);
      c.addStatement("out[i] = $L", expr);
      c.endControlFlow();
      return;
    }
    c.add("$T.forRange($L, $L, (from, to) -> {\n$>", PARALLEL, total, ELEMENTWISE_GRAIN);
    c.beginControlFlow("for (int i = from; i < to; i++)");
    c.addStatement("out[i] = $L", expr);
    c.endControlFlow();
    c.add("$<});\n");
  }

  /**
   * The flat index into {@code in} of output element {@code i}, {@code in} broadcasting to
   * {@code out}: each run of axes where {@code in} has the output's sizes contributes
   * {@code (i / inner) % run * stride}; axes where it has size 1 contribute nothing.
   */
  static String flatBroadcastIndex(TensorType in, TensorType out) {
    int r = out.rank(), off = r - in.rank();
    List<String> terms = new ArrayList<>();
    int ax = 0;
    while (ax < r) {
      if (!matches(in, out, ax, off)) {
        ax++;
        continue;
      }
      int lo = ax;
      while (ax < r && matches(in, out, ax, off)) ax++;
      int hi = ax;
      String inner = size(out.shape().subList(hi, r));
      String run = size(out.shape().subList(lo, hi));
      String stride = size(in.shape().subList(hi - off, in.rank()));
      String t = inner.equals("1") ? "i" : "i / " + paren(inner);
      if (lo > 0) t = paren(t) + " % " + paren(run);
      if (!stride.equals("1")) t = paren(t) + " * " + stride;
      terms.add(t);
    }
    return terms.isEmpty() ? "0" : String.join(" + ", terms);
  }

  private static boolean matches(TensorType in, TensorType out, int ax, int off) {
    if (ax < off) return false;
    Dim d = in.dim(ax - off);
    return d.equals(out.dim(ax)) && !d.isOne();
  }

  private static String paren(String e) {
    return e.matches("[\\w.]+") ? e : "(" + e + ")";
  }

  /** The flat index into {@code in} for loop counters i0..i(r-1) over {@code out}, broadcasting. */
  private static String broadcastIndex(TensorType in, TensorType out) {
    int r = out.rank(), off = r - in.rank();
    List<String> terms = new ArrayList<>();
    for (int d = 0; d < in.rank(); d++) {
      if (in.dim(d).isOne() && !out.dim(d + off).isOne()) continue;
      List<Dim> inner = in.shape().subList(d + 1, in.rank());
      String stride = size(inner);
      terms.add(stride.equals("1") ? "i" + (d + off) : "i" + (d + off) + " * " + stride);
    }
    return terms.isEmpty() ? "0" : String.join(" + ", terms);
  }

  /** The runtime's name for an activation op: {@code GELU_TANH}. */
  private static String activation(Op op) {
    return op == null ? "NONE" : op.name();
  }

  /**
   * linear with its epilogue: bias, activation and residual applied as the GEMM stores each
   * tile, then the row norm on each completed block of rows. A weight that is not packed at
   * load time takes the unpacked linear, then the norm as a pass over the result.
   */
  private void fusedLinear(Node n, Shapes s, CodeBlock.Builder c) {
    Epilogue e = Epilogue.parse(n.strAttr("epilogue"));
    TensorType x = s.in.get(0), w = s.in.get(1);
    String rows = size(x.shape().subList(0, x.rank() - 1));
    String bias = e.bias() ? "bias" : "null", residual = e.residual() ? "residual" : "null";
    String act = activation(e.activation());
    String eps = e.norm() == null ? null : JavaNames.floatLiteral(n.floatAttr("eps"));
    if (isPackedOperand(n, 1)) {
      if (e.norm() == Op.LAYER_NORM) {
        c.addStatement("$T.linearLayerNorm(x, w, $L, $T.$L, $L, gamma, beta, $L, out, $L)", GEMM, bias, ACTIVATION, act,
            residual, eps, rows);
      } else if (e.norm() == Op.RMS_NORM) {
        c.addStatement("$T.linearRmsNorm(x, w, $L, $T.$L, $L, gamma, $L, out, $L)", GEMM, bias, ACTIVATION, act, residual,
            eps, rows);
      } else {
        c.addStatement("$T.linear(x, w, $L, $T.$L, $L, out, $L)", GEMM, bias, ACTIVATION, act, residual, rows);
      }
      return;
    }
    c.addStatement("$T.linear(x, w, $L, $T.$L, $L, out, $L, $L, $L)", GEMM, bias, ACTIVATION, act, residual, rows,
        dim(w.dim(1)), dim(w.dim(0)));
    if (e.norm() == Op.LAYER_NORM) {
      c.addStatement("$T.layerNorm(out, gamma, beta, out, $L, $L, $L)", NORMS, rows, dim(w.dim(0)), eps);
    } else if (e.norm() == Op.RMS_NORM) {
      c.addStatement("$T.rmsNorm(out, gamma, out, $L, $L, $L)", NORMS, rows, dim(w.dim(0)), eps);
    }
  }

  /** Batched matmul: one GEMM per batch index; broadcast batch dims reuse the operand's matrix. */
  private void matmul(Shapes s, CodeBlock.Builder c) {
    TensorType a = s.in.get(0), b = s.in.get(1), out = s.out;
    int r = out.rank();
    String m = dim(a.dim(a.rank() - 2)), k = dim(a.last()), nn = dim(b.last());
    c.addStatement("int m = $L, k = $L, n = $L", m, k, nn);
    if (r == 2) {
      c.addStatement("$T.matmul(a, 0, b, 0, out, 0, m, k, n)", GEMM);
      return;
    }
    TensorType outBatch = out.withShape(out.shape().subList(0, r - 2));
    TensorType aBatch = a.withShape(a.shape().subList(0, a.rank() - 2));
    TensorType bBatch = b.withShape(b.shape().subList(0, b.rank() - 2));
    c.addStatement("int mat = 0");
    for (int d = 0; d < r - 2; d++) c.beginControlFlow("for (int i$L = 0; i$L < $L; i$L++)", d, d, dim(out.dim(d)), d);
    String ai = broadcastIndex(aBatch, outBatch), bi = broadcastIndex(bBatch, outBatch);
    c.addStatement("$T.matmul(a, $L, b, $L, out, mat * m * n, m, k, n)", GEMM, offset(ai, "m * k"), offset(bi, "k * n"));
    c.addStatement("mat++");
    for (int d = 0; d < r - 2; d++) c.endControlFlow();
  }

  // ---- attention ------------------------------------------------------------------------

  /** How a kernel reads an operand: the offset of its first element and a stride per axis. */
  private record Layout(String offset, List<String> strides) {}

  /** Row-major strides of {@code shape}, as Java expressions. */
  private static List<String> rowMajor(List<Dim> shape) {
    List<String> st = new ArrayList<>();
    for (int ax = 0; ax < shape.size(); ax++) st.add(size(shape.subList(ax + 1, shape.size())));
    return st;
  }

  /** The layout of operand value {@code o}: in place inside its sliced buffer, or contiguous. */
  private Layout layout(String o) {
    Node d = nodes.get(o);
    if (isSliceView(o)) {
      TensorType base = nodes.get(d.operands().get(0)).type();
      int ax = ShapeRules.axis(Op.SLICE, base, d.intAttr("axis"));
      List<String> st = rowMajor(base.shape());
      return new Layout(times(Long.toString(d.intAttr("start")), st.get(ax)), st);
    }
    return new Layout("0", rowMajor(d.type().shape()));
  }

  /** {@code a * b} for two products, simplified when either is 0 or 1. */
  private static String times(String a, String b) {
    if (a.equals("0") || b.equals("0")) return "0";
    if (a.equals("1")) return b;
    if (b.equals("1")) return a;
    return a + " * " + b;
  }

  /**
   * Multi-head attention on packed rows {@code [batch, seq, heads·d]}: one call of the strided
   * attention kernel, head h of row i at column h·d. Operands that are slices of one buffer
   * (the fused QKV product) are read in place: their offset is the slice's first column, their
   * row stride the buffer's row length.
   */
  private void mha(Node n, Shapes s, CodeBlock.Builder c) {
    int heads = (int) n.intAttr("heads");
    TensorType q = s.in.get(0), k = s.in.get(1), v = s.in.get(2), out = s.out;
    long d = q.last().size() / heads, dv = v.last().size() / heads;
    List<String> args = new ArrayList<>();
    String[] roles = {"q", "k", "v"};
    for (int i = 0; i < 3; i++) {
      Layout l = layout(n.operands().get(i));
      long hd = i == 2 ? dv : d;
      args.add(roles[i] + ", " + l.offset() + ", " + l.strides().get(0) + ", " + times(Long.toString(hd), l.strides().get(2))
          + ", " + l.strides().get(1));
    }
    args.add(maskArgs(n, s, 4));
    List<String> os = rowMajor(out.shape());
    args.add("out, 0, " + os.get(0) + ", " + dv + ", " + os.get(1));
    args.add(dim(q.dim(0)) + ", " + heads + ", " + dim(q.dim(1)) + ", " + dim(k.dim(1)) + ", " + d + ", " + dv + ", "
        + JavaNames.floatLiteral(n.floatAttr("scale")));
    attentionCall(c, args);
  }

  /**
   * The mask's arguments for the strided attention kernel: it broadcasts to
   * {@code [batch, heads, sq, sk]} (padded with leading 1s), so axes where it has size 1 get
   * stride 0. {@code null, 0, 0, 0, 0, 0} without a mask.
   */
  private String maskArgs(Node n, Shapes s, int rank) {
    if (s.in.size() < 4) return "null, 0, 0, 0, 0, 0";
    String o = n.operands().get(3);
    TensorType m = s.in.get(3);
    Layout l = layout(o);
    List<String> st = new ArrayList<>();
    for (int ax = 0; ax < 4; ax++) {
      int mi = ax - (4 - m.rank());
      st.add(mi < 0 || m.dim(mi).isOne() ? "0" : l.strides().get(mi));
    }
    return "mask, " + l.offset() + ", " + String.join(", ", st);
  }

  private static void attentionCall(CodeBlock.Builder c, List<String> args) {
    c.add("$T.attention(\n$>$>", ATTENTION);
    for (int i = 0; i < args.size(); i++) c.add("$L$L\n", args.get(i), i == args.size() - 1 ? ");" : ",");
    c.add("$<$<");
  }

  /**
   * Fused attention: q, k, v and the output as {@code [batch, heads, s, d]} (rank 4 or less;
   * missing leading axes are 1, and batch axes where an operand has size 1 broadcast with
   * stride 0), in one call of the strided attention kernel. Ranks above 4 run one
   * {@code Attention.head} call per matrix, in parallel.
   */
  private void attention(Node n, Shapes s, CodeBlock.Builder c) {
    TensorType q = s.in.get(0), k = s.in.get(1), v = s.in.get(2), out = s.out;
    int r = out.rank();
    if (r > 4) {
      attentionPerMatrix(n, s, c);
      return;
    }
    List<String> args = new ArrayList<>();
    TensorType[] ts = {q, k, v};
    String[] roles = {"q", "k", "v"};
    for (int i = 0; i < 3; i++) {
      TensorType t = ts[i];
      List<String> st = rowMajor(t.shape());
      // Batch axes of the output: out[ax] for ax < r - 2; the operand's axis, right-aligned.
      String[] bs = {"0", "0"};
      for (int ax = Math.max(0, r - 4); ax < r - 2; ax++) {
        int ti = ax - (r - t.rank());
        int slot = ax - (r - 4);
        if (ti >= 0 && !t.dim(ti).isOne()) bs[slot] = st.get(ti);
      }
      args.add(roles[i] + ", 0, " + bs[0] + ", " + bs[1] + ", " + st.get(t.rank() - 2));
    }
    args.add(maskArgs(n, s, r));
    List<String> os = rowMajor(out.shape());
    String oB = r == 4 ? os.get(0) : "0", oH = r >= 3 ? os.get(r - 3) : "0";
    args.add("out, 0, " + oB + ", " + oH + ", " + os.get(r - 2));
    String batch = r == 4 ? dim(out.dim(0)) : "1", heads = r >= 3 ? dim(out.dim(r - 3)) : "1";
    args.add(batch + ", " + heads + ", " + dim(q.dim(q.rank() - 2)) + ", " + dim(k.dim(k.rank() - 2)) + ", " + dim(q.last())
        + ", " + dim(v.last()) + ", " + JavaNames.floatLiteral(n.floatAttr("scale")));
    attentionCall(c, args);
  }

  /** Attention of rank above 4: one {@code Attention.head} call per (batch…, head) matrix, in parallel. */
  private void attentionPerMatrix(Node n, Shapes s, CodeBlock.Builder c) {
    TensorType q = s.in.get(0), k = s.in.get(1), v = s.in.get(2), out = s.out;
    int r = out.rank();
    c.addStatement("int sq = $L, sk = $L, d = $L, dv = $L", dim(q.dim(q.rank() - 2)), dim(k.dim(k.rank() - 2)), dim(q.last()),
        dim(v.last()));
    c.addStatement("float scale = $L", JavaNames.floatLiteral(n.floatAttr("scale")));
    String maskOff = "0", rowStride = "0", colStride = "0";
    TensorType outBatch = out.withShape(out.shape().subList(0, r - 2));
    if (s.in.size() == 4) {
      // The mask, padded with leading 1s to the scores' rank, broadcasts over [..., sq, sk].
      TensorType m = s.in.get(3);
      List<Dim> full = new ArrayList<>(Collections.nCopies(Math.max(0, 2 - m.rank()), Dim.of(1)));
      full.addAll(m.shape());
      Dim rows = full.get(full.size() - 2), cols = full.get(full.size() - 1);
      rowStride = rows.isOne() ? "0" : dim(cols);
      colStride = cols.isOne() ? "0" : "1";
      String index = broadcastIndex(m.withShape(full.subList(0, full.size() - 2)), outBatch);
      maskOff = offset(index, size(List.of(rows, cols)));
    }
    String mask = s.in.size() == 4 ? "mask" : "null";
    c.addStatement("int maskRowStride = $L, maskColStride = $L", rowStride, colStride);
    c.add("$T.forRange($L, $T.grain(sq, sk, d, dv), (from, to) -> {\n$>", PARALLEL, size(outBatch.shape()), ATTENTION);
    c.beginControlFlow("for (int mat = from; mat < to; mat++)");
    // The batch indices i0, i1, ... of matrix number mat, last one fastest.
    c.addStatement("int rest = mat");
    for (int ax = r - 3; ax >= 0; ax--) {
      if (ax == 0) {
        c.addStatement("int i0 = rest");
      } else {
        c.addStatement("int i$L = rest % $L", ax, dim(out.dim(ax)));
        c.addStatement("rest /= $L", dim(out.dim(ax)));
      }
    }
    TensorType qb = q.withShape(q.shape().subList(0, q.rank() - 2));
    TensorType kb = k.withShape(k.shape().subList(0, k.rank() - 2));
    TensorType vb = v.withShape(v.shape().subList(0, v.rank() - 2));
    c.addStatement("int qOff = $L, kOff = $L, vOff = $L", offset(broadcastIndex(qb, outBatch), "sq * d"),
        offset(broadcastIndex(kb, outBatch), "sk * d"), offset(broadcastIndex(vb, outBatch), "sk * dv"));
    if (s.in.size() == 4) c.addStatement("int maskOff = $L", maskOff);
    c.addStatement("$T.head(q, qOff, k, kOff, v, vOff, $L, $L, maskRowStride, maskColStride, out, mat * sq * dv, sq, sk, d, dv, "
        + "scale)", ATTENTION, mask, s.in.size() == 4 ? "maskOff" : "0");
    c.endControlFlow();
    c.add("$<});\n");
  }

  // ---- layout -----------------------------------------------------------------------------

  private void transpose(Node n, Shapes s, CodeBlock.Builder c) {
    TensorType x = s.in.get(0), out = s.out;
    List<Long> perm = n.intsAttr("perm");
    int r = out.rank();
    // out[i0, ..., i(r-1)] = x[j] with x's axis perm[d] indexed by i_d.
    String[] xIndexOfAxis = new String[r];
    for (int d = 0; d < r; d++) xIndexOfAxis[perm.get(d).intValue()] = "i" + d;
    List<String> terms = new ArrayList<>();
    for (int ax = 0; ax < r; ax++) {
      String stride = size(x.shape().subList(ax + 1, r));
      terms.add(stride.equals("1") ? xIndexOfAxis[ax] : xIndexOfAxis[ax] + " * " + stride);
    }
    c.addStatement("int o = 0");
    for (int d = 0; d < r; d++) c.beginControlFlow("for (int i$L = 0; i$L < $L; i$L++)", d, d, dim(out.dim(d)), d);
    c.addStatement("out[o++] = x[$L]", String.join(" + ", terms));
    for (int d = 0; d < r; d++) c.endControlFlow();
  }

  private void concat(Node n, Shapes s, CodeBlock.Builder c) {
    int ax = (int) n.intAttr("axis");
    TensorType out = s.out;
    c.addStatement("int outer = $L, inner = $L", size(out.shape().subList(0, ax)), size(out.shape().subList(ax + 1, out.rank())));
    c.addStatement("int o = 0");
    c.beginControlFlow("for (int i = 0; i < outer; i++)");
    for (int j = 0; j < s.in.size(); j++) {
      String len = dim(s.in.get(j).dim(ax)) + " * inner";
      c.addStatement("$T.arraycopy(in$L, i * $L, out, o, $L)", System.class, j, len, len);
      c.addStatement("o += $L", len);
    }
    c.endControlFlow();
  }

  /** A slice that is copied: one {@code arraycopy} per run of the sliced axis and those after it. */
  private void slice(Node n, Shapes s, CodeBlock.Builder c) {
    TensorType x = s.in.get(0), out = s.out;
    int ax = ShapeRules.axis(Op.SLICE, x, n.intAttr("axis"));
    long start = n.intAttr("start"), len = n.intAttr("end") - start;
    c.addStatement("int outer = $L, inner = $L", size(out.shape().subList(0, ax)), size(out.shape().subList(ax + 1, out.rank())));
    c.beginControlFlow("for (int o = 0; o < outer; o++)");
    c.addStatement("$T.arraycopy(x, (o * $L + $L) * inner, out, o * $L * inner, $L * inner)", System.class, dim(x.dim(ax)),
        start, len, len);
    c.endControlFlow();
  }

  private void softmax(Node n, Shapes s, CodeBlock.Builder c) {
    TensorType x = s.in.get(0);
    int ax = ShapeRules.axis(Op.SOFTMAX, x, n.intAttr("axis"));
    c.addStatement("int outer = $L, len = $L, inner = $L", size(x.shape().subList(0, ax)), dim(x.dim(ax)),
        size(x.shape().subList(ax + 1, x.rank())));
    c.beginControlFlow("for (int o = 0; o < outer; o++)");
    c.beginControlFlow("for (int in = 0; in < inner; in++)");
    c.addStatement("int base = o * len * inner + in");
    c.addStatement("float max = Float.NEGATIVE_INFINITY");
    c.addStatement("for (int j = 0; j < len; j++) max = Math.max(max, x[base + j * inner])");
    c.addStatement("float sum = 0f");
    c.beginControlFlow("for (int j = 0; j < len; j++)");
    c.addStatement("float e = (float) Math.exp(x[base + j * inner] - max)");
    c.addStatement("out[base + j * inner] = e");
    c.addStatement("sum += e");
    c.endControlFlow();
    c.addStatement("float scale = 1f / sum");
    c.addStatement("for (int j = 0; j < len; j++) out[base + j * inner] *= scale");
    c.endControlFlow();
    c.endControlFlow();
  }

  /** layer_norm and rms_norm over the last axis, the add_ forms of a + b: the runtime's row kernels. */
  private void norm(Node n, Shapes s, CodeBlock.Builder c) {
    TensorType x = s.in.get(0);
    String rows = size(x.shape().subList(0, x.rank() - 1)), d = dim(x.last()), eps = JavaNames.floatLiteral(n.floatAttr("eps"));
    switch (n.op()) {
      case LAYER_NORM -> c.addStatement("$T.layerNorm(x, gamma, beta, out, $L, $L, $L)", NORMS, rows, d, eps);
      case RMS_NORM -> c.addStatement("$T.rmsNorm(x, gamma, out, $L, $L, $L)", NORMS, rows, d, eps);
      case ADD_LAYER_NORM -> c.addStatement("$T.addLayerNorm(a, b, gamma, beta, out, $L, $L, $L)", NORMS, rows, d, eps);
      default -> c.addStatement("$T.addRmsNorm(a, b, gamma, out, $L, $L, $L)", NORMS, rows, d, eps);
    }
  }
}
