package dev.heed.compiler.emit.tornado;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeName;
import dev.heed.compiler.emit.KernelDoc;
import dev.heed.compiler.emit.SymbolicShapes;
import dev.heed.compiler.ir.Dim;
import dev.heed.compiler.ir.ElementwiseExpr;
import dev.heed.compiler.ir.Epilogue;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Loc;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.ir.ShapeRules;
import dev.heed.compiler.ir.TensorType;
import dev.heed.runtime.DType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import javax.lang.model.element.Modifier;

/**
 * Writes the tornadovm target's kernels: static methods in TornadoVM's Java form, each taking a
 * {@code KernelContext} and {@code FloatArray}/{@code IntArray} buffers, one per distinct
 * computation (nodes that compute the same thing on the same shapes share one), each with a
 * Javadoc saying what it computes, how its work-items split the work, and the spec lines it
 * comes from. Known dimensions are literals; symbolic ones are int parameters.
 *
 * <p>The kernels, by op kind:
 * <ul>
 *   <li>linear, fused_linear, matmul: a GEMM over 16×16 output tiles, x and w staged through
 *       local memory, the epilogue (bias, activation, residual) applied in the store;
 *   <li>attention, mha: one work-item per query row, a work-group of T queries sharing T-key
 *       tiles of k and v in local memory, softmax computed online (running max and sum), never
 *       storing the scores tensor; mha reads heads (and q/k/v column slices) in place;
 *   <li>softmax, layer_norm, rms_norm, add_layer_norm, add_rms_norm: one work-group per row,
 *       tree reductions in local memory (fixed order: the same input gives the same bits);
 *   <li>everything else (elementwise, broadcast, gather, masks, layout copies): one work-item
 *       per output element.
 * </ul>
 */
final class TornadoKernels {
  static final String API = "uk.ac.manchester.tornado.api";
  static final ClassName KERNEL_CONTEXT = ClassName.get(API, "KernelContext");
  static final ClassName FLOAT_ARRAY = ClassName.get(API + ".types.arrays", "FloatArray");
  static final ClassName INT_ARRAY = ClassName.get(API + ".types.arrays", "IntArray");
  static final ClassName TORNADO_MATH = ClassName.get(API + ".math", "TornadoMath");

  /** GEMM output tile edge (work-group 16×16). */
  static final int TILE = 16;
  /** Work-group size of the per-element kernels. */
  static final int MAP_GROUP = 256;
  /** Local memory one attention work-group may use, in floats (32 KiB). */
  static final int ATTENTION_LOCAL_FLOATS = 8192;
  /** TornadoVM tasks take at most 20 arguments. */
  static final int MAX_TASK_ARGS = 20;

  /** The global and local work sizes of a task: Java int expressions over the plan's symbols. */
  record Grid(List<String> global, List<Integer> local, String what) {}

  /**
   * A task: the kernel to run, the IR values whose buffers it takes (in order, output last),
   * the symbols it takes, its grid, and a one-line summary for the flow drawing.
   */
  record Call(String method, List<String> buffers, List<String> symbols, Grid grid, String summary, List<String> fused) {}

  private record Kernel(String name, MethodSpec.Builder method, List<String> sources) {}

  /** Thrown for an op (or a use of one) the tornadovm target has no kernel for. */
  static final class Unsupported extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient Node node;

    Unsupported(Node node, String why) {
      super(why);
      this.node = node;
    }
  }

  private final Map<String, Kernel> byKey = new LinkedHashMap<>();
  private final Map<String, Integer> nameCounts = new TreeMap<>();
  /** Every method name given out: a numbered name (linear6to1 + 2) can spell another base (linear6to12). */
  private final Set<String> usedNames = new java.util.HashSet<>();
  private final Map<String, Node> nodes;
  private final Function<Loc, String> sourceLine;
  /** Slices that mha reads in place (no task, no buffer of their own). */
  private final Set<String> sliceViews;
  /** Scalar helpers the kernels call (gelu, ...), emitted once each. */
  private final Set<String> helpers = new LinkedHashSet<>();

  TornadoKernels(Graph g, Function<Loc, String> sourceLine, Set<String> sliceViews) {
    this.nodes = g.byName();
    this.sourceLine = sourceLine;
    this.sliceViews = sliceViews;
  }

  /** The ops this target has kernels for; views (reshape, mha's slices) need none. */
  static final Set<Op> SUPPORTED = Collections.unmodifiableSet(new LinkedHashSet<>(List.of(Op.ADD, Op.SUB, Op.MUL, Op.DIV,
      Op.NEG, Op.RELU, Op.GELU, Op.GELU_TANH, Op.TANH, Op.SIGMOID, Op.EXP, Op.SQRT, Op.MATMUL, Op.LINEAR, Op.TRANSPOSE,
      Op.CONCAT, Op.SLICE, Op.SOFTMAX, Op.LAYER_NORM, Op.RMS_NORM, Op.EMBEDDING, Op.POSITIONS, Op.SINUSOIDAL,
      Op.PADDING_MASK, Op.CAUSAL_MASK, Op.ATTENTION, Op.MHA, Op.FUSED_LINEAR, Op.ADD_LAYER_NORM, Op.ADD_RMS_NORM,
      Op.ELEMENTWISE)));

  /** The kernels in the order they were first used, then the scalar helpers they call. */
  List<MethodSpec> methods() {
    List<MethodSpec> out = new ArrayList<>();
    for (Kernel k : byKey.values()) out.add(k.method().addJavadoc("$L", fromLines(k.sources())).build());
    for (String h : helpers) out.add(helper(h));
    return out;
  }

  private static String fromLines(List<String> sources) {
    if (sources.isEmpty()) return "";
    StringBuilder sb = new StringBuilder("\n<p>From the spec:\n<pre>\n");
    for (String s : sources) sb.append(s.replace("*/", "*&#47;")).append('\n');
    return sb.append("</pre>\n").toString();
  }

  // ---- operands -------------------------------------------------------------------------

  /** The storage behind {@code value}: reshapes are views of their operand. */
  String storage(String value) {
    Node n = nodes.get(value);
    while (n.op() == Op.RESHAPE) n = nodes.get(n.operands().get(0));
    return n.name();
  }

  private boolean isConstant(String value) {
    return nodes.get(value).op() == Op.CONSTANT;
  }

  /** Ops whose constant operands become literals in the kernel. */
  private static boolean takesLiterals(Op op) {
    return op.isBinaryElementwise() || op == Op.ELEMENTWISE;
  }

  // ---- shapes: symbols canonicalised so equal shapes share a kernel ----------------------

  private final class Shapes {
    final List<TensorType> in = new ArrayList<>();
    final TensorType out;
    private final SymbolicShapes shapes = new SymbolicShapes();
    final List<String> actualSymbols = shapes.symbols();
    final List<Double> constants = new ArrayList<>();
    final String key;

    Shapes(Node n) {
      StringBuilder sb = new StringBuilder();
      for (String o : n.operands()) {
        Node d = nodes.get(o);
        in.add(d.type());
        boolean literal = d.op() == Op.CONSTANT && takesLiterals(n.op());
        constants.add(literal ? d.floatAttr("value") : null);
        sb.append(shapes.canon(d.type())).append(literal ? "c" + d.floatAttr("value") : "");
        if (n.op() == Op.MHA && sliceViews.contains(o)) {
          sb.append("@slice").append(d.intAttr("start")).append('/').append(nodes.get(d.operands().get(0)).type().last());
        }
        sb.append(';');
      }
      out = n.type();
      sb.append("->").append(shapes.canon(out));
      key = sb.toString();
    }
  }

  /** The kernel for {@code n}, made on first use, and the task that calls it. */
  Call kernelFor(Node n) {
    if (!SUPPORTED.contains(n.op())) {
      throw new Unsupported(n, "target tornadovm has no kernel for op '" + n.op().irName() + "'");
    }
    Shapes s = new Shapes(n);
    String key = n.op().irName() + " " + n.attrs() + " " + s.key;
    Kernel k = byKey.get(key);
    if (k == null) {
      String name = uniqueName(baseName(n, s));
      MethodSpec.Builder m = MethodSpec.methodBuilder(name).addModifiers(Modifier.PUBLIC, Modifier.STATIC);
      body(n, s, m);
      m.addJavadoc("\n<p>Work-items: $L.\n", grid(n, s).what());
      k = new Kernel(name, m, new ArrayList<>());
      byKey.put(key, k);
    }
    String where = sourceLine.apply(n.loc());
    if (where != null && !k.sources().contains(where) && k.sources().size() < 4) k.sources().add(where);
    List<String> buffers = new ArrayList<>();
    for (String o : n.operands()) {
      if (isConstant(o) && takesLiterals(n.op())) continue;
      if (n.op() == Op.MHA && sliceViews.contains(o)) buffers.add(storage(nodes.get(o).operands().get(0)));
      else buffers.add(storage(o));
    }
    buffers.add(n.name());
    int args = 1 + buffers.size() + (s.actualSymbols.isEmpty() ? 0 : 1);
    if (args > MAX_TASK_ARGS) {
      throw new Unsupported(n, "op '" + n.op().irName() + "' needs " + args
          + " task arguments; TornadoVM tasks take at most " + MAX_TASK_ARGS);
    }
    return new Call(k.name(), buffers, s.actualSymbols, grid(n, s), summary(n, s), fusedNotes(n));
  }

  private String uniqueName(String base) {
    while (true) {
      int c = nameCounts.merge(base, 1, Integer::sum);
      String name = c == 1 ? base : base + c;
      if (usedNames.add(name)) return name;
    }
  }

  private String baseName(Node n, Shapes s) {
    return switch (n.op()) {
      case LINEAR -> "linear" + Names.dimText(s.in.get(1).dim(1)) + "to" + Names.dimText(s.in.get(1).dim(0))
          + (s.in.size() == 3 ? "Bias" : "");
      case FUSED_LINEAR -> "linear" + Names.dimText(s.in.get(1).dim(1)) + "to" + Names.dimText(s.in.get(1).dim(0))
          + epilogueName(Epilogue.parse(n.strAttr("epilogue")));
      case ADD, SUB, MUL, DIV -> {
        boolean constant = s.constants.stream().anyMatch(c -> c != null);
        boolean same = s.in.get(0).equals(s.out) && s.in.get(1).equals(s.out);
        yield n.op().irName() + (constant ? "Constant" : same ? "" : "Broadcast");
      }
      case LAYER_NORM -> "layerNorm" + Names.dimText(s.out.last());
      case RMS_NORM -> "rmsNorm" + Names.dimText(s.out.last());
      case ADD_LAYER_NORM -> "addLayerNorm" + Names.dimText(s.out.last());
      case ADD_RMS_NORM -> "addRmsNorm" + Names.dimText(s.out.last());
      case EMBEDDING -> "embedding" + Names.dimText(s.out.last());
      case MHA -> "mha" + n.intAttr("heads") + "x" + Names.dimText(headDim(s.in.get(0).last(), n.intAttr("heads")));
      default -> Names.camel(n.op().irName());
    };
  }

  private static String epilogueName(Epilogue e) {
    StringBuilder sb = new StringBuilder();
    if (e.bias()) sb.append("Bias");
    if (e.activation() != null) {
      String c = Names.camel(e.activation().irName());
      sb.append(Character.toUpperCase(c.charAt(0))).append(c.substring(1));
    }
    if (e.residual()) sb.append("Residual");
    return sb.toString();
  }

  private static Dim headDim(Dim packed, long heads) {
    return packed instanceof Dim.Known k ? Dim.of(k.size() / heads) : packed;
  }

  // ---- grids (in the plan's terms: the node's actual symbols) ----------------------------

  private Grid grid(Node n, Shapes s) {
    TensorType out = s.out;
    return switch (n.op()) {
      case LINEAR, FUSED_LINEAR -> {
        TensorType x = s.in.get(0);
        String rows = Names.size(x.shape().subList(0, x.rank() - 1));
        String cols = Names.dim(s.in.get(1).dim(0));
        int per = LINEAR_TILE / LINEAR_ROWS_PER_ITEM;
        String y = rows.matches("\\d+") ? Long.toString((Long.parseLong(rows) + LINEAR_TILE - 1) / LINEAR_TILE * per)
            : "roundUp(" + rows + ", " + LINEAR_TILE + ") / " + LINEAR_ROWS_PER_ITEM;
        yield new Grid(List.of(roundUp(cols, LINEAR_TILE), y), List.of(LINEAR_TILE, per),
            "2D: a 32×32 output tile per work-group of 32×4, 8 rows per work-item");
      }
      case MATMUL -> {
        int r = out.rank();
        String m = Names.dim(out.dim(r - 2)), nn = Names.dim(out.dim(r - 1));
        if (r == 2) {
          yield new Grid(List.of(roundUp(nn, TILE), roundUp(m, TILE)), List.of(TILE, TILE),
              "2D: one work-item per output element, 16×16 per work-group");
        }
        yield new Grid(List.of(roundUp(nn, TILE), roundUp(m, TILE), Names.size(out.shape().subList(0, r - 2))),
            List.of(TILE, TILE, 1), "3D: one work-item per output element, 16×16 per work-group, z = matrix");
      }
      case ATTENTION, MHA -> {
        AttentionPlan a = attentionPlan(n, s);
        yield new Grid(List.of(roundUp(a.sq, a.tile), a.mats), List.of(a.tile, 1),
            "2D: x = query row (" + a.tile + " per work-group), y = (batch, head) matrix");
      }
      case SOFTMAX -> {
        int ax = ShapeRules.axis(Op.SOFTMAX, s.in.get(0), n.intAttr("axis"));
        TensorType x = s.in.get(0);
        String rows = Names.times(Names.size(x.shape().subList(0, ax)), Names.size(x.shape().subList(ax + 1, x.rank())));
        int wg = reductionGroup(x.dim(ax));
        yield new Grid(List.of(Names.times(rows, Integer.toString(wg))), List.of(wg), "1D: one work-group of " + wg + " per row");
      }
      case LAYER_NORM, RMS_NORM, ADD_LAYER_NORM, ADD_RMS_NORM -> {
        String rows = Names.size(out.shape().subList(0, out.rank() - 1));
        int wg = reductionGroup(out.last());
        yield new Grid(List.of(Names.times(rows, Integer.toString(wg))), List.of(wg), "1D: one work-group of " + wg + " per row");
      }
      default -> new Grid(List.of(roundUp(Names.size(out.shape()), MAP_GROUP)), List.of(MAP_GROUP),
          "1D: one work-item per output element");
    };
  }

  private static String roundUp(String n, int multiple) {
    if (n.matches("\\d+")) {
      long v = Long.parseLong(n);
      return Long.toString((v + multiple - 1) / multiple * multiple);
    }
    return "roundUp(" + n + ", " + multiple + ")";
  }

  /** Work-group size for a row reduction of length {@code len}: a power of two, 32 to 256. */
  static int reductionGroup(Dim len) {
    if (!(len instanceof Dim.Known k)) return 128;
    int wg = 32;
    while (wg < 256 && wg * 2 <= k.size()) wg *= 2;
    return wg;
  }

  // ---- flow text ---------------------------------------------------------------------------

  private String summary(Node n, Shapes s) {
    return switch (n.op()) {
      case LINEAR -> "linear " + s.in.get(1).dim(1) + "→" + s.in.get(1).dim(0) + (s.in.size() == 3 ? " +bias" : "");
      case FUSED_LINEAR -> "linear " + s.in.get(1).dim(1) + "→" + s.in.get(1).dim(0) + " +" + n.strAttr("epilogue").replace(",", " +");
      case MHA -> "mha " + n.intAttr("heads") + " heads × " + headDim(s.in.get(0).last(), n.intAttr("heads"))
          + (s.in.size() == 4 ? ", masked" : "") + ", online softmax";
      case ATTENTION -> "attention d=" + s.in.get(0).last() + (s.in.size() == 4 ? ", masked" : "") + ", online softmax";
      case ELEMENTWISE -> "elementwise " + n.strAttr("expr");
      default -> n.op().irName() + (n.attrs().isEmpty() ? "" : " " + KernelDoc.attrText(n));
    };
  }

  private List<String> fusedNotes(Node n) {
    List<String> notes = new ArrayList<>();
    switch (n.op()) {
      case FUSED_LINEAR -> notes.add("linear + " + n.strAttr("epilogue").replace(",", " + ") + ": the epilogue runs in the GEMM's store");
      case ATTENTION -> notes.add("transpose · matmul · scale · mask · softmax · matmul: one online-softmax kernel, no scores tensor");
      case MHA -> {
        notes.add("split_heads · attention · merge_heads: heads read and written in place, no transposes, no scores tensor");
        Map<String, List<String>> sliced = new LinkedHashMap<>();
        for (int i = 0; i < 3; i++) {
          String o = n.operands().get(i);
          if (!sliceViews.contains(o)) continue;
          sliced.computeIfAbsent(storage(nodes.get(o).operands().get(0)), k -> new ArrayList<>()).add("%" + o);
        }
        sliced.forEach((src, views) -> notes.add(String.join(", ", views) + " read as column slices of %" + src
            + (views.size() == 3 ? " (one QKV GEMM, no copies)" : " (no copies)")));
      }
      case ADD_LAYER_NORM, ADD_RMS_NORM -> notes.add("residual add + " + n.op().irName().substring(4) + " in one work-group pass");
      case ELEMENTWISE -> notes.add(ElementwiseExpr.parse(n.strAttr("expr")).opCount() + " elementwise ops in one pass: "
          + n.strAttr("expr"));
      default -> { }
    }
    return notes;
  }

  // ---- code ----------------------------------------------------------------------------------

  private static TypeName arrayType(DType t) {
    return t == DType.F32 ? FLOAT_ARRAY : INT_ARRAY;
  }

  private void body(Node n, Shapes s, MethodSpec.Builder m) {
    m.addParameter(KERNEL_CONTEXT, "context");
    List<String> roles = roles(n);
    List<String> names = new ArrayList<>();
    for (int i = 0; i < n.operands().size(); i++) {
      Node d = nodes.get(n.operands().get(i));
      if (s.constants.get(i) != null) {
        names.add(Names.floatLiteral(s.constants.get(i)));
        continue;
      }
      String role = roles.get(i);
      m.addParameter(arrayType(d.type().dtype()), role);
      names.add(role);
    }
    m.addParameter(arrayType(n.type().dtype()), "out");
    CodeBlock.Builder c = CodeBlock.builder();
    if (!s.actualSymbols.isEmpty()) {
      // Sizes bound at run time come in a small IntArray, not as int arguments: TornadoVM would
      // specialise the kernel on int arguments' values, and constant-folding loops around barriers
      // is where its OpenCL backend breaks.
      m.addParameter(INT_ARRAY, "dims");
      for (int i = 0; i < s.actualSymbols.size(); i++) c.addStatement("int $L = dims.get($L)", Names.symVar(s.actualSymbols.get(i)), i);
    }
    m.addJavadoc("$L", KernelDoc.describe(n, s.out, s.in, s.constants));
    switch (n.op()) {
      case LINEAR, FUSED_LINEAR -> linear(n, s, c);
      case MATMUL -> matmul(s, c);
      case ATTENTION, MHA -> attention(n, s, c);
      case SOFTMAX -> softmax(n, s, c);
      case LAYER_NORM, RMS_NORM, ADD_LAYER_NORM, ADD_RMS_NORM -> norm(n, s, c);
      case ADD, SUB, MUL, DIV, NEG, RELU, GELU, GELU_TANH, TANH, SIGMOID, EXP, SQRT, ELEMENTWISE -> elementwise(n, s, names, c);
      case EMBEDDING -> {
        TensorType table = s.in.get(1);
        String dim = Names.dim(table.dim(1));
        mapPrologue(c, s.out);
        c.addStatement("int row = i / $L", dim);
        c.addStatement("int id = ids.get(row)");
        c.beginControlFlow("if (id >= 0 && id < $L)", Names.dim(table.dim(0)));
        c.addStatement("out.set(i, table.get(id * $L + i % $L))", dim, dim);
        c.nextControlFlow("else");
        c.add("// never reached: forward() checks every id on the host first\n");
        c.addStatement("out.set(i, 0f)");
        c.endControlFlow();
        c.endControlFlow();
      }
      case POSITIONS -> {
        mapPrologue(c, s.out);
        c.addStatement("out.set(i, i)");
        c.endControlFlow();
      }
      case SINUSOIDAL -> {
        String dim = Names.dim(s.out.dim(1));
        mapPrologue(c, s.out);
        c.addStatement("int row = i / $L", dim);
        c.addStatement("int col = i % $L", dim);
        c.add("// in double, as the jvm kernels compute it: pe[p, 2j] = sin(p / 10000^(2j/dim)), pe[p, 2j+1] = cos(...)\n");
        c.addStatement("double angle = row / $T.pow(10000.0, (double) (col - col % 2) / $L)", TORNADO_MATH, dim);
        c.addStatement("out.set(i, (float) (col % 2 == 0 ? $T.sin(angle) : $T.cos(angle)))", TORNADO_MATH, TORNADO_MATH);
        c.endControlFlow();
      }
      case PADDING_MASK -> {
        mapPrologue(c, s.out);
        c.addStatement("out.set(i, mask.get(i) != 0 ? 0f : $L)", Names.floatLiteral(Op.MASKED));
        c.endControlFlow();
      }
      case CAUSAL_MASK -> {
        String nn = Names.dim(s.out.dim(0));
        mapPrologue(c, s.out);
        c.add("// row = query, column = key\n");
        c.addStatement("out.set(i, i % $L <= i / $L ? 0f : $L)", nn, nn, Names.floatLiteral(Op.MASKED));
        c.endControlFlow();
      }
      case TRANSPOSE -> transpose(n, s, c);
      case CONCAT -> concat(n, s, c);
      case SLICE -> slice(n, s, c);
      default -> throw new Unsupported(n, "target tornadovm has no kernel for op '" + n.op().irName() + "'");
    }
    m.addCode(c.build());
  }

  private List<String> roles(Node n) {
    List<String> r = switch (n.op()) {
      case ADD, SUB, MUL, DIV, MATMUL -> List.of("a", "b");
      case LINEAR -> List.of("x", "w", "bias");
      case FUSED_LINEAR -> {
        Epilogue e = Epilogue.parse(n.strAttr("epilogue"));
        List<String> l = new ArrayList<>(List.of("x", "w"));
        if (e.bias()) l.add("bias");
        if (e.residual()) l.add("res");
        yield l;
      }
      case ATTENTION, MHA -> List.of("q", "k", "v", "mask");
      case LAYER_NORM -> List.of("x", "gamma", "beta");
      case RMS_NORM -> List.of("x", "gamma");
      case ADD_LAYER_NORM -> List.of("a", "b", "gamma", "beta");
      case ADD_RMS_NORM -> List.of("a", "b", "gamma");
      case EMBEDDING -> List.of("ids", "table");
      case PADDING_MASK -> List.of("mask");
      case CONCAT, ELEMENTWISE -> {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < n.operands().size(); i++) l.add((n.op() == Op.CONCAT ? "in" : "x") + i);
        yield l;
      }
      default -> List.of("x");
    };
    if (r.size() < n.operands().size()) throw new IllegalStateException(n.op() + " with " + n.operands().size() + " operands");
    return r;
  }

  /** {@code int i = context.globalIdx; if (i < n) {} — the caller closes the block. */
  private static void mapPrologue(CodeBlock.Builder c, TensorType out) {
    c.addStatement("int i = context.globalIdx");
    c.beginControlFlow("if (i < $L)", Names.size(out.shape()));
  }

  /** Declares i0 … i(r-1), the multi-index of flat index {@code i} in {@code shape}, last fastest. */
  private static void unravel(CodeBlock.Builder c, List<Dim> shape, String flat, String prefix) {
    int r = shape.size();
    if (r == 0) return;
    if (r == 1) {
      c.addStatement("int $L0 = $L", prefix, flat);
      return;
    }
    c.addStatement("int rest = $L", flat);
    for (int ax = r - 1; ax >= 1; ax--) {
      c.addStatement("int $L$L = rest % $L", prefix, ax, Names.dim(shape.get(ax)));
      if (ax > 1) c.addStatement("rest = rest / $L", Names.dim(shape.get(ax)));
    }
    c.addStatement("int $L0 = rest / $L", prefix, Names.dim(shape.get(1)));
  }

  /** The flat index into {@code in} for indices prefix0… over {@code out}, broadcasting numpy-style. */
  private static String broadcastIndex(TensorType in, List<Dim> out, String prefix) {
    int r = out.size(), off = r - in.rank();
    List<String> terms = new ArrayList<>();
    for (int d = 0; d < in.rank(); d++) {
      if (in.dim(d).isOne() && !out.get(d + off).isOne()) continue;
      String stride = Names.size(in.shape().subList(d + 1, in.rank()));
      terms.add(Names.times(prefix + (d + off), stride));
    }
    return terms.isEmpty() ? "0" : String.join(" + ", terms);
  }

  // ---- elementwise ------------------------------------------------------------------------

  private void elementwise(Node n, Shapes s, List<String> names, CodeBlock.Builder c) {
    TensorType out = s.out;
    boolean broadcast = false;
    for (int i = 0; i < s.in.size(); i++) {
      if (s.constants.get(i) == null && !s.in.get(i).shape().equals(out.shape())) broadcast = true;
    }
    mapPrologue(c, out);
    if (broadcast) unravel(c, out.shape(), "i", "i");
    List<String> reads = new ArrayList<>();
    for (int i = 0; i < s.in.size(); i++) {
      if (s.constants.get(i) != null) reads.add(names.get(i));
      else if (s.in.get(i).shape().equals(out.shape())) reads.add(names.get(i) + ".get(i)");
      else reads.add(names.get(i) + ".get(" + broadcastIndex(s.in.get(i), out.shape(), "i") + ")");
    }
    String expr;
    if (n.op() == Op.ELEMENTWISE) {
      expr = ElementwiseExpr.parse(n.strAttr("expr")).render(reads::get, Names::floatLiteral, this::unary,
          (op, a, b) -> "(" + a + " " + ElementwiseExpr.symbol(op) + " " + b + ")");
      if (expr.startsWith("(") && expr.endsWith(")") && balanced(expr.substring(1, expr.length() - 1))) {
        expr = expr.substring(1, expr.length() - 1);
      }
    } else if (n.op().isBinaryElementwise()) {
      expr = reads.get(0) + " " + ElementwiseExpr.symbol(n.op()) + " " + reads.get(1);
    } else {
      expr = unary(n.op(), reads.get(0));
    }
    c.addStatement("out.set(i, $L)", math(expr));
    c.endControlFlow();
  }

  private static boolean balanced(String e) {
    int depth = 0;
    for (char ch : e.toCharArray()) {
      if (ch == '(') depth++;
      if (ch == ')' && --depth < 0) return false;
    }
    return depth == 0;
  }

  /** A unary op applied to Java float expression {@code x}. */
  private String unary(Op op, String x) {
    String tm = TORNADO_MATH.simpleName();
    return switch (op) {
      case NEG -> "-" + Names.paren(x);
      case RELU -> tm + ".max(" + x + ", 0f)";
      case TANH -> tm + ".tanh(" + x + ")";
      case EXP -> tm + ".exp(" + x + ")";
      case SQRT -> tm + ".sqrt(" + x + ")";
      case GELU -> helper("gelu", x);
      case GELU_TANH -> helper("geluTanh", x);
      case SIGMOID -> helper("sigmoid", x);
      default -> throw new IllegalArgumentException(op.irName() + " is not a unary elementwise op");
    };
  }

  private String helper(String name, String x) {
    if (name.equals("gelu")) helpers.add("erf");
    helpers.add(name);
    return name + "(" + x + ")";
  }

  /** {@code expr} as code, its {@code TornadoMath} references typed (so the class imports it). */
  private static CodeBlock math(String expr) {
    String[] parts = expr.split(TORNADO_MATH.simpleName(), -1);
    CodeBlock.Builder b = CodeBlock.builder().add("$L", parts[0]);
    for (int i = 1; i < parts.length; i++) b.add("$T$L", TORNADO_MATH, parts[i]);
    return b.build();
  }

  private static MethodSpec helper(String name) {
    MethodSpec.Builder m = MethodSpec.methodBuilder(name).addModifiers(Modifier.PRIVATE, Modifier.STATIC)
        .returns(TypeName.FLOAT).addParameter(TypeName.FLOAT, "x");
    switch (name) {
      case "erf" -> m.addJavadoc("erf(x) in f32 (Abramowitz and Stegun 7.1.26, |error| ≤ 1.5e-7): OpenCL C has erf, TornadoMath does not.\n")
          .addStatement("float a = $T.abs(x)", TORNADO_MATH)
          .addStatement("float t = 1f / (1f + 0.3275911f * a)")
          .addStatement("float y = 1f - (((((1.0614054f * t - 1.4531521f) * t + 1.4214138f) * t - 0.28449672f) * t + 0.2548296f) * t)"
              + " * $T.exp(-a * a)", TORNADO_MATH)
          .addStatement("return x < 0f ? -y : y");
      case "gelu" -> m.addJavadoc("The exact GELU, x·Φ(x) = 0.5·x·(1 + erf(x/√2)).\n")
          .addStatement("return 0.5f * x * (1f + erf(x * 0.70710677f))");
      case "geluTanh" -> m.addJavadoc("GELU's tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).\n")
          .addStatement("return 0.5f * x * (1f + $T.tanh(0.7978846f * (x + 0.044715f * x * x * x)))", TORNADO_MATH);
      case "sigmoid" -> m.addJavadoc("1 / (1 + e^-x).\n").addStatement("return 1f / (1f + $T.exp(-x))", TORNADO_MATH);
      default -> throw new IllegalArgumentException(name);
    }
    return m.build();
  }

  // ---- GEMMs --------------------------------------------------------------------------------

  /** Output tile of the linear kernel: 32 columns × 32 rows per work-group of 32 × 4 work-items. */
  static final int LINEAR_TILE = 32;
  /** Rows each work-item of the linear kernel computes (32 rows / 4 work-items). */
  static final int LINEAR_ROWS_PER_ITEM = 8;

  /**
   * linear and fused_linear: out[rows, n] = epilogue(x[rows, k] · w[n, k]ᵀ). A work-group
   * computes a 32×32 tile of out; each work-item one column of it, 8 rows apart by 4, in
   * registers; x and w tiles of 32 along k are staged through local memory (w's padded against
   * bank conflicts). The epilogue is applied in the store.
   */
  private void linear(Node n, Shapes s, CodeBlock.Builder c) {
    TensorType x = s.in.get(0), w = s.in.get(1);
    Epilogue e = n.op() == Op.LINEAR ? (s.in.size() == 3 ? new Epilogue(true, null, false) : null)
        : Epilogue.parse(n.strAttr("epilogue"));
    if (e != null && e.norm() != null) {
      throw new IllegalStateException("tornadovm: %" + n.name() + " still has a row norm in its epilogue; "
          + "TornadoEmitter.splitRowNorms gives it a task of its own first");
    }
    int t = LINEAR_TILE, wpt = LINEAR_ROWS_PER_ITEM, step = t / wpt;
    String rows = Names.size(x.shape().subList(0, x.rank() - 1));
    String kDim = Names.dim(w.dim(1)), nDim = Names.dim(w.dim(0));
    boolean rowsExact = divisible(rows, t), kExact = divisible(kDim, t), nExact = divisible(nDim, t);
    c.addStatement("int rows = $L", rows);
    c.addStatement("int tx = context.localIdx");
    c.addStatement("int ty = context.localIdy");
    c.addStatement("int col = context.groupIdx * $L + tx", t);
    c.addStatement("int row0 = context.groupIdy * $L", t);
    c.add("// Tiles along k: x[row0 + r, k0 + j] at xTile[r * $L + j], w[col0 + q, k0 + j] at wTile[q * $L + j].\n", t, t + 1);
    c.addStatement("float[] xTile = context.allocateFloatLocalArray($L)", t * t);
    c.addStatement("float[] wTile = context.allocateFloatLocalArray($L)", t * (t + 1));
    for (int r = 0; r < wpt; r++) c.addStatement("float acc$L = 0f", r);
    boolean oneTile = kDim.matches("\\d+") && Long.parseLong(kDim) <= t;
    if (oneTile) {
      // One tile covers k: no loop (TornadoVM cannot compile a loop whose exit test folds to a constant).
      c.beginControlFlow("");
      c.addStatement("int kx = tx");
    } else {
      c.beginControlFlow("for (int k0 = 0; k0 < $L; k0 += $L)", kDim, t);
      c.addStatement("int kx = k0 + tx");
    }
    for (int r = 0; r < wpt; r++) {
      String local = r == 0 ? "ty" : "ty + " + r * step;
      c.addStatement("int xr$L = row0 + $L", r, local);
      guardedLoad(c, cond(rowsExact ? null : "xr" + r + " < rows", kExact ? null : "kx < " + kDim),
          "xTile[" + Names.times(local, Integer.toString(t)) + " + tx]", "x.get(" + Names.plus(Names.times("xr" + r, kDim), "kx") + ")");
      c.addStatement("int wr$L = context.groupIdx * $L + $L", r, t, local);
      guardedLoad(c, cond(nExact ? null : "wr" + r + " < " + nDim, kExact ? null : "kx < " + kDim),
          "wTile[" + Names.times(local, Integer.toString(t + 1)) + " + tx]", "w.get(" + Names.plus(Names.times("wr" + r, kDim), "kx") + ")");
    }
    c.addStatement("context.localBarrier()");
    c.beginControlFlow("for (int kk = 0; kk < $L; kk++)", t);
    c.addStatement("float wk = wTile[tx * $L + kk]", t + 1);
    for (int r = 0; r < wpt; r++) {
      String local = r == 0 ? "ty" : "(ty + " + r * step + ")";
      c.addStatement("acc$L += xTile[$L * $L + kk] * wk", r, local, t);
    }
    c.endControlFlow();
    c.addStatement("context.localBarrier()");
    c.endControlFlow();
    for (int r = 0; r < wpt; r++) {
      String row = "row0 + " + (r == 0 ? "ty" : "ty + " + r * step);
      String store = cond(rowsExact ? null : row + " < rows", nExact ? null : "col < " + nDim);
      if (store != null) c.beginControlFlow("if ($L)", store);
      String index = Names.plus(Names.times(row, nDim), "col");
      c.addStatement("float value$L = $L", r, e != null && e.bias() ? "acc" + r + " + bias.get(col)" : "acc" + r);
      if (e != null && e.activation() != null) c.addStatement("value$L = $L", r, math(unary(e.activation(), "value" + r)));
      if (e != null && e.residual()) c.addStatement("value$L = value$L + res.get($L)", r, r, index);
      c.addStatement("out.set($L, value$L)", index, r);
      if (store != null) c.endControlFlow();
    }
  }

  /** Batched matmul: out[..., m, n] = a[..., m, k] · b[..., k, n], batch dimensions broadcasting. */
  private void matmul(Shapes s, CodeBlock.Builder c) {
    TensorType a = s.in.get(0), b = s.in.get(1), out = s.out;
    int r = out.rank();
    String m = Names.dim(a.dim(a.rank() - 2)), k = Names.dim(a.last()), nn = Names.dim(b.last());
    boolean mExact = divisible(m, TILE), kExact = divisible(k, TILE), nExact = divisible(nn, TILE);
    c.addStatement("int col = context.globalIdx");
    c.addStatement("int row = context.globalIdy");
    c.addStatement("int tx = context.localIdx");
    c.addStatement("int ty = context.localIdy");
    String aOff = "0", bOff = "0", outOff = "0";
    if (r > 2) {
      List<Dim> batch = out.shape().subList(0, r - 2);
      c.addStatement("int mat = context.globalIdz");
      unravel(c, batch, "mat", "i");
      aOff = Names.times(broadcastIndex(a.withShape(a.shape().subList(0, a.rank() - 2)), batch, "i"), Names.times(m, k));
      bOff = Names.times(broadcastIndex(b.withShape(b.shape().subList(0, b.rank() - 2)), batch, "i"), Names.times(k, nn));
      outOff = Names.times("mat", Names.times(m, nn));
      c.addStatement("int aOff = $L", aOff);
      c.addStatement("int bOff = $L", bOff);
      aOff = "aOff";
      bOff = "bOff";
    }
    c.addStatement("float[] aTile = context.allocateFloatLocalArray($L)", TILE * TILE);
    c.addStatement("float[] bTile = context.allocateFloatLocalArray($L)", TILE * TILE);
    c.addStatement("float sum = 0f");
    if (k.matches("\\d+") && Long.parseLong(k) <= TILE) {
      // One tile covers k: no loop (TornadoVM cannot compile a loop whose exit test folds to a constant).
      c.beginControlFlow("");
      c.addStatement("int ka = tx");
      c.addStatement("int kb = ty");
    } else {
      c.beginControlFlow("for (int k0 = 0; k0 < $L; k0 += $L)", k, TILE);
      c.addStatement("int ka = k0 + tx");
      c.addStatement("int kb = k0 + ty");
    }
    guardedLoad(c, cond(mExact ? null : "row < " + m, kExact ? null : "ka < " + k), "aTile[ty * " + TILE + " + tx]",
        "a.get(" + Names.plus(aOff, Names.plus(Names.times("row", k), "ka")) + ")");
    guardedLoad(c, cond(kExact ? null : "kb < " + k, nExact ? null : "col < " + nn), "bTile[ty * " + TILE + " + tx]",
        "b.get(" + Names.plus(bOff, Names.plus(Names.times("kb", nn), "col")) + ")");
    c.addStatement("context.localBarrier()");
    c.beginControlFlow("for (int kk = 0; kk < $L; kk++)", TILE);
    c.addStatement("sum += aTile[ty * $L + kk] * bTile[kk * $L + tx]", TILE, TILE);
    c.endControlFlow();
    c.addStatement("context.localBarrier()");
    c.endControlFlow();
    String store = cond(mExact ? null : "row < " + m, nExact ? null : "col < " + nn);
    if (store != null) c.beginControlFlow("if ($L)", store);
    c.addStatement("out.set($L, sum)", Names.plus(outOff, Names.plus(Names.times("row", nn), "col")));
    if (store != null) c.endControlFlow();
  }

  private static boolean divisible(String sizeExpr, int by) {
    return sizeExpr.matches("\\d+") && Long.parseLong(sizeExpr) % by == 0;
  }

  private static String cond(String a, String b) {
    if (a == null) return b;
    if (b == null) return a;
    return a + " && " + b;
  }

  private static void guardedLoad(CodeBlock.Builder c, String cond, String target, String load) {
    if (cond == null) {
      c.addStatement("$L = $L", target, load);
      return;
    }
    c.beginControlFlow("if ($L)", cond);
    c.addStatement("$L = $L", target, load);
    c.nextControlFlow("else");
    c.addStatement("$L = 0f", target);
    c.endControlFlow();
  }

  // ---- attention ------------------------------------------------------------------------------

  /** Where one attention kernel reads and writes: sizes, per-matrix offsets and row strides. */
  private record AttentionPlan(String sq, String sk, long d, long dv, String mats, List<Dim> batch, String qOff, String qStride,
      String kOff, String kStride, String vOff, String vStride, String outOff, String outStride, String maskOff,
      String maskRowStride, String maskColStride, int tile) {}

  private AttentionPlan attentionPlan(Node n, Shapes s) {
    TensorType q = s.in.get(0), k = s.in.get(1), v = s.in.get(2), out = s.out;
    TensorType mask = s.in.size() == 4 ? s.in.get(3) : null;
    boolean mha = n.op() == Op.MHA;
    List<Dim> batch;
    String sq, sk, qOff, kOff, vOff, outOff, qStride, kStride, vStride, outStride;
    long d, dv;
    if (mha) {
      long heads = n.intAttr("heads");
      if (!(q.last() instanceof Dim.Known) || !(v.last() instanceof Dim.Known)) {
        throw new Unsupported(n, "mha: the packed head dimension must be known at compile time");
      }
      d = q.last().size() / heads;
      dv = v.last().size() / heads;
      sq = Names.dim(q.dim(1));
      sk = Names.dim(k.dim(1));
      batch = List.of(q.dim(0), Dim.of(heads));
      long[] starts = new long[3];
      long[] strides = {q.last().size(), k.last().size(), v.last().size()};
      for (int i = 0; i < 3; i++) {
        String o = n.operands().get(i);
        if (sliceViews.contains(o)) {
          Node slice = nodes.get(o);
          starts[i] = slice.intAttr("start");
          strides[i] = nodes.get(slice.operands().get(0)).type().last().size();
        }
      }
      qStride = Long.toString(strides[0]);
      kStride = Long.toString(strides[1]);
      vStride = Long.toString(strides[2]);
      qOff = Names.plus(Names.plus(Names.times("i0", Names.times(sq, qStride)), Names.times("i1", Long.toString(d))),
          Long.toString(starts[0]));
      kOff = Names.plus(Names.plus(Names.times("i0", Names.times(sk, kStride)), Names.times("i1", Long.toString(d))),
          Long.toString(starts[1]));
      vOff = Names.plus(Names.plus(Names.times("i0", Names.times(sk, vStride)), Names.times("i1", Long.toString(dv))),
          Long.toString(starts[2]));
      outStride = Long.toString(heads * dv);
      outOff = Names.plus(Names.times("i0", Names.times(sq, outStride)), Names.times("i1", Long.toString(dv)));
    } else {
      int r = out.rank();
      if (!(q.last() instanceof Dim.Known) || !(v.last() instanceof Dim.Known)) {
        throw new Unsupported(n, "attention: the head dimensions must be known at compile time");
      }
      d = q.last().size();
      dv = v.last().size();
      sq = Names.dim(q.dim(q.rank() - 2));
      sk = Names.dim(k.dim(k.rank() - 2));
      batch = out.shape().subList(0, r - 2);
      qStride = Long.toString(d);
      kStride = Long.toString(d);
      vStride = Long.toString(dv);
      outStride = Long.toString(dv);
      qOff = Names.times(broadcastIndex(q.withShape(q.shape().subList(0, q.rank() - 2)), batch, "i"), Names.times(sq, qStride));
      kOff = Names.times(broadcastIndex(k.withShape(k.shape().subList(0, k.rank() - 2)), batch, "i"), Names.times(sk, kStride));
      vOff = Names.times(broadcastIndex(v.withShape(v.shape().subList(0, v.rank() - 2)), batch, "i"), Names.times(sk, vStride));
      outOff = Names.times("mat", Names.times(sq, outStride));
    }
    String maskOff = "0", rowStride = "0", colStride = "0";
    if (mask != null) {
      // The mask, padded with leading 1s to the scores' rank, broadcasts over [..., sq, sk].
      int scoresRank = batch.size() + 2;
      List<Dim> full = new ArrayList<>(Collections.nCopies(Math.max(0, scoresRank - mask.rank()), Dim.of(1)));
      full.addAll(mask.shape());
      Dim rows = full.get(full.size() - 2), cols = full.get(full.size() - 1);
      rowStride = rows.isOne() ? "0" : Names.dim(cols);
      colStride = cols.isOne() ? "0" : "1";
      String index = broadcastIndex(mask.withShape(full.subList(0, full.size() - 2)), batch, "i");
      maskOff = Names.times(index, Names.size(List.of(rows, cols)));
    }
    int tile = 0;
    for (int t : new int[] {32, 16, 8}) {
      long floats = t * d + 2L * t * dv + (long) t * t;
      if (floats <= ATTENTION_LOCAL_FLOATS) {
        tile = t;
        break;
      }
    }
    if (tile == 0) {
      throw new Unsupported(n, n.op().irName() + ": head size " + d + "/" + dv + " needs more local memory than the "
          + "tornadovm attention kernel uses (" + ATTENTION_LOCAL_FLOATS * 4 / 1024 + " KiB)");
    }
    return new AttentionPlan(sq, sk, d, dv, Names.size(batch), batch, qOff, qStride, kOff, kStride, vOff, vStride, outOff,
        outStride, maskOff, rowStride, colStride, tile);
  }

  private void attention(Node n, Shapes s, CodeBlock.Builder c) {
    AttentionPlan a = attentionPlan(n, s);
    boolean masked = s.in.size() == 4;
    int t = a.tile;
    String d = Long.toString(a.d), dv = Long.toString(a.dv);
    c.addStatement("int lid = context.localIdx");
    c.addStatement("int row = context.globalIdx");
    c.addStatement("int mat = context.globalIdy");
    if (!a.batch.isEmpty()) {
      c.add("// The batch indices of matrix mat$L.\n", n.op() == Op.MHA ? " (i0 = batch, i1 = head)" : "");
      unravel(c, a.batch, "mat", "i");
    }
    c.addStatement("int qOff = $L", a.qOff);
    c.addStatement("int kOff = $L", a.kOff);
    c.addStatement("int vOff = $L", a.vOff);
    c.addStatement("int outOff = $L", a.outOff);
    if (masked) c.addStatement("int maskOff = $L", a.maskOff);
    c.addStatement("float scale = $L", Names.floatLiteral(n.floatAttr("scale")));
    c.add("// Local memory: $L keys and values shared by the work-group; per work-item its scores for\n", t);
    c.add("// the tile and its output row (acc), rescaled whenever the running maximum grows.\n");
    c.addStatement("float[] kTile = context.allocateFloatLocalArray($L)", t * a.d);
    c.addStatement("float[] vTile = context.allocateFloatLocalArray($L)", t * a.dv);
    c.addStatement("float[] scores = context.allocateFloatLocalArray($L)", t * t);
    c.addStatement("float[] acc = context.allocateFloatLocalArray($L)", t * a.dv);
    c.beginControlFlow("for (int e = 0; e < $L; e++)", dv);
    c.addStatement("acc[lid * $L + e] = 0f", dv);
    c.endControlFlow();
    c.addStatement("float m = -3.4028235E38f");
    c.addStatement("float l = 0f");
    c.beginControlFlow("for (int k0 = 0; k0 < $L; k0 += $L)", a.sk, t);
    c.beginControlFlow("for (int e = lid; e < $L; e += $L)", t * a.d, t);
    c.addStatement("int key = k0 + e / $L", d);
    guardedLoad(c, "key < " + a.sk, "kTile[e]", "k.get(kOff + " + Names.times("key", a.kStride) + " + e % " + d + ")");
    c.endControlFlow();
    c.beginControlFlow("for (int e = lid; e < $L; e += $L)", t * a.dv, t);
    c.addStatement("int key = k0 + e / $L", dv);
    guardedLoad(c, "key < " + a.sk, "vTile[e]", "v.get(vOff + " + Names.times("key", a.vStride) + " + e % " + dv + ")");
    c.endControlFlow();
    c.addStatement("context.localBarrier()");
    c.beginControlFlow("if (row < $L)", a.sq);
    c.addStatement("int n = $T.min($L, $L - k0)", TORNADO_MATH, t, a.sk);
    c.addStatement("float tileMax = -3.4028235E38f");
    c.beginControlFlow("for (int j = 0; j < n; j++)");
    c.addStatement("float s = 0f");
    c.beginControlFlow("for (int e = 0; e < $L; e++)", d);
    c.addStatement("s += q.get(qOff + $L + e) * kTile[j * $L + e]", Names.times("row", a.qStride), d);
    c.endControlFlow();
    if (masked) {
      String mIdx = Names.plus(Names.plus("maskOff", Names.times("row", a.maskRowStride)), Names.times("(k0 + j)", a.maskColStride));
      c.addStatement("s = s * scale + mask.get($L)", mIdx);
    } else {
      c.addStatement("s = s * scale");
    }
    c.addStatement("scores[lid * $L + j] = s", t);
    c.addStatement("tileMax = $T.max(tileMax, s)", TORNADO_MATH);
    c.endControlFlow();
    c.addStatement("float mNew = $T.max(m, tileMax)", TORNADO_MATH);
    c.addStatement("float corr = $T.exp(m - mNew)", TORNADO_MATH);
    c.addStatement("l = l * corr");
    c.beginControlFlow("for (int e = 0; e < $L; e++)", dv);
    c.addStatement("acc[lid * $L + e] = acc[lid * $L + e] * corr", dv, dv);
    c.endControlFlow();
    c.beginControlFlow("for (int j = 0; j < n; j++)");
    c.addStatement("float p = $T.exp(scores[lid * $L + j] - mNew)", TORNADO_MATH, t);
    c.addStatement("l = l + p");
    c.beginControlFlow("for (int e = 0; e < $L; e++)", dv);
    c.addStatement("acc[lid * $L + e] = acc[lid * $L + e] + p * vTile[j * $L + e]", dv, dv, dv);
    c.endControlFlow();
    c.endControlFlow();
    c.addStatement("m = mNew");
    c.endControlFlow();
    c.addStatement("context.localBarrier()");
    c.endControlFlow();
    c.beginControlFlow("if (row < $L)", a.sq);
    c.addStatement("float inv = 1f / l");
    c.beginControlFlow("for (int e = 0; e < $L; e++)", dv);
    c.addStatement("out.set(outOff + $L + e, acc[lid * $L + e] * inv)", Names.times("row", a.outStride), dv);
    c.endControlFlow();
    c.endControlFlow();
  }

  // ---- reductions ---------------------------------------------------------------------------

  /** red[0] = reduction of red[0 … wg-1] (a tree, in a fixed order); every work-item then reads it. */
  private static void treeReduce(CodeBlock.Builder c, int wg, String combine) {
    c.beginControlFlow("for (int stride = $L; stride > 0; stride /= 2)", wg / 2);
    c.addStatement("context.localBarrier()");
    c.beginControlFlow("if (lid < stride)");
    c.addStatement("red[lid] = $L", combine);
    c.endControlFlow();
    c.endControlFlow();
    c.addStatement("context.localBarrier()");
  }

  private void softmax(Node n, Shapes s, CodeBlock.Builder c) {
    TensorType x = s.in.get(0);
    int ax = ShapeRules.axis(Op.SOFTMAX, x, n.intAttr("axis"));
    String len = Names.dim(x.dim(ax)), inner = Names.size(x.shape().subList(ax + 1, x.rank()));
    int wg = reductionGroup(x.dim(ax));
    c.addStatement("int lid = context.localIdx");
    c.addStatement("int r = context.groupIdx");
    if (inner.equals("1")) {
      c.addStatement("int base = $L", Names.times("r", len));
    } else {
      c.add("// Row r is (outer index r / inner, inner index r % inner); its elements are inner apart.\n");
      c.addStatement("int base = $L + r % $L", Names.times(Names.div("r", inner), Names.times(len, inner)),
          Names.atom(inner));
    }
    String at = inner.equals("1") ? "base + j" : "base + j * " + Names.paren(inner);
    c.addStatement("float[] red = context.allocateFloatLocalArray($L)", wg);
    c.addStatement("float mx = -3.4028235E38f");
    c.beginControlFlow("for (int j = lid; j < $L; j += $L)", len, wg);
    c.addStatement("mx = $T.max(mx, x.get($L))", TORNADO_MATH, at);
    c.endControlFlow();
    c.addStatement("red[lid] = mx");
    treeReduce(c, wg, CodeBlock.of("$T.max(red[lid], red[lid + stride])", TORNADO_MATH).toString());
    c.addStatement("mx = red[0]");
    c.addStatement("context.localBarrier()");
    c.addStatement("float sum = 0f");
    c.beginControlFlow("for (int j = lid; j < $L; j += $L)", len, wg);
    c.addStatement("float e = $T.exp(x.get($L) - mx)", TORNADO_MATH, at);
    c.addStatement("out.set($L, e)", at);
    c.addStatement("sum += e");
    c.endControlFlow();
    c.addStatement("red[lid] = sum");
    treeReduce(c, wg, "red[lid] + red[lid + stride]");
    c.addStatement("float inv = 1f / red[0]");
    c.beginControlFlow("for (int j = lid; j < $L; j += $L)", len, wg);
    c.addStatement("out.set($L, out.get($L) * inv)", at, at);
    c.endControlFlow();
  }

  private void norm(Node n, Shapes s, CodeBlock.Builder c) {
    boolean layer = n.op() == Op.LAYER_NORM || n.op() == Op.ADD_LAYER_NORM;
    boolean add = n.op() == Op.ADD_LAYER_NORM || n.op() == Op.ADD_RMS_NORM;
    String d = Names.dim(s.out.last());
    int wg = reductionGroup(s.out.last());
    c.addStatement("int lid = context.localIdx");
    c.addStatement("int base = $L", Names.times("context.groupIdx", d));
    c.addStatement("float eps = $L", Names.floatLiteral(n.floatAttr("eps")));
    c.addStatement("float[] red = context.allocateFloatLocalArray($L)", wg);
    if (add) c.add("// Pass 1 stores a + b in out; later passes read it back (each work-item its own elements).\n");
    String src = add ? "out" : "x";
    c.addStatement("float sum = 0f");
    c.beginControlFlow("for (int j = lid; j < $L; j += $L)", d, wg);
    if (add) {
      c.addStatement("float value = a.get(base + j) + b.get(base + j)");
      c.addStatement("out.set(base + j, value)");
    } else {
      c.addStatement("float value = x.get(base + j)");
    }
    c.addStatement(layer ? "sum += value" : "sum += value * value");
    c.endControlFlow();
    c.addStatement("red[lid] = sum");
    treeReduce(c, wg, "red[lid] + red[lid + stride]");
    if (layer) {
      c.addStatement("float mean = red[0] / $L", d);
      c.addStatement("context.localBarrier()");
      c.addStatement("float sq = 0f");
      c.beginControlFlow("for (int j = lid; j < $L; j += $L)", d, wg);
      c.addStatement("float dev = $L.get(base + j) - mean", src);
      c.addStatement("sq += dev * dev");
      c.endControlFlow();
      c.addStatement("red[lid] = sq");
      treeReduce(c, wg, "red[lid] + red[lid + stride]");
      c.addStatement("float inv = 1f / $T.sqrt(red[0] / $L + eps)", TORNADO_MATH, d);
      c.beginControlFlow("for (int j = lid; j < $L; j += $L)", d, wg);
      c.addStatement("out.set(base + j, ($L.get(base + j) - mean) * inv * gamma.get(j) + beta.get(j))", src);
      c.endControlFlow();
    } else {
      c.addStatement("float inv = 1f / $T.sqrt(red[0] / $L + eps)", TORNADO_MATH, d);
      c.beginControlFlow("for (int j = lid; j < $L; j += $L)", d, wg);
      c.addStatement("out.set(base + j, $L.get(base + j) * inv * gamma.get(j))", src);
      c.endControlFlow();
    }
  }

  // ---- layout ------------------------------------------------------------------------------------

  private void transpose(Node n, Shapes s, CodeBlock.Builder c) {
    TensorType x = s.in.get(0), out = s.out;
    List<Long> perm = n.intsAttr("perm");
    int r = out.rank();
    String[] xIndexOfAxis = new String[r];
    for (int d = 0; d < r; d++) xIndexOfAxis[perm.get(d).intValue()] = "i" + d;
    List<String> terms = new ArrayList<>();
    for (int ax = 0; ax < r; ax++) terms.add(Names.times(xIndexOfAxis[ax], Names.size(x.shape().subList(ax + 1, r))));
    mapPrologue(c, out);
    unravel(c, out.shape(), "i", "i");
    c.addStatement("out.set(i, x.get($L))", String.join(" + ", terms));
    c.endControlFlow();
  }

  private void concat(Node n, Shapes s, CodeBlock.Builder c) {
    TensorType out = s.out;
    int ax = ShapeRules.axis(Op.CONCAT, out, n.intAttr("axis"));
    String inner = Names.size(out.shape().subList(ax + 1, out.rank()));
    String total = Names.dim(out.dim(ax));
    mapPrologue(c, out);
    if (s.in.size() == 1) {
      c.addStatement("out.set(i, in0.get(i))");
      c.endControlFlow();
      return;
    }
    boolean flatInner = inner.equals("1");
    c.add("// i = (o, a$L): outer index, position along the joined axis$L.\n", flatInner ? "" : ", in", flatInner ? "" : ", inner index");
    c.addStatement("int o = $L", Names.div("i", Names.times(total, inner)));
    c.addStatement("int a = $L", flatInner ? "i % " + Names.atom(total) : "(" + Names.div("i", inner) + ") % " + Names.atom(total));
    if (!flatInner) c.addStatement("int in = i % $L", Names.atom(inner));
    String from = "0";
    for (int j = 0; j < s.in.size(); j++) {
      String len = Names.dim(s.in.get(j).dim(ax));
      String end = sum(from, len);
      String pos = from.equals("0") ? "a" : "a - " + Names.paren(from);
      String row = Names.plus(Names.times("o", len), pos);
      String read = "in" + j + ".get(" + (flatInner ? row : Names.times(row, inner) + " + in") + ")";
      if (j == 0) c.beginControlFlow("if (a < $L)", end);
      else if (j == s.in.size() - 1) c.nextControlFlow("else");
      else c.nextControlFlow("else if (a < $L)", end);
      c.addStatement("out.set(i, $L)", read);
      from = end;
    }
    c.endControlFlow();
    c.endControlFlow();
  }

  /** {@code a + b}, folded when both are numbers. */
  private static String sum(String a, String b) {
    if (a.matches("\\d+") && b.matches("\\d+")) return Long.toString(Long.parseLong(a) + Long.parseLong(b));
    return Names.plus(a, b);
  }

  private void slice(Node n, Shapes s, CodeBlock.Builder c) {
    TensorType x = s.in.get(0), out = s.out;
    int ax = ShapeRules.axis(Op.SLICE, x, n.intAttr("axis"));
    String inner = Names.size(x.shape().subList(ax + 1, x.rank()));
    String len = Names.dim(out.dim(ax)), full = Names.dim(x.dim(ax));
    long start = n.intAttr("start");
    mapPrologue(c, out);
    c.addStatement("int o = $L", Names.div("i", Names.times(len, inner)));
    c.addStatement("int a = $L", inner.equals("1") ? "i % " + Names.atom(len) : "(" + Names.div("i", inner) + ") % " + Names.atom(len));
    String src = Names.plus(Names.times(Names.plus(Names.times("o", full), Names.plus("a", Long.toString(start))), inner),
        inner.equals("1") ? "0" : "i % " + Names.atom(inner));
    c.addStatement("out.set(i, x.get($L))", src);
    c.endControlFlow();
  }
}
