package dev.heed.compiler.onnx;

import com.google.protobuf.ByteString;
import dev.heed.compiler.cli.HeedVersion;
import dev.heed.compiler.ir.Dim;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.ir.TensorType;
import dev.heed.compiler.onnx.proto.AttributeProto;
import dev.heed.compiler.onnx.proto.GraphProto;
import dev.heed.compiler.onnx.proto.ModelProto;
import dev.heed.compiler.onnx.proto.NodeProto;
import dev.heed.compiler.onnx.proto.OperatorSetIdProto;
import dev.heed.compiler.onnx.proto.TensorProto;
import dev.heed.compiler.onnx.proto.TensorShapeProto;
import dev.heed.compiler.onnx.proto.TypeProto;
import dev.heed.compiler.onnx.proto.ValueInfoProto;
import dev.heed.runtime.DType;
import dev.heed.runtime.io.AtomicFiles;
import dev.heed.runtime.Weights;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes a heed IR graph (after the standard passes) as a standard ONNX model: ir_version
 * {@value #IR_VERSION}, default-domain opset {@value #OPSET}, so that ONNX Runtime or any other
 * ONNX consumer can run the model heed compiles, and check heed against it.
 *
 * <p>Model inputs and outputs keep their names, element types and dimensions (symbols become
 * {@code dim_param}). Parameters become FLOAT initializers (raw little-endian data) under their
 * checkpoint names, read from a {@link Weights}. Each IR op becomes standard ONNX ops:
 * <ul>
 *   <li>add, sub, mul, div, neg, relu, tanh, sigmoid, exp, sqrt, matmul, transpose, concat,
 *       softmax (opset 13 semantics: one axis) and layer_norm (LayerNormalization, axis -1) map
 *       one to one; embedding is Gather(table, ids);
 *   <li>gelu is x·0.5·(1 + Erf(x/√2)) and gelu_tanh, rms_norm and attention are spelled out with
 *       elementwise ops, ReduceMean, Softmax and MatMul (opset 17 has no Gelu or attention);
 *   <li>linear is MatMul(x, Wᵀ) (+ Add bias), as torch.onnx.export writes nn.Linear: a weight used
 *       only by linears is stored pre-transposed, [in, out], as the anonymous initializer
 *       {@code onnx::MatMul_NAME}, with the MatMul and bias named so that {@link OnnxWeights}
 *       recovers NAME; other weights are stored [out, in] and transposed by a Transpose node;
 *   <li>reshape to symbolic sizes builds its target shape at run time from the model inputs'
 *       shapes (Shape, Gather, Concat); positions, sinusoidal, padding_mask and causal_mask are
 *       built at run time from Range, so every sequence length works.
 * </ul>
 * Every node has a unique, stable name derived from the IR value it computes, and a doc_string
 * naming that value, its heed op and its place in the spec.
 */
public final class OnnxExporter {
  /** The ONNX IR version written (ONNX 1.10+; ONNX Runtime 1.10+). */
  public static final long IR_VERSION = 8;
  /** The default-domain opset the graph uses: LayerNormalization needs 17. */
  public static final long OPSET = 17;

  /** PyTorch's MatMul node naming, as {@link OnnxWeights} reads it back. */
  private static final Pattern MODULE_MATMUL = Pattern.compile("/((?:[^/]+/)*[^/]+)/MatMul(?:_\\d+)?");
  private static final String ANONYMOUS_MATMUL = "onnx::MatMul_";

  private final Graph graph;
  private final Weights weights;
  private final GraphProto.Builder out = GraphProto.newBuilder();
  private final Map<String, Node> byName;
  /** IR value name → ONNX tensor name. */
  private final Map<String, String> tensors = new HashMap<>();
  private final Set<String> usedTensorNames = new HashSet<>();
  private final Set<String> usedNodeNames = new HashSet<>();
  /** Cached helper tensors: Shape of an input, a symbol's size, transposed weights, constants. */
  private final Map<String, String> cache = new HashMap<>();
  /** Params stored transposed ([in, out]) for linear: checkpoint name P.weight → P. */
  private final Map<String, String> pretransposed = new HashMap<>();
  /** Where each symbolic dimension is first bound: input tensor name and axis. */
  private final Map<String, Map.Entry<String, Integer>> symbolSources = new LinkedHashMap<>();
  /** The IR node being exported, for doc strings. */
  private Node current;

  /** A valid spec that ONNX cannot express as it stands (the message says what to change). */
  public static final class Unexportable extends IllegalArgumentException {
    public Unexportable(String message) {
      super(message);
    }
  }

  private OnnxExporter(Graph graph, Weights weights) {
    this.graph = graph;
    this.weights = weights;
    this.byName = graph.byName();
  }

  /**
   * The ONNX model for {@code graph}.
   *
   * @param graph IR after shape inference (every node typed), as {@code HeedCompiler} returns it
   * @param weights where parameter values are read from ({@code get(name, shape, init)})
   * @throws dev.heed.runtime.WeightsException if a parameter is missing or mis-shaped
   * @throws IllegalArgumentException if a node is untyped or a parameter's shape is symbolic
   * @throws Unexportable if the graph's names do not fit ONNX's one namespace of inputs, outputs
   *     and initializers
   */
  public static ModelProto export(Graph graph, Weights weights) {
    return new OnnxExporter(graph, weights).build();
  }

  /** Writes {@code model} to {@code file} atomically: a temporary file beside it, then one move. */
  public static void write(ModelProto model, Path file) throws IOException {
    AtomicFiles.writeStream(file, model::writeTo);
  }

  // ---- the model ---------------------------------------------------------------------------

  private ModelProto build() {
    out.setName(graph.name()).setDocString("heed model " + graph.name());
    for (Node n : graph.nodes()) {
      if (n.type() == null) throw new IllegalArgumentException("%" + n.name() + " has no type; export IR after infer-shapes");
    }
    reserveNames();
    for (Node in : graph.inputs()) {
      String name = in.strAttr("name");
      out.addInput(valueInfo(name, in.type()));
      for (int axis = 0; axis < in.type().rank(); axis++) {
        if (in.type().dim(axis) instanceof Dim.Sym s) symbolSources.putIfAbsent(s.name(), Map.entry(name, axis));
      }
    }
    planLinearWeights();
    checkGraphNames();
    for (Node n : graph.nodes()) {
      current = n;
      tensors.put(n.name(), lower(n));
    }
    current = null;
    for (Graph.Output o : graph.outputs()) {
      String t = tensors.get(o.value());
      if (!t.equals(o.name())) {
        out.addNode(NodeProto.newBuilder().setOpType("Identity").setName(nodeName(o.name() + "/Identity"))
            .addInput(t).addOutput(o.name()).setDocString("output " + o.name() + " = %" + o.value()));
      }
      out.addOutput(valueInfo(o.name(), byName.get(o.value()).type()));
    }
    return ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
        .setProducerName("heed")
        .setProducerVersion(HeedVersion.VERSION)
        .setDocString("Exported by heed from model " + graph.name())
        .setGraph(out)
        .build();
  }

  /**
   * Fixes the names of inputs, parameters and outputs first, so that the tensors in between
   * never take them. An output whose value is computed, and named by no other output, is
   * written under the output's name; others get an Identity node.
   */
  private void reserveNames() {
    for (Node in : graph.inputs()) usedTensorNames.add(in.strAttr("name"));
    for (Node p : graph.params()) usedTensorNames.add(p.strAttr("name"));
    Map<String, Integer> outputsPerValue = new HashMap<>();
    for (Graph.Output o : graph.outputs()) {
      usedTensorNames.add(o.name());
      outputsPerValue.merge(o.value(), 1, Integer::sum);
    }
    for (Graph.Output o : graph.outputs()) {
      Node n = byName.get(o.value());
      if (n == null) throw new IllegalArgumentException("output " + o.name() + ": %" + o.value() + " is not defined");
      boolean source = n.op() == Op.INPUT || n.op() == Op.PARAM;
      if (!source && outputsPerValue.get(o.value()) == 1) tensors.put(o.value(), o.name());
    }
  }

  /**
   * ONNX gives a graph's inputs, outputs and initializers one namespace, which heed's spec does
   * not: an output may take an input's name, and a checkpoint name may be any string. Rejects
   * the specs whose names ONNX cannot hold, naming both (an output that <em>is</em> the input
   * or parameter of its name is fine: one tensor, one name).
   *
   * @throws Unexportable naming the clash
   */
  private void checkGraphNames() {
    Map<String, String> owners = new HashMap<>();   // graph-level name → what holds it
    for (Node in : graph.inputs()) owners.put(in.strAttr("name"), "input " + in.strAttr("name"));
    for (Node p : graph.params()) {
      String name = p.strAttr("name");
      if (pretransposed.containsKey(name)) continue;   // stored as onnx::MatMul_NAME
      String other = owners.putIfAbsent(name, "parameter " + name);
      if (other != null && !other.equals("parameter " + name)) {
        throw new Unexportable("ONNX export: parameter checkpoint name '" + name + "' is also the name of "
            + other + ", and an ONNX graph's inputs, outputs and initializers share one namespace; rename one of them");
      }
    }
    for (Graph.Output o : graph.outputs()) {
      String other = owners.get(o.name());
      if (other == null) continue;
      Node v = byName.get(o.value());
      boolean same = v != null && (v.op() == Op.INPUT || v.op() == Op.PARAM) && v.strAttr("name").equals(o.name());
      if (!same) {
        throw new Unexportable("ONNX export: output '" + o.name() + "' has the name of " + other
            + ", and an ONNX graph's inputs, outputs and initializers share one namespace; rename the output");
      }
    }
  }

  /**
   * Chooses the parameters stored pre-transposed: those used only as linear weights, whose
   * checkpoint name P.weight {@link OnnxWeights} recovers from the graph (from a bias P.bias,
   * or from MatMul nodes named /P/MatMul).
   */
  private void planLinearWeights() {
    Map<String, List<Node>> users = new HashMap<>();
    for (Node n : graph.nodes()) {
      for (String o : n.operands()) users.computeIfAbsent(o, k -> new ArrayList<>()).add(n);
    }
    Set<String> outputValues = new HashSet<>();
    for (Graph.Output o : graph.outputs()) outputValues.add(o.value());
    Map<String, Boolean> ok = new LinkedHashMap<>();   // checkpoint name → all its uses fit
    for (Node p : graph.params()) {
      String name = p.strAttr("name");
      List<Node> us = users.getOrDefault(p.name(), List.of());
      // a parameter that is also an output is written as declared, [out, in]
      boolean fits = !us.isEmpty() && !outputValues.contains(p.name()) && p.type().rank() == 2 && name.endsWith(".weight")
          && recovers(matmulNodeName(base(name), 0), base(name));
      for (Node u : us) {
        List<String> ops = u.operands();
        boolean weightUse = u.op() == Op.LINEAR && ops.get(1).equals(p.name()) && !ops.get(0).equals(p.name())
            && (ops.size() < 3 || !ops.get(2).equals(p.name()));
        if (!weightUse) fits = false;
        if (fits && u.operands().size() == 3) {
          if (anotherModulesBias(byName.get(u.operands().get(2)), base(name))) fits = false;   // the bias would name it otherwise
        }
        if (fits && u.operands().size() == 2 && otherBias(users.getOrDefault(u.name(), List.of()), u.name(), base(name))) {
          fits = false;   // linear(x, w) + other.bias: the MatMul feeds that Add alone, and the bias would name it
        }
      }
      ok.merge(name, fits, Boolean::logicalAnd);
    }
    ok.forEach((name, fits) -> {
      if (fits) pretransposed.put(name, base(name));
    });
  }

  /**
   * Whether {@code value}'s only user is an add of it and a parameter named like another
   * module's bias (Q.bias, Q ≠ {@code base}), which {@link OnnxWeights} would name the weight
   * of the MatMul computing {@code value} after.
   */
  private boolean otherBias(List<Node> users, String value, String base) {
    if (users.size() != 1 || users.get(0).op() != Op.ADD) return false;
    List<String> ops = users.get(0).operands();
    return anotherModulesBias(byName.get(ops.get(0).equals(value) ? ops.get(1) : ops.get(0)), base);
  }

  /** Whether {@code b} is a parameter named Q.bias with Q ≠ {@code base}, from which {@link OnnxWeights} would name a weight Q.weight. */
  private static boolean anotherModulesBias(Node b, String base) {
    if (b.op() != Op.PARAM) return false;
    String bias = b.strAttr("name");
    return bias.endsWith(".bias") && !bias.equals(base + ".bias");
  }

  /** P for checkpoint name P.weight. */
  private static String base(String weightName) {
    return weightName.substring(0, weightName.length() - ".weight".length());
  }

  private static String matmulNodeName(String base, int index) {
    return "/" + base.replace('.', '/') + "/MatMul" + (index == 0 ? "" : "_" + index);
  }

  /** Whether {@link OnnxWeights} reads checkpoint base name {@code base} from MatMul node {@code nodeName}. */
  private static boolean recovers(String nodeName, String base) {
    Matcher m = MODULE_MATMUL.matcher(nodeName);
    return !base.contains("/") && m.matches() && m.group(1).replace('/', '.').equals(base);
  }

  // ---- one IR node -----------------------------------------------------------------------------

  /** Emits {@code n}'s ONNX nodes; returns the tensor holding its value. */
  private String lower(Node n) {
    List<String> in = n.operands().stream().map(tensors::get).toList();
    return switch (n.op()) {
      case INPUT -> n.strAttr("name");
      case PARAM -> param(n);
      case CONSTANT -> constant(result(n), TensorProto.newBuilder().setDataType(TensorProto.DataType.FLOAT_VALUE)
          .addFloatData((float) n.floatAttr("value")).build());
      case ADD -> op("Add", in, result(n));
      case SUB -> op("Sub", in, result(n));
      case MUL -> op("Mul", in, result(n));
      case DIV -> op("Div", in, result(n));
      case NEG -> op("Neg", in, result(n));
      case RELU -> op("Relu", in, result(n));
      case TANH -> op("Tanh", in, result(n));
      case SIGMOID -> op("Sigmoid", in, result(n));
      case EXP -> op("Exp", in, result(n));
      case SQRT -> op("Sqrt", in, result(n));
      case GELU -> gelu(n, in.get(0));
      case GELU_TANH -> geluTanh(n, in.get(0));
      case MATMUL -> op("MatMul", in, result(n));
      case LINEAR -> linear(n, in);
      case ATTENTION -> attention(n, in);
      case TRANSPOSE -> op("Transpose", in, result(n), ints("perm", n.intsAttr("perm")));
      case RESHAPE -> reshape(n, in.get(0));
      case CONCAT -> op("Concat", in, result(n), intAttr("axis", n.intAttr("axis")));
      case SOFTMAX -> op("Softmax", in, result(n), intAttr("axis", n.intAttr("axis")));
      case LAYER_NORM -> op("LayerNormalization", in, result(n), intAttr("axis", -1),
          floatAttr("epsilon", (float) n.floatAttr("eps")));
      case RMS_NORM -> rmsNorm(n, in.get(0), in.get(1));
      case EMBEDDING -> op("Gather", List.of(in.get(1), in.get(0)), result(n), intAttr("axis", 0));
      case POSITIONS -> positions(operandDim(n, n.intAttr("axis")), result(n));
      case SINUSOIDAL -> sinusoidal(n);
      case PADDING_MASK -> paddingMask(n, in.get(0));
      case CAUSAL_MASK -> causalMask(n);
      case MHA, FUSED_LINEAR, ADD_LAYER_NORM, ADD_RMS_NORM, ELEMENTWISE, SLICE -> throw new IllegalArgumentException(
          "%" + n.name() + " is a " + n.op().irName() + ", an op made by heed's kernel fusions: export the IR after the "
              + "portable passes (HeedCompiler.Result.portableIr()), not the kernel IR");
    };
  }

  /** The tensor name for {@code n}'s value: its output name if reserved, else its IR name. */
  private String result(Node n) {
    String reserved = tensors.get(n.name());
    return reserved != null ? reserved : fresh(n.name());
  }

  /** A tensor name not used yet, {@code hint} if possible. */
  private String fresh(String hint) {
    String name = hint;
    for (int i = 1; !usedTensorNames.add(name); i++) name = hint + "_" + i;
    return name;
  }

  private String nodeName(String hint) {
    String name = hint;
    for (int i = 1; !usedNodeNames.add(name); i++) name = hint + "_" + i;
    return name;
  }

  /** A helper tensor of the current IR node: {@code value/what}. */
  private String temp(String what) {
    return fresh((current == null ? "" : current.name()) + "/" + what);
  }

  private String op(String opType, List<String> inputs, String output, AttributeProto... attrs) {
    return opNamed(opType, (current == null ? "" : current.name()) + "/" + opType, inputs, output, attrs);
  }

  private String opNamed(String opType, String nodeName, List<String> inputs, String output, AttributeProto... attrs) {
    NodeProto.Builder b = NodeProto.newBuilder().setOpType(opType).setName(nodeName(nodeName)).addAllInput(inputs)
        .addOutput(output);
    for (AttributeProto a : attrs) b.addAttribute(a);
    b.setDocString(current != null
        ? "%" + current.name() + " = " + current.op().irName() + " : " + current.type() + " at " + current.loc()
        : "shared by the nodes that use " + output + " (made by the exporter, not from one spec line)");
    out.addNode(b);
    return output;
  }

  // ---- parameters and constants --------------------------------------------------------------

  private String param(Node n) {
    String name = n.strAttr("name");
    TensorType t = n.type();
    int[] shape = new int[t.rank()];
    for (int i = 0; i < shape.length; i++) {
      if (!t.dim(i).isKnown()) throw new IllegalArgumentException("param " + name + " has a symbolic shape " + t);
      shape[i] = Math.toIntExact(t.dim(i).size());
    }
    String init = cache.get("param:" + name);
    if (init != null) return init;
    float[] data = weights.get(name, shape, n.strAttr("init"));
    String base = pretransposed.get(name);
    TensorProto.Builder tp = TensorProto.newBuilder().setDataType(TensorProto.DataType.FLOAT_VALUE)
        .setDocString("param " + name + " f32" + java.util.Arrays.toString(shape) + " at " + n.loc());
    if (base != null) {
      int rows = shape[0], cols = shape[1];
      float[] tr = new float[data.length];
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) tr[c * rows + r] = data[r * cols + c];
      }
      data = tr;
      init = ANONYMOUS_MATMUL + name;
      usedTensorNames.add(init);
      tp.setName(init).addDims(cols).addDims(rows)
          .setDocString("param " + name + " f32" + java.util.Arrays.toString(shape) + ", transposed to [in, out], at " + n.loc());
    } else {
      init = name;
      tp.setName(name);
      for (int d : shape) tp.addDims(d);
    }
    ByteBuffer bytes = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(data);
    tp.setRawData(ByteString.copyFrom(bytes));
    out.addInitializer(tp);
    cache.put("param:" + name, init);
    return init;
  }

  /** A Constant node holding {@code value}, named {@code output}. */
  private String constant(String output, TensorProto value) {
    return opNamed("Constant", output + "/Constant", List.of(), output,
        AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR).setT(value).build());
  }

  /** A shared f32 scalar constant. */
  private String f32(float v) {
    return cache.computeIfAbsent("f32:" + Float.floatToIntBits(v), k -> {
      String name = fresh("const_f32_" + Float.toString(v).replace('-', 'm'));
      return constantOutside(name, TensorProto.newBuilder().setDataType(TensorProto.DataType.FLOAT_VALUE).addFloatData(v).build());
    });
  }

  /** A shared i64 constant: a scalar, or a 1-D tensor when {@code vector}. */
  private String i64(boolean vector, long... v) {
    StringBuilder key = new StringBuilder(vector ? "i64v:" : "i64s:");
    for (long x : v) key.append(x).append(',');
    return cache.computeIfAbsent(key.toString(), k -> {
      StringBuilder hint = new StringBuilder("const_i64");
      for (long x : v) hint.append('_').append(Long.toString(x).replace('-', 'm'));
      if (vector) hint.append("_vec");
      TensorProto.Builder t = TensorProto.newBuilder().setDataType(TensorProto.DataType.INT64_VALUE);
      if (vector) t.addDims(v.length);
      for (long x : v) t.addInt64Data(x);
      return constantOutside(fresh(hint.toString()), t.build());
    });
  }

  /** A Constant node that belongs to no IR node (so it has no spec location). */
  private String constantOutside(String name, TensorProto value) {
    Node saved = current;
    current = null;
    try {
      return constant(name, value);
    } finally {
      current = saved;
    }
  }

  // ---- sizes known at run time -------------------------------------------------------------------

  /** The size of {@code d} as an i64 scalar tensor ({@code vector}: as a 1-D tensor of one element). */
  private String size(Dim d, boolean vector) {
    if (d instanceof Dim.Known k) return i64(vector, k.size());
    String sym = ((Dim.Sym) d).name();
    String key = (vector ? "symv:" : "syms:") + sym;
    String cached = cache.get(key);
    if (cached != null) return cached;
    Map.Entry<String, Integer> src = symbolSources.get(sym);
    if (src == null) throw new IllegalArgumentException("dimension " + sym + " is bound by no model input");
    String shape = cache.get("shape:" + src.getKey());
    Node saved = current;
    current = null;
    try {
      if (shape == null) {
        shape = opNamed("Shape", src.getKey() + "/Shape", List.of(src.getKey()), fresh(src.getKey() + "/shape"));
        cache.put("shape:" + src.getKey(), shape);
      }
      String t = opNamed("Gather", sym + "/Gather", List.of(shape, i64(vector, src.getValue())),
          fresh(vector ? sym + "/dims" : sym), intAttr("axis", 0));
      cache.put(key, t);
      return t;
    } finally {
      current = saved;
    }
  }

  /** The dimension {@code axis} of {@code n}'s first operand. */
  private Dim operandDim(Node n, long axis) {
    TensorType t = byName.get(n.operands().get(0)).type();
    return t.dim((int) (axis < 0 ? axis + t.rank() : axis));
  }

  // ---- ops spelled out ---------------------------------------------------------------------------

  /** x·0.5·(1 + Erf(x/√2)), as torch.onnx.export writes nn.GELU() (which ONNX Runtime fuses). */
  private String gelu(Node n, String x) {
    String scaled = op("Div", List.of(x, f32((float) Math.sqrt(2.0))), temp("div"));
    String erf = op("Erf", List.of(scaled), temp("erf"));
    String onePlus = op("Add", List.of(erf, f32(1f)), temp("add"));
    String times = op("Mul", List.of(x, onePlus), temp("mul"));
    return op("Mul", List.of(times, f32(0.5f)), result(n));
  }

  /** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
  private String geluTanh(Node n, String x) {
    String x2 = op("Mul", List.of(x, x), temp("x2"));
    String x3 = op("Mul", List.of(x2, x), temp("x3"));
    String cx3 = op("Mul", List.of(x3, f32(0.044715f)), temp("cx3"));
    String inner = op("Add", List.of(x, cx3), temp("inner"));
    String scaled = op("Mul", List.of(inner, f32((float) Math.sqrt(2.0 / Math.PI))), temp("scaled"));
    String tanh = op("Tanh", List.of(scaled), temp("tanh"));
    String onePlus = op("Add", List.of(tanh, f32(1f)), temp("add"));
    String times = op("Mul", List.of(x, onePlus), temp("mul"));
    return op("Mul", List.of(times, f32(0.5f)), result(n));
  }

  /** x·Wᵀ (+ bias): MatMul with the pre-transposed weight, or with Transpose(W). */
  private String linear(Node n, List<String> in) {
    String w = in.get(1);
    Node weight = byName.get(n.operands().get(1));
    String base = weight.op() == Op.PARAM ? pretransposed.get(weight.strAttr("name")) : null;
    boolean bias = in.size() == 3;
    String product = bias ? temp("matmul") : result(n);
    if (base != null) {
      String name = matmulNodeName(base, 0);
      for (int i = 1; usedNodeNames.contains(name); i++) name = matmulNodeName(base, i);
      opNamed("MatMul", name, List.of(in.get(0), w), product);
    } else {
      String wt = cache.get("transposed:" + w);
      if (wt == null) {
        Node saved = current;
        current = null;
        wt = opNamed("Transpose", w + "/Transpose", List.of(w), fresh(w + "/transposed"), ints("perm", List.of(1L, 0L)));
        current = saved;
        cache.put("transposed:" + w, wt);
      }
      op("MatMul", List.of(in.get(0), wt), product);
    }
    return bias ? op("Add", List.of(product, in.get(2)), result(n)) : product;
  }

  /** softmax(q·kᵀ·scale + mask)·v, the op chain heed's attention stands for. */
  private String attention(Node n, List<String> in) {
    int rank = byName.get(n.operands().get(1)).type().rank();
    List<Long> perm = new ArrayList<>();
    for (long i = 0; i < rank; i++) perm.add(i);
    perm.set(rank - 2, (long) rank - 1);
    perm.set(rank - 1, (long) rank - 2);
    String kt = op("Transpose", List.of(in.get(1)), temp("k_t"), ints("perm", perm));
    String scores = op("MatMul", List.of(in.get(0), kt), temp("scores"));
    String scaled = op("Mul", List.of(scores, f32((float) n.floatAttr("scale"))), temp("scaled"));
    String masked = in.size() > 3 ? op("Add", List.of(scaled, in.get(3)), temp("masked")) : scaled;
    String probs = op("Softmax", List.of(masked), temp("probs"), intAttr("axis", -1));
    return op("MatMul", List.of(probs, in.get(2)), result(n));
  }

  /** Reshape to a shape that is a constant when static, else built from the inputs' shapes. */
  private String reshape(Node n, String x) {
    List<Dim> dims = n.dimsAttr("shape");
    String shape;
    boolean zero = false;
    if (dims.stream().allMatch(Dim::isKnown)) {
      long[] v = dims.stream().mapToLong(Dim::size).toArray();
      for (long d : v) zero |= d == 0;
      shape = i64(true, v);
    } else {
      List<String> parts = new ArrayList<>();
      for (Dim d : dims) {
        zero |= d.isKnown() && d.size() == 0;
        parts.add(size(d, true));
      }
      shape = op("Concat", parts, temp("shape"), intAttr("axis", 0));
    }
    // allowzero = 1: a 0 in the shape is a size, not "copy the input's dimension".
    return zero ? op("Reshape", List.of(x, shape), result(n), intAttr("allowzero", 1))
        : op("Reshape", List.of(x, shape), result(n));
  }

  /** x / √(mean(x²) + eps) · gamma over the last axis. */
  private String rmsNorm(Node n, String x, String gamma) {
    String sq = op("Mul", List.of(x, x), temp("square"));
    String mean = op("ReduceMean", List.of(sq), temp("mean"), ints("axes", List.of(-1L)), intAttr("keepdims", 1));
    String plus = op("Add", List.of(mean, f32((float) n.floatAttr("eps"))), temp("plus_eps"));
    String root = op("Sqrt", List.of(plus), temp("rms"));
    String normed = op("Div", List.of(x, root), temp("normed"));
    return op("Mul", List.of(normed, gamma), result(n));
  }

  /** i64[n]: Range(0, n, 1). */
  private String positions(Dim n, String output) {
    return op("Range", List.of(i64(false, 0), size(n, false), i64(false, 1)), output);
  }

  /** f32[n, dim]: sin(p / 10000^(2i/dim)) at column 2i, cos at 2i + 1. */
  private String sinusoidal(Node n) {
    int dim = (int) n.intAttr("dim");
    String p = positions(operandDim(n, n.intAttr("axis")), temp("positions"));
    // The angles in double, as heed computes them: in float32 they drift by 5e-4 at 8192 positions.
    String pd = op("Cast", List.of(p), temp("positions_f64"), intAttr("to", TensorProto.DataType.DOUBLE_VALUE));
    String column = op("Unsqueeze", List.of(pd, i64(true, 1)), temp("column"));
    TensorProto.Builder denom = TensorProto.newBuilder().setDataType(TensorProto.DataType.DOUBLE_VALUE).addDims(dim / 2);
    for (int i = 0; i < dim / 2; i++) denom.addDoubleData(Math.pow(10000.0, 2.0 * i / dim));
    String d = constant(temp("denominators"), denom.build());
    String angle = op("Div", List.of(column, d), temp("angle"));
    String sin = op("Unsqueeze", List.of(op("Sin", List.of(angle), temp("sin")), i64(true, 2)), temp("sin3"));
    String cos = op("Unsqueeze", List.of(op("Cos", List.of(angle), temp("cos")), i64(true, 2)), temp("cos3"));
    String pairs = op("Concat", List.of(sin, cos), temp("pairs"), intAttr("axis", 2));
    String table = op("Reshape", List.of(pairs, i64(true, -1, dim)), temp("table_f64"));
    return op("Cast", List.of(table), result(n), intAttr("to", TensorProto.DataType.FLOAT_VALUE));
  }

  /** f32[b, 1, s]: Where(m = 0, -1e9, 0), unsqueezed at axis 1. */
  private String paddingMask(Node n, String m) {
    String padding = op("Equal", List.of(m, i64(false, 0)), temp("is_padding"));
    String values = op("Where", List.of(padding, f32(Op.MASKED), f32(0f)), temp("mask2d"));
    return op("Unsqueeze", List.of(values, i64(true, 1)), result(n));
  }

  /** f32[n, n]: -1e9 where key > query (above the diagonal), else 0. */
  private String causalMask(Node n) {
    String r = positions(operandDim(n, n.intAttr("axis")), temp("positions"));
    String query = op("Unsqueeze", List.of(r, i64(true, 1)), temp("query"));
    String key = op("Unsqueeze", List.of(r, i64(true, 0)), temp("key"));
    String ahead = op("Greater", List.of(key, query), temp("ahead"));
    return op("Where", List.of(ahead, f32(Op.MASKED), f32(0f)), result(n));
  }

  // ---- protobuf helpers ------------------------------------------------------------------------

  private static ValueInfoProto valueInfo(String name, TensorType t) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (Dim d : t.shape()) {
      TensorShapeProto.Dimension.Builder dim = TensorShapeProto.Dimension.newBuilder();
      if (d instanceof Dim.Known k) dim.setDimValue(k.size());
      else dim.setDimParam(((Dim.Sym) d).name());
      shape.addDim(dim);
    }
    int elem = t.dtype() == DType.F32 ? TensorProto.DataType.FLOAT_VALUE : TensorProto.DataType.INT64_VALUE;
    return ValueInfoProto.newBuilder().setName(name)
        .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(elem).setShape(shape)))
        .build();
  }

  private static AttributeProto intAttr(String name, long v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
  }

  private static AttributeProto floatAttr(String name, float v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
  }

  private static AttributeProto ints(String name, List<Long> v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS).addAllInts(v).build();
  }
}
