package dev.heed.compiler.emit.tornado;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.JavaFile;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterizedTypeName;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import dev.heed.compiler.emit.JvmEmitter;
import dev.heed.compiler.emit.SpecQuote;
import dev.heed.compiler.ir.Attr;
import dev.heed.compiler.ir.Dim;
import dev.heed.compiler.ir.Epilogue;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Loc;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.ir.TensorType;
import dev.heed.dsl.diag.Diagnostic;
import dev.heed.dsl.diag.HeedException;
import dev.heed.dsl.diag.SourceFile;
import dev.heed.dsl.diag.Span;
import dev.heed.runtime.DType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.lang.model.element.Modifier;

/**
 * Emits the tornadovm target: the jvm target's model class, which delegates {@code forward} to
 * TornadoVM when it can ({@link JvmEmitter.Options#accelerated()}), and a class {@code <Model>Tornado} holding the
 * forward pass as one TornadoVM TaskGraph of kernels ({@link TornadoKernels}).
 *
 * <p>The TaskGraph: weights go to the device once ({@code DataTransferMode.FIRST_EXECUTION})
 * and stay; activations are allocated once per plan and only live on the device between
 * tasks; inputs go over every call, outputs come back every call. Tasks have stable names
 * from the spec ({@code encoder.layer.3.attention}) and each its own WorkerGrid in one
 * GridScheduler. The graph, its buffers and the execution plan are built once per input shape
 * ({@code batch}, {@code seq}, …) and cached. Tasks are added in groups, one method per layer,
 * whose Javadoc draws the task flow and lists what was fused.
 *
 * <p>Same graph, same bytes. An op without a TornadoVM kernel is a compile error naming it.
 */
public final class TornadoEmitter {
  /** The suffix of the TornadoVM class's name: {@code MiniLM} → {@code MiniLMTornado}. */
  public static final String SUFFIX = "Tornado";

  private static final String API = TornadoKernels.API;
  private static final ClassName TASK_GRAPH = ClassName.get(API, "TaskGraph");
  private static final ClassName EXECUTION_PLAN = ClassName.get(API, "TornadoExecutionPlan");
  private static final ClassName GRID_SCHEDULER = ClassName.get(API, "GridScheduler");
  private static final ClassName WORKER_GRID = ClassName.get(API, "WorkerGrid");
  private static final ClassName WORKER_GRID_1D = ClassName.get(API, "WorkerGrid1D");
  private static final ClassName WORKER_GRID_2D = ClassName.get(API, "WorkerGrid2D");
  private static final ClassName WORKER_GRID_3D = ClassName.get(API, "WorkerGrid3D");
  private static final ClassName TRANSFER = ClassName.get(API + ".enums", "DataTransferMode");
  private static final ClassName DEVICE = ClassName.get(API + ".common", "TornadoDevice");
  private static final ClassName RUNTIME_PROVIDER = ClassName.get(API + ".runtime", "TornadoRuntimeProvider");
  private static final String RT = "dev.heed.runtime";
  private static final ClassName TENSOR = ClassName.get(RT, "Tensor");
  private static final ClassName DTYPE = ClassName.get(RT, "DType");
  private static final ClassName WEIGHTS = ClassName.get(RT, "Weights");
  private static final ClassName INPUT_CHECK = ClassName.get(RT, "InputCheck");
  private static final ClassName ACCELERATED_MODEL = ClassName.get(RT + ".accel", "AcceleratedModel");
  private static final ClassName ACCELERATORS = ClassName.get(RT + ".accel", "Accelerators");
  private static final ClassName MEMORY_SEGMENT = ClassName.get("java.lang.foreign", "MemorySegment");
  private static final ClassName VALUE_LAYOUT = ClassName.get("java.lang.foreign", "ValueLayout");

  /** How many execution plans (one per input shape) a model keeps; the least recently used is freed. */
  static final int MAX_PLANS = 4;

  private TornadoEmitter() {}

  /** The fully qualified name of the TornadoVM class emitted for {@code g}. */
  public static String tornadoClassName(Graph g, String javaPackage) {
    return JvmEmitter.className(g, javaPackage) + SUFFIX;
  }

  /** True when {@code fqcn} is a TornadoVM class among {@code sources} (those need tornado-api to compile). */
  public static boolean isTornadoClass(String fqcn, Map<String, String> sources) {
    return fqcn.endsWith(SUFFIX) && sources.containsKey(fqcn.substring(0, fqcn.length() - SUFFIX.length()));
  }

  /**
   * The generated sources, by fully qualified class name: the model class (the jvm target's,
   * delegating), then its TornadoVM class.
   *
   * @throws HeedException at the node's spec line for an op the target has no kernel for
   */
  public static Map<String, String> emit(Graph g, JvmEmitter.Options o) {
    String jvmClass = JvmEmitter.className(g, o.javaPackage());
    String simple = jvmClass.substring(jvmClass.lastIndexOf('.') + 1);
    String tornadoClass = jvmClass + SUFFIX;
    Map<String, String> out = new LinkedHashMap<>();
    // The model class: the jvm target's, handing forward to the TornadoVM class when it loads.
    out.put(jvmClass, JvmEmitter.emit(g, new JvmEmitter.Options(o.javaPackage(), o.sources(), o.specName(), tornadoClass))
        .get(jvmClass));
    try {
      out.put(tornadoClass, new Writer(splitRowNorms(g), o, simple + SUFFIX, simple).write());
    } catch (TornadoKernels.Unsupported e) {
      throw located(e.node, e.getMessage(), o);
    }
    return out;
  }

  /**
   * {@code g} with each fused_linear whose epilogue ends in a row norm split back into the
   * fused_linear without it, named {@code <name>.pre_norm}, and the norm, under the original
   * name. A TornadoVM GEMM task writes a row in tiles spread over work-groups, which cannot
   * wait for one another inside a task, so the row norm runs as its own task (the jvm class,
   * which normalises each block of rows in the GEMM's store, keeps the fused graph).
   */
  static Graph splitRowNorms(Graph g) {
    List<Node> nodes = new ArrayList<>();
    boolean split = false;
    for (Node n : g.nodes()) {
      Epilogue e = n.op() == Op.FUSED_LINEAR ? Epilogue.parse(n.strAttr("epilogue")) : null;
      if (e == null || e.norm() == null) {
        nodes.add(n);
        continue;
      }
      split = true;
      String pre = n.name() + ".pre_norm";
      List<String> ops = n.operands();
      Map<String, Attr> attrs = new LinkedHashMap<>(n.attrs());
      Attr eps = attrs.remove("eps");
      if (e.bias() || e.activation() != null || e.residual()) {
        attrs.put("epilogue", new Attr.Str(new Epilogue(e.bias(), e.activation(), e.residual()).toString()));
        nodes.add(new Node(pre, Op.FUSED_LINEAR, ops.subList(0, e.normIndex()), attrs, n.type(), n.loc()));
      } else {
        attrs.remove("epilogue");
        nodes.add(new Node(pre, Op.LINEAR, ops.subList(0, 2), attrs, n.type(), n.loc()));
      }
      List<String> normOps = new ArrayList<>();
      normOps.add(pre);
      normOps.addAll(ops.subList(e.normIndex(), ops.size()));
      nodes.add(new Node(n.name(), e.norm(), normOps, Map.of("eps", eps), n.type(), n.loc()));
    }
    return split ? g.withNodes(nodes) : g;
  }

  private static HeedException located(Node n, String message, JvmEmitter.Options o) {
    Loc loc = n.loc();
    SourceFile f = loc.isKnown() ? o.sources().get(loc.file()) : null;
    if (f == null) f = o.sources().get(o.specName());
    if (f == null) f = new SourceFile(o.specName(), "");
    int line = loc.isKnown() && f.text().lines().count() >= loc.line() ? loc.line() : 1;
    int col = loc.isKnown() ? Math.max(1, loc.col()) : 1;
    return new HeedException(Diagnostic.error(new Span(f, line, col, 1), message + " (%" + n.name()
        + "); the tornadovm target needs a kernel for every op: compile with --target jvm, or write the model without it"));
  }

  /** One task of the graph: its node, kernel call, task id and group. */
  private record Task(Node node, TornadoKernels.Call call, String id, String group) {}

  /** A run of consecutive tasks of one layer: one method with its flow drawing. */
  private record Group(String scope, String method, List<Task> tasks) {}

  private static final class Writer {
    private final Graph g;
    private final JvmEmitter.Options o;
    private final String simple;
    private final String modelClass;
    private final ClassName self;
    private final Map<String, Node> byName;
    private final Names names = new Names().reserve("GRAPH", "MAX_PLANS", "plans", "device", "forward", "plan", "Plan",
        "execute", "free", "roundUp", "grid1", "grid2", "grid3", "toInts", "checkIds", "chooseDevice", "copyIn", "floats",
        "longs", "gelu", "geluTanh", "sigmoid", "erf", "execution", "graph", "grid", "result", "inputs", "weights",
        "concatHost", "sliceHost", "transposeHost", "sizes");
    private final Set<String> sliceViews = new LinkedHashSet<>();
    /** Layout ops (concat, transpose, slice) of weights only: computed once, when the model loads. */
    private final Set<String> loadTime = new LinkedHashSet<>();
    private final TornadoKernels kernels;
    /** IR value → Java field holding its buffer (weights in the model, the rest in Plan). */
    private final Map<String, String> fields = new HashMap<>();
    private final String graphName;
    /** Per tuple of symbols that kernels take: the Plan's IntArray holding their values. */
    private final Map<List<String>, String> dimsFields = new LinkedHashMap<>();
    /** Host helpers the load-time code calls. */
    private final Set<String> hostHelpers = new LinkedHashSet<>();

    Writer(Graph g, JvmEmitter.Options o, String simple, String modelClass) {
      this.g = g;
      this.o = o;
      this.simple = simple;
      this.modelClass = modelClass;
      this.self = ClassName.get(o.javaPackage(), simple);
      this.byName = g.byName();
      for (Node n : g.nodes()) {
        for (Dim d : n.type() == null ? List.<Dim>of() : n.type().shape()) {
          if (d instanceof Dim.Sym sym) names.reserve(Names.symVar(sym.name()));
        }
      }
      findSliceViews();
      findLoadTime();
      this.kernels = new TornadoKernels(g, this::quote, sliceViews);
      this.graphName = Names.taskId(g.name().toLowerCase(Locale.ROOT));
    }

    /** Slices that only mha reads (on the last axis): mha reads them in place, so they need no task. */
    private void findSliceViews() {
      Set<String> outputs = new LinkedHashSet<>();
      for (Graph.Output out : g.outputs()) outputs.add(out.value());
      for (Node n : g.nodes()) {
        if (n.op() != Op.SLICE || outputs.contains(n.name())) continue;
        Node src = byName.get(n.operands().get(0));
        int axis = (int) (n.intAttr("axis") < 0 ? n.intAttr("axis") + src.type().rank() : n.intAttr("axis"));
        if (axis != src.type().rank() - 1 || n.type().rank() != 3 || !src.type().last().isKnown()) continue;
        boolean onlyMha = true, used = false;
        for (Node u : g.nodes()) {
          for (int i = 0; i < u.operands().size(); i++) {
            if (!u.operands().get(i).equals(n.name())) continue;
            used = true;
            if (u.op() != Op.MHA || i > 2) onlyMha = false;
          }
        }
        if (used && onlyMha) sliceViews.add(n.name());
      }
    }

    private void findLoadTime() {
      for (Node n : g.nodes()) {
        if (n.op() != Op.CONCAT && n.op() != Op.TRANSPOSE && n.op() != Op.SLICE && n.op() != Op.RESHAPE) continue;
        if (n.type().dtype() != DType.F32 || !n.type().isStatic()) continue;
        boolean weightsOnly = true;
        for (String op : n.operands()) weightsOnly &= byName.get(op).op() == Op.PARAM || loadTime.contains(op);
        if (weightsOnly) loadTime.add(n.name());
      }
    }

    /** True for params and the values made from them at load time: the kernels' weights. */
    private boolean isWeight(String value) {
      return byName.get(value).op() == Op.PARAM || loadTime.contains(value);
    }

    /** The spec lines a kernel is commented with, joined by newlines, or null: {@link SpecQuote}. */
    private String quote(Loc loc) {
      return SpecQuote.text(loc, o.sources(), o.specName());
    }

    // ---- the task list ---------------------------------------------------------------------

    private boolean needsTask(Node n) {
      return switch (n.op()) {
        case INPUT, PARAM, CONSTANT, RESHAPE -> false;
        case SLICE -> !sliceViews.contains(n.name()) && !loadTime.contains(n.name());
        case CONCAT, TRANSPOSE -> !loadTime.contains(n.name());
        default -> true;
      };
    }

    /** Values computed by tasks (or read by them), in node order. */
    private List<Task> tasks() {
      Map<String, String> scopes = scopes();
      Map<String, Integer> idCounts = new HashMap<>();
      List<Task> tasks = new ArrayList<>();
      for (Node n : g.nodes()) {
        if (!needsTask(n)) continue;
        for (String op : n.operands()) {
          Node d = byName.get(op);
          if (d.op() == Op.CONSTANT && !(n.op().isBinaryElementwise() || n.op() == Op.ELEMENTWISE)) {
            throw new TornadoKernels.Unsupported(n, "target tornadovm: op '" + n.op().irName()
                + "' with a constant operand has no kernel");
          }
        }
        TornadoKernels.Call call = kernels.kernelFor(n);
        String scope = scopes.get(n.name());
        String label = label(n, scope);
        // Top-level work named after its parameters keeps their names (embeddings.word_embeddings).
        boolean byParams = scope.equals("model") && !paramNames(n).isEmpty() && label.contains(".") || label.equals(commonPrefix(n));
        String id = Names.taskId(scope.equals("model") && byParams ? label : scope + "." + label);
        int count = idCounts.merge(id, 1, Integer::sum);
        if (count > 1) id = id + "_" + count;
        tasks.add(new Task(n, call, id, scope));
      }
      // Tasks that read only inputs and weights (masks, positions) run right before their first
      // user, so that each layer's tasks stay together.
      Set<String> made = new LinkedHashSet<>();
      for (Task t : tasks) made.add(t.node().name());
      List<Task> ordered = new ArrayList<>(tasks);
      for (Task t : tasks) {
        boolean fromInputs = t.call().buffers().subList(0, t.call().buffers().size() - 1).stream().noneMatch(made::contains);
        if (!fromInputs) continue;
        ordered.remove(t);
        int at = ordered.size();
        for (int i = 0; i < ordered.size(); i++) {
          List<String> b = ordered.get(i).call().buffers();
          if (b.subList(0, b.size() - 1).contains(t.node().name())) {
            at = i;
            break;
          }
        }
        ordered.add(at, t);
      }
      return ordered;
    }

    /**
     * Each task's layer: the prefix of its own dotted name ({@code encoder.layer.0.q}), else the
     * known layer prefix of the parameters it reads, else its operands' layer, else its first
     * user's; top-level work is in {@code model}.
     */
    private Map<String, String> scopes() {
      Set<String> known = new LinkedHashSet<>();
      for (Node n : g.nodes()) {
        if (n.op() != Op.PARAM && n.op() != Op.INPUT && n.name().contains(".")) known.add(n.name().substring(0, n.name().lastIndexOf('.')));
      }
      Map<String, String> scope = new HashMap<>();
      for (Node n : g.nodes()) {
        if (n.op() == Op.INPUT || n.op() == Op.PARAM || n.op() == Op.CONSTANT || loadTime.contains(n.name())) continue;
        String s = n.name().contains(".") ? layerOf(n.name(), known) : null;
        if (s == null) {
          for (String p : paramNames(n)) {
            String l = layerOf(p, known);
            if (l != null) {
              s = l;
              break;
            }
          }
        }
        if (s == null && !paramNames(n).isEmpty()) s = "model";
        if (s == null) {
          for (String op : n.operands()) {
            String os = scope.get(op);
            if (os != null) {
              s = os;
              break;
            }
          }
        }
        if (s != null) scope.put(n.name(), s);
      }
      // The rest (masks, positions: made from inputs only) join the layer of their first user.
      List<Node> nodes = g.nodes();
      for (int i = nodes.size() - 1; i >= 0; i--) {
        Node n = nodes.get(i);
        if (scope.containsKey(n.name()) || n.op() == Op.INPUT || n.op() == Op.PARAM || n.op() == Op.CONSTANT
            || loadTime.contains(n.name())) {
          continue;
        }
        String s = "model";
        for (Node u : nodes.subList(i + 1, nodes.size())) {
          if (u.operands().contains(n.name()) && scope.containsKey(u.name())) {
            s = scope.get(u.name());
            break;
          }
        }
        scope.put(n.name(), s);
      }
      return scope;
    }

    /**
     * The layer {@code name} belongs to, among the prefixes named values have: the shortest one
     * ending in a loop index ({@code encoder.layer.3} of {@code encoder.layer.3.attention.self.qkv}),
     * else the longest.
     */
    private static String layerOf(String name, Set<String> known) {
      String indexed = null, longest = null;
      for (String k : known) {
        if (!name.startsWith(k + ".")) continue;
        if (k.matches(".*\\.\\d+|\\d+") && (indexed == null || k.length() < indexed.length())) indexed = k;
        if (longest == null || k.length() > longest.length()) longest = k;
      }
      return indexed != null ? indexed : longest;
    }

    /** Checkpoint names of the params {@code n} reads, directly or through views and concats of params. */
    private List<String> paramNames(Node n) {
      List<String> out = new ArrayList<>();
      for (String op : n.operands()) {
        Node d = byName.get(op);
        if (d.op() == Op.PARAM) out.add(d.strAttr("name"));
        else if (loadTime.contains(op) || d.op() == Op.RESHAPE) out.addAll(paramNames(d));
      }
      return out;
    }

    /** The whole-component common prefix of the checkpoint names {@code n} reads, or "". */
    private String commonPrefix(Node n) {
      List<String> params = paramNames(n);
      if (params.isEmpty()) return "";
      String common = params.get(0);
      for (String p : params) {
        int i = 0;
        while (i < common.length() && i < p.length() && common.charAt(i) == p.charAt(i)) i++;
        common = common.substring(0, i);
      }
      if (params.size() == 1 || !common.endsWith(".")) return common.contains(".") ? common.substring(0, common.lastIndexOf('.')) : "";
      return common.substring(0, common.length() - 1);
    }

    /** The task's name within its layer: the parameters' common prefix, else what the op is. */
    private String label(Node n, String scope) {
      String opLabel = switch (n.op()) {
        case ATTENTION, MHA -> "attention";
        case FUSED_LINEAR, LINEAR -> "linear";
        default -> n.op().irName();
      };
      if (n.op() == Op.ATTENTION || n.op() == Op.MHA) return opLabel;
      if (!paramNames(n).isEmpty()) {
        // Whole components only: "x.attention.self.query.weight", "...query.bias" → "x.attention.self.query".
        String common = commonPrefix(n);
        String rel = scope.isEmpty() || !common.startsWith(scope + ".") ? common : common.substring(scope.length() + 1);
        // A value the passes named under that prefix ("attention.self.qkv") says more.
        String own = n.name().startsWith(scope + ".") ? n.name().substring(scope.length() + 1) : "";
        if (!rel.isEmpty() && own.startsWith(rel + ".") && !own.substring(rel.length() + 1).contains(".")) return own;
        if (!rel.isEmpty() && !rel.equals(scope)) return rel;
      }
      // The variable the spec names the value by ("let q = ..."), without the _2 of rebinding.
      String own = n.name().contains(".") ? n.name().substring(n.name().lastIndexOf('.') + 1) : n.name();
      own = own.replaceAll("_\\d+$", "");
      if (!own.isEmpty() && !own.matches("t?\\d+")) return own;
      return opLabel;
    }

    private List<Group> groups(List<Task> tasks) {
      List<Group> groups = new ArrayList<>();
      Names methodNames = new Names().reserve("plan", "execution", "shape");
      Map<String, Integer> counts = new HashMap<>();
      for (Task t : tasks) {
        Group last = groups.isEmpty() ? null : groups.get(groups.size() - 1);
        if (last == null || !last.scope().equals(t.group())) {
          int c = counts.merge(t.group(), 1, Integer::sum);
          String base = "add" + capital(Names.camel(t.group()));
          String method = c == 1 ? base : base + "Part" + c;
          last = new Group(t.group(), methodNames.allocate(method), new ArrayList<>());
          groups.add(last);
        }
        last.tasks().add(t);
      }
      return groups;
    }

    private static String capital(String s) {
      return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    // ---- the class ---------------------------------------------------------------------------------

    String write() {
      List<Task> tasks = tasks();
      List<Group> groups = groups(tasks);
      Set<String> outputs = new LinkedHashSet<>();
      for (Graph.Output out : g.outputs()) outputs.add(kernels.storage(out.value()));

      TypeSpec.Builder cls = TypeSpec.classBuilder(simple).addModifiers(Modifier.PUBLIC, Modifier.FINAL)
          .addSuperinterface(ACCELERATED_MODEL)
          .addJavadoc("$L", classDoc(tasks, groups));
      cls.addField(FieldSpec.builder(String.class, "GRAPH", Modifier.PUBLIC, Modifier.STATIC, Modifier.FINAL)
          .addJavadoc("The TaskGraph's name: tasks are {@code $L.<task>} in TornadoVM's options and profiles.\n", graphName)
          .initializer("$S", graphName).build());
      cls.addField(FieldSpec.builder(TypeName.INT, "MAX_PLANS", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
          .addJavadoc("Execution plans kept, one per input shape; the least recently used one is freed.\n")
          .initializer("$L", MAX_PLANS).build());
      int objects = g.inputs().size() + g.params().size() + tasks.size();
      long bytecode = Long.highestOneBit(4096L + 128L * objects + 256L * tasks.size() - 1) << 1;
      cls.addStaticBlock(CodeBlock.builder()
          .add("// A bailout would run these kernels as sequential Java, which is not what they mean: unless told\n")
          .add("// otherwise, TornadoVM throws instead, and the model falls back to its jvm kernels with a notice.\n")
          .beginControlFlow("if (System.getProperty($S) == null)", "tornado.recover.bailout")
          .addStatement("System.setProperty($S, $S)", "tornado.recover.bailout", "False")
          .endControlFlow()
          .add("// TornadoVM's bytecode buffer is 4 KiB unless set (read once, when TornadoVM compiles its first graph);\n")
          .add("// $L tasks over $L buffers need more.\n", tasks.size(), objects)
          .addStatement("String size = System.getProperty($S)", "tornado.tvm.maxbytecodesize")
          .beginControlFlow("if (size == null || size.strip().matches($S) && Long.parseLong(size.strip()) < $L)", "\\d{1,9}", bytecode)
          .addStatement("System.setProperty($S, $S)", "tornado.tvm.maxbytecodesize", Long.toString(bytecode))
          .endControlFlow()
          .add("// TornadoVM builds the tasks' sketches on a pool of 4 threads by default, which can deadlock\n")
          .add("// (beehive-lab/TornadoVM#490); a larger pool avoids it.\n")
          .beginControlFlow("if (System.getProperty($S) == null)", "tornado.sketcher.threads")
          .addStatement("System.setProperty($S, $S)", "tornado.sketcher.threads", "32")
          .endControlFlow().build());

      // Weights: FloatArrays made once, sent to the device by each plan's first execution.
      MethodSpec.Builder ctor = MethodSpec.constructorBuilder().addModifiers(Modifier.PUBLIC)
          .addJavadoc("Loads every parameter the kernels read into off-heap arrays and picks the device.\n\n"
              + "@throws IllegalStateException when TornadoVM has no device\n")
          .addParameter(WEIGHTS, "weights")
          .addStatement("this.device = chooseDevice()");
      Set<String> usedWeights = new LinkedHashSet<>();
      for (Task t : tasks) for (String b : t.call().buffers()) if (isWeight(b)) usedWeights.add(b);
      for (String out : outputs) if (isWeight(out)) usedWeights.add(out);
      // Weights that only load-time values read are local to the constructor.
      Set<String> hostArrays = new LinkedHashSet<>();
      for (Node n : g.nodes()) {
        if (!loadTime.contains(n.name()) || n.op() == Op.RESHAPE) continue;
        if (!usedWeights.contains(n.name()) && !neededByLoadTime(n.name())) continue;
        for (String op : n.operands()) hostArrays.add(kernels.storage(op));
      }
      Map<String, String> locals = new HashMap<>();
      for (Node n : g.nodes()) {
        boolean param = n.op() == Op.PARAM;
        boolean made = loadTime.contains(n.name()) && n.op() != Op.RESHAPE;
        if (!param && !made) continue;
        boolean field = usedWeights.contains(n.name());
        if (!field && !hostArrays.contains(n.name())) continue;
        CodeBlock value = param
            ? CodeBlock.of("weights.get($S, new int[] {$L}, $S)", n.strAttr("name"), dimsCsv(n.type()), n.strAttr("init"))
            : loadTimeValue(n, locals);
        if (made) {
          String q = quote(n.loc());
          ctor.addCode("// $L\n", Names.comment("%" + n.name() + " = " + n.op().irName() + ", once, at load time" + (q == null ? "" : ":")));
          if (q != null) for (String line : q.split("\n")) ctor.addCode("//   $L\n", line);
        }
        if (hostArrays.contains(n.name())) {
          String local = names.allocate(n.name() + "_host");
          locals.put(n.name(), local);
          ctor.addStatement("float[] $L = $L", local, value);
          value = CodeBlock.of("$L", local);
        }
        if (field) {
          String f = names.allocate(param ? n.strAttr("name") : n.name());
          fields.put(n.name(), f);
          String what = param ? n.strAttr("name") : "%" + n.name() + " = " + n.op().irName() + "(" + String.join(", ",
              n.operands().stream().map(x -> "%" + x).toList()) + "), made at load time";
          cls.addField(FieldSpec.builder(TornadoKernels.FLOAT_ARRAY, f, Modifier.PRIVATE, Modifier.FINAL)
              .addJavadoc("$L: $L\n", Names.comment(what), n.type()).build());
          ctor.addStatement("this.$N = floats($L)", f, value);
        }
      }
      cls.addField(FieldSpec.builder(DEVICE, "device", Modifier.PRIVATE, Modifier.FINAL)
          .addJavadoc("Where the kernels run: {@code -Dheed.tornado.device=B:D}, else TornadoVM's default device.\n").build());
      cls.addField(FieldSpec.builder(ParameterizedTypeName.get(ClassName.get(LinkedHashMap.class), ClassName.get(String.class),
              self.nestedClass("Plan")), "plans", Modifier.PRIVATE, Modifier.FINAL)
          .addJavadoc("Execution plans by input shape, least recently used first.\n")
          .initializer("new $T<>(16, 0.75f, true)", LinkedHashMap.class).build());
      cls.addMethod(ctor.build());

      // Plan buffers: the inputs the tasks read, then each task's result.
      Set<String> read = new LinkedHashSet<>();
      for (Task t : tasks) read.addAll(t.call().buffers());
      read.addAll(outputs);
      for (Node in : g.inputs()) if (read.contains(in.name())) fields.put(in.name(), names.allocate(in.strAttr("name") + "_buffer"));
      for (Task t : tasks) fields.put(t.node().name(), names.allocate(t.node().name()));

      cls.addMethod(forward(outputs));
      cls.addMethod(MethodSpec.methodBuilder("device").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
          .returns(String.class)
          .addStatement("return device.getPhysicalDevice().getDeviceName() + $S + device.getPlatformName() + $S", " (", ")")
          .build());
      cls.addMethod(planLookup());
      cls.addType(planClass(tasks, groups, outputs));
      addHostHelpers(cls);
      for (MethodSpec k : kernels.methods()) cls.addMethod(k);

      JavaFile file = JavaFile.builder(o.javaPackage(), cls.build())
          .addFileComment("Generated by heed from $L for TornadoVM. Do not edit: change the spec and recompile.",
              Names.comment(o.specName()))
          .indent("  ")
          .skipJavaLangImports(true)
          .build();
      return file.toString();
    }

    private boolean neededByLoadTime(String value) {
      for (Node n : g.nodes()) {
        if (!loadTime.contains(n.name())) continue;
        for (String op : n.operands()) if (kernels.storage(op).equals(value)) return true;
      }
      return false;
    }

    /** Host code computing a load-time layout op from its operands' host arrays. */
    private CodeBlock loadTimeValue(Node n, Map<String, String> locals) {
      TensorType t = n.type();
      switch (n.op()) {
        case CONCAT -> {
          int ax = (int) (n.intAttr("axis") < 0 ? n.intAttr("axis") + t.rank() : n.intAttr("axis"));
          hostHelpers.add("concatHost");
          List<String> lens = new ArrayList<>(), parts = new ArrayList<>();
          for (String op : n.operands()) {
            lens.add(Long.toString(byName.get(op).type().dim(ax).size()));
            parts.add(locals.get(kernels.storage(op)));
          }
          return CodeBlock.of("concatHost($L, new int[] {$L}, $L)", Names.size(t.shape().subList(ax + 1, t.rank())),
              String.join(", ", lens), String.join(", ", parts));
        }
        case SLICE -> {
          Node x = byName.get(n.operands().get(0));
          int ax = (int) (n.intAttr("axis") < 0 ? n.intAttr("axis") + t.rank() : n.intAttr("axis"));
          hostHelpers.add("sliceHost");
          return CodeBlock.of("sliceHost($L, $L, $L, $L, $L)", locals.get(kernels.storage(x.name())), x.type().dim(ax),
              n.intAttr("start"), t.dim(ax), Names.size(t.shape().subList(ax + 1, t.rank())));
        }
        case TRANSPOSE -> {
          Node x = byName.get(n.operands().get(0));
          hostHelpers.add("transposeHost");
          return CodeBlock.of("transposeHost($L, new int[] {$L}, new int[] {$L})", locals.get(kernels.storage(x.name())),
              dimsCsv(x.type()), String.join(", ", n.intsAttr("perm").stream().map(String::valueOf).toList()));
        }
        default -> throw new IllegalStateException(n.op() + " at load time");
      }
    }

    private List<Dim> symbols() {
      List<Dim> syms = new ArrayList<>();
      Set<String> seen = new LinkedHashSet<>();
      for (Node in : g.inputs()) {
        for (Dim d : in.type().shape()) if (d instanceof Dim.Sym s && seen.add(s.name())) syms.add(d);
      }
      return syms;
    }

    private String classDoc(List<Task> tasks, List<Group> groups) {
      StringBuilder sb = new StringBuilder();
      sb.append("The model {@code ").append(Names.comment(g.name()).replace("}", "&#125;"))
          .append("} on TornadoVM: its forward pass as one TaskGraph of ").append(tasks.size())
          .append(" tasks, compiled by heed from {@code ").append(Names.comment(o.specName()).replace("}", "&#125;"))
          .append("}.\n\n");
      sb.append("<p>{@link ").append(modelClass).append("} runs this class when TornadoVM's classes and a device are present\n")
          .append("(see {@link dev.heed.runtime.accel.Accelerators}). Run it with {@code java @$TORNADOVM_HOME/tornado-argfile ...};\n")
          .append("this class was compiled with {@code -g}: without local variable tables TornadoVM cannot compile the kernels.\n\n");
      sb.append("<p>Memory: the weights go to the device once per plan ({@code FIRST_EXECUTION}) and stay there;\n")
          .append("activations are allocated once per plan and stay on the device between tasks; inputs go over every\n")
          .append("call (i64 inputs, token ids and masks, are converted to {@code IntArray} on the host first), outputs\n")
          .append("come back every call. A plan (buffers, TaskGraph, execution plan) is built per input shape and kept\n")
          .append("(at most ").append(MAX_PLANS).append("). {@code forward} runs one call at a time per instance.\n\n");
      sb.append("<p>Layers (task groups, in order):\n<pre>\n");
      int width = 0;
      for (Group gr : groups) width = Math.max(width, gr.scope().length());
      for (Group gr : groups) {
        sb.append("  ").append(pad(Names.comment(gr.scope()), width)).append("  ").append(gr.tasks().size())
            .append(gr.tasks().size() == 1 ? " task" : " tasks").append('\n');
      }
      return sb.append("</pre>\n").toString();
    }

    private static String pad(String s, int width) {
      return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }

    private MethodSpec forward(Set<String> outputs) {
      MethodSpec.Builder fwd = MethodSpec.methodBuilder("forward").addAnnotation(Override.class)
          .addModifiers(Modifier.PUBLIC, Modifier.SYNCHRONIZED).returns(arrayOf(TENSOR))
          .addParameter(arrayOf(TENSOR), "inputs")
          .addJavadoc("Runs the TaskGraph for these inputs' shape (built on first use of the shape).\n");
      CodeBlock.Builder b = CodeBlock.builder();
      b.beginControlFlow("if (inputs.length != $L)", g.inputs().size());
      b.addStatement("throw new IllegalArgumentException($S + inputs.length)", "expected " + g.inputs().size() + " inputs, got ");
      b.endControlFlow();
      b.add("// Check the inputs and bind their symbolic dimensions, as the jvm kernels do.\n");
      Map<String, String> boundBy = new LinkedHashMap<>();
      Map<String, String> inputVars = new LinkedHashMap<>();
      int idx = 0;
      for (Node in : g.inputs()) {
        String name = in.strAttr("name");
        String v = names.allocate(name);
        inputVars.put(in.name(), v);
        b.addStatement("$T $L = $T.typeAndRank(inputs[$L], $S, $T.$L, $L)", TENSOR, v, INPUT_CHECK, idx++, name, DTYPE,
            in.type().dtype(), in.type().rank());
        for (int ax = 0; ax < in.type().rank(); ax++) {
          Dim d = in.type().dim(ax);
          if (d instanceof Dim.Sym sym && !boundBy.containsKey(sym.name())) {
            boundBy.put(sym.name(), name);
            b.addStatement("int $L = $T.bind($L, $S, $L, $S)", Names.symVar(sym.name()), INPUT_CHECK, v, name, ax, sym.name());
          } else {
            b.addStatement("$T.dim($L, $S, $L, $L, $S, $L)", INPUT_CHECK, v, name, ax, Names.dim(d), d.toString(),
                d instanceof Dim.Sym sym ? "\"" + boundBy.get(sym.name()) + "\"" : "null");
          }
        }
      }
      Set<String> checked = new LinkedHashSet<>();
      for (Node in : g.inputs()) checked.add(Names.size(in.type().shape()));
      for (Node n : g.nodes()) {
        if (n.op() == Op.INPUT || n.op() == Op.PARAM || n.op() == Op.CONSTANT || n.op() == Op.RESHAPE || n.type().isStatic()) continue;
        if (!checked.add(Names.size(n.type().shape()))) continue;
        List<String> factors = n.type().shape().stream().map(Names::dim).toList();
        b.addStatement("$T.fits($S, $L)", INPUT_CHECK, n.type().toString(), String.join(", ", factors));
      }
      // Embedding ids: a kernel cannot throw, so they are checked here.
      boolean firstIdCheck = true;
      for (Node n : g.nodes()) {
        if (n.op() != Op.EMBEDDING) continue;
        Node ids = byName.get(kernels.storage(n.operands().get(0)));
        long vocab = byName.get(n.operands().get(1)).type().dim(0).size();
        if (firstIdCheck) {
          b.add("// Embedding ids are checked here: a kernel cannot throw.\n");
          firstIdCheck = false;
        }
        if (ids.op() == Op.INPUT) {
          b.addStatement("checkIds($L.longs(), $L, $S)", inputVars.get(ids.name()), vocab, ids.strAttr("name"));
        } else if (ids.op() == Op.POSITIONS) {
          b.beginControlFlow("if ($L > $L)", Names.dim(ids.type().dim(0)), vocab);
          b.addStatement("throw new IllegalArgumentException($S + ($L - 1) + $S)", "position ", Names.dim(ids.type().dim(0)),
              " is outside the vocabulary [0, " + vocab + ") of " + byName.get(n.operands().get(1)).strAttr("name"));
          b.endControlFlow();
        }
      }
      List<Dim> syms = symbols();
      String key = syms.isEmpty() ? "\"\"" : syms.size() == 1 ? "Integer.toString(" + Names.dim(syms.get(0)) + ")"
          : String.join(" + \",\" + ", syms.stream().map(Names::dim).toList());
      b.addStatement("Plan plan = plan($L$L)", key, syms.isEmpty() ? "" :
          ", " + String.join(", ", syms.stream().map(Names::dim).toList()));
      b.add("// Inputs go to the device every call; i64 ones (ids, masks) become IntArray here first.\n");
      for (Node in : g.inputs()) {
        if (!needed(in.name())) continue;
        String field = fields.get(in.name());
        if (in.type().dtype() == DType.F32) b.addStatement("copyIn($L.floats(), plan.$L)", inputVars.get(in.name()), field);
        else b.addStatement("toInts($L.longs(), plan.$L)", inputVars.get(in.name()), field);
      }
      b.addStatement("plan.execution.execute()");
      List<CodeBlock> results = new ArrayList<>();
      for (Graph.Output out : g.outputs()) {
        Node value = byName.get(out.value());
        Node src = byName.get(kernels.storage(out.value()));
        String dims = value.type().rank() == 0 ? "" : ", " + String.join(", ", value.type().shape().stream().map(Names::dim).toList());
        CodeBlock data;
        if (src.op() == Op.CONSTANT) {
          data = CodeBlock.of("new float[] {$L}", Names.floatLiteral(src.floatAttr("value")));
        } else if (src.op() == Op.INPUT) {
          data = CodeBlock.of("$L.$L().clone()", inputVars.get(src.name()), src.type().dtype() == DType.F32 ? "floats" : "longs");
        } else if (isWeight(src.name())) {
          data = CodeBlock.of("$L.toHeapArray()", fields.get(src.name()));
        } else {
          data = CodeBlock.of(src.type().dtype() == DType.F32 ? "plan.$L.toHeapArray()" : "longs(plan.$L)", fields.get(src.name()));
        }
        results.add(CodeBlock.of("$T.$L($L$L)", TENSOR, value.type().dtype() == DType.F32 ? "ofFloats" : "ofLongs", data, dims));
      }
      b.addStatement("return new $T[] {$L}", TENSOR, CodeBlock.join(results, ", "));
      return fwd.addCode(b.build()).build();
    }

    private static TypeName arrayOf(ClassName c) {
      return com.palantir.javapoet.ArrayTypeName.of(c);
    }

    /** True when the value's buffer is read by some task (inputs not read need no copy). */
    private boolean needed(String value) {
      return fields.containsKey(value);
    }

    private MethodSpec planLookup() {
      List<Dim> syms = symbols();
      MethodSpec.Builder m = MethodSpec.methodBuilder("plan").addModifiers(Modifier.PRIVATE).returns(self.nestedClass("Plan"))
          .addJavadoc("The plan for this input shape: cached, else built (freeing the least recently used beyond $L).\n",
              MAX_PLANS)
          .addParameter(String.class, "shape");
      for (Dim d : syms) m.addParameter(TypeName.INT, Names.dim(d));
      m.addStatement("Plan plan = plans.get(shape)");
      m.beginControlFlow("if (plan == null)");
      m.beginControlFlow("if (plans.size() >= MAX_PLANS)");
      m.addStatement("Plan eldest = plans.values().iterator().next()");
      m.addStatement("plans.remove(eldest.shape)");
      m.addStatement("eldest.execution.freeDeviceMemory()");
      m.endControlFlow();
      m.addStatement("plan = new Plan(shape$L)", syms.isEmpty() ? "" : ", " + String.join(", ", syms.stream().map(Names::dim).toList()));
      m.addStatement("plans.put(shape, plan)");
      m.endControlFlow();
      m.addStatement("return plan");
      return m.build();
    }

    private TypeSpec planClass(List<Task> tasks, List<Group> groups, Set<String> outputs) {
      List<Dim> syms = symbols();
      TypeSpec.Builder plan = TypeSpec.classBuilder("Plan").addModifiers(Modifier.PRIVATE, Modifier.FINAL)
          .addJavadoc("One input shape's buffers, TaskGraph and execution plan.\n");
      plan.addField(FieldSpec.builder(String.class, "shape", Modifier.FINAL).addJavadoc("The shape, as the cache's key.\n").build());
      for (Dim d : syms) plan.addField(FieldSpec.builder(TypeName.INT, Names.dim(d), Modifier.FINAL).build());
      MethodSpec.Builder ctor = MethodSpec.constructorBuilder().addParameter(String.class, "shape");
      for (Dim d : syms) ctor.addParameter(TypeName.INT, Names.dim(d));
      ctor.addStatement("this.shape = shape");
      for (Dim d : syms) ctor.addStatement("this.$L = $L", Names.dim(d), Names.dim(d));

      // Buffers: inputs the tasks read, then each task's result.
      Set<String> read = new LinkedHashSet<>();
      for (Task t : tasks) read.addAll(t.call().buffers());
      read.addAll(outputs);
      List<String> inputBuffers = new ArrayList<>(), activations = new ArrayList<>(), weights = new ArrayList<>();
      for (Node in : g.inputs()) {
        if (!read.contains(in.name())) continue;
        String field = fields.get(in.name());
        inputBuffers.add(field);
        TypeName type = in.type().dtype() == DType.F32 ? TornadoKernels.FLOAT_ARRAY : TornadoKernels.INT_ARRAY;
        plan.addField(FieldSpec.builder(type, field, Modifier.FINAL)
            .addJavadoc("input $L: $L$L\n", Names.comment(in.strAttr("name")), in.type(),
                in.type().dtype() == DType.I64 ? ", as int" : "").build());
        ctor.addStatement("this.$L = new $T($L)", field, type, Names.size(in.type().shape()));
      }
      for (Task t : tasks) {
        Node n = t.node();
        String field = fields.get(n.name());
        if (!outputs.contains(n.name())) activations.add(field);
        TypeName type = n.type().dtype() == DType.F32 ? TornadoKernels.FLOAT_ARRAY : TornadoKernels.INT_ARRAY;
        plan.addField(FieldSpec.builder(type, field, Modifier.FINAL)
            .addJavadoc("%$L ($L): $L$L\n", Names.comment(n.name()), n.op().irName(), n.type(),
                outputs.contains(n.name()) ? ", an output" : "").build());
        ctor.addStatement("this.$L = new $T($L)", field, type, Names.size(n.type().shape()));
      }
      for (Task t : tasks) {
        for (String b : t.call().buffers()) {
          if (isWeight(b) && !weights.contains(fields.get(b))) weights.add(fields.get(b));
        }
      }
      for (Task t : tasks) {
        List<String> taken = t.call().symbols();
        if (taken.isEmpty() || dimsFields.containsKey(taken)) continue;
        String field = names.allocate("dims_" + String.join("_", taken));
        dimsFields.put(taken, field);
        plan.addField(FieldSpec.builder(TornadoKernels.INT_ARRAY, field, Modifier.FINAL)
            .addJavadoc("The sizes $L, as the kernels that take them read them.\n", String.join(", ", taken)).build());
        ctor.addStatement("this.$L = sizes($L)", field, String.join(", ", taken.stream().map(Names::symVar).toList()));
        weights.add(field);
      }
      ctor.addStatement("$T graph = new $T(GRAPH)", TASK_GRAPH, TASK_GRAPH);
      ctor.addStatement("$T grid = new $T()", GRID_SCHEDULER, GRID_SCHEDULER);
      if (!weights.isEmpty()) {
        ctor.addCode("// Weights (and this shape's sizes): copied by the first execution, then kept on the device.\n");
        ctor.addStatement("graph.transferToDevice($T.FIRST_EXECUTION, $L)", TRANSFER, wrap(weights));
      }
      if (!activations.isEmpty()) {
        ctor.addCode("// Activations: allocated on the device by the first execution; they never come back.\n");
        ctor.addStatement("graph.transferToDevice($T.FIRST_EXECUTION, $L)", TRANSFER, wrap(activations));
      }
      if (!inputBuffers.isEmpty()) {
        ctor.addCode("// Inputs: copied every execution.\n");
        ctor.addStatement("graph.transferToDevice($T.EVERY_EXECUTION, $L)", TRANSFER, wrap(inputBuffers));
      }
      for (Group gr : groups) ctor.addStatement("$L(graph, grid)", gr.method());
      List<String> outs = new ArrayList<>();
      for (String out : outputs) {
        Node n = byName.get(out);
        if (n.op() != Op.INPUT && !isWeight(out) && n.op() != Op.CONSTANT) outs.add(fields.get(out));
      }
      if (!outs.isEmpty()) {
        ctor.addCode("// Outputs: copied back every execution.\n");
        ctor.addStatement("graph.transferToHost($T.EVERY_EXECUTION, $L)", TRANSFER, wrap(outs));
      }
      ctor.addStatement("this.execution = new $T(graph.snapshot())", EXECUTION_PLAN);
      ctor.addStatement("execution.withGridScheduler(grid).withDevice(device)");
      plan.addField(FieldSpec.builder(EXECUTION_PLAN, "execution", Modifier.FINAL).build());
      plan.addMethod(ctor.build());
      for (Group gr : groups) plan.addMethod(groupMethod(gr));
      return plan.build();
    }

    private static String wrap(List<String> items) {
      StringBuilder sb = new StringBuilder();
      int col = 0;
      for (int i = 0; i < items.size(); i++) {
        if (i > 0) {
          sb.append(",");
          if (col > 80) {
            sb.append("\n    ");
            col = 0;
          } else {
            sb.append(' ');
          }
        }
        sb.append(items.get(i));
        col += items.get(i).length() + 2;
      }
      return sb.toString();
    }

    private MethodSpec groupMethod(Group gr) {
      MethodSpec.Builder m = MethodSpec.methodBuilder(gr.method()).addModifiers(Modifier.PRIVATE)
          .addParameter(TASK_GRAPH, "graph").addParameter(GRID_SCHEDULER, "grid")
          .addJavadoc("$L", groupDoc(gr));
      String lastQuote = null;
      for (Task t : gr.tasks()) {
        String q = quote(t.node().loc());
        if (q != null && !q.equals(lastQuote)) {
          for (String line : q.split("\n")) m.addComment("$L", line);
          lastQuote = q;
        }
        TornadoKernels.Call call = t.call();
        List<String> args = new ArrayList<>();
        for (String b : call.buffers()) args.add(fields.get(b));
        if (!call.symbols().isEmpty()) args.add(dimsFields.get(call.symbols()));
        m.addStatement("graph.task($S, $T::$L, new $T(), $L)", t.id(), self, call.method(), TornadoKernels.KERNEL_CONTEXT,
            String.join(", ", args));
        TornadoKernels.Grid grid = call.grid();
        String fn = "grid" + grid.global().size();
        List<String> gargs = new ArrayList<>(grid.global());
        for (Integer l : grid.local()) gargs.add(Integer.toString(l));
        m.addStatement("grid.addWorkerGrid($S, $L($L))", graphName + "." + t.id(), fn, String.join(", ", gargs));
      }
      return m.build();
    }

    /** The Javadoc of one group: the flow of values through its tasks, and what was fused. */
    private String groupDoc(Group gr) {
      StringBuilder sb = new StringBuilder();
      sb.append("Layer {@code ").append(Names.comment(gr.scope()).replace("}", "&#125;")).append("}: ")
          .append(gr.tasks().size()).append(gr.tasks().size() == 1 ? " task" : " tasks").append(".\n<pre>\n");
      int idWidth = 0, inWidth = 0;
      List<String> ins = new ArrayList<>();
      for (Task t : gr.tasks()) {
        idWidth = Math.max(idWidth, t.id().length());
        List<String> vs = new ArrayList<>();
        for (String op : t.node().operands()) {
          Node d = byName.get(op);
          if (isWeight(op) || d.op() == Op.CONSTANT) continue;
          vs.add("%" + op);
        }
        String in = vs.isEmpty() ? "(shape)" : String.join(", ", vs);
        ins.add(in);
        inWidth = Math.max(inWidth, in.length());
      }
      inWidth = Math.min(inWidth, 48);
      List<String> fused = new ArrayList<>();
      for (int i = 0; i < gr.tasks().size(); i++) {
        Task t = gr.tasks().get(i);
        sb.append("  ").append(pad(Names.comment(ins.get(i)), inWidth)).append(" ─▶ [")
            .append(pad(t.id() + "]", idWidth + 1)).append(' ')
            .append(Names.comment(t.call().summary())).append(" ─▶ %").append(Names.comment(t.node().name()))
            .append(' ').append(t.node().type()).append('\n');
        for (String f : t.call().fused()) fused.add("{@code " + Names.comment(t.id()) + "}: " + Names.comment(f));
      }
      sb.append("</pre>\n");
      List<String> views = new ArrayList<>();
      for (Task t : gr.tasks()) {
        for (String op : t.node().operands()) {
          Node d = byName.get(op);
          if ((d.op() == Op.RESHAPE || sliceViews.contains(d.name())) && !views.contains("%" + d.name())) views.add("%" + d.name());
        }
      }
      sb.append(fused.isEmpty() ? "<p>Fused: nothing in this layer.\n" : "<p>Fused:\n<ul>\n");
      for (String f : fused) sb.append("  <li>").append(f).append('\n');
      if (!fused.isEmpty()) sb.append("</ul>\n");
      if (!views.isEmpty()) {
        sb.append("<p>Read in place, no task: ").append(Names.comment(String.join(", ", views))).append(" (views).\n");
      }
      return sb.toString().replace("*/", "*&#47;");
    }

    private void addHostHelpers(TypeSpec.Builder cls) {
      cls.addMethod(MethodSpec.methodBuilder("chooseDevice").addModifiers(Modifier.PRIVATE, Modifier.STATIC).returns(DEVICE)
          .addJavadoc("{@code -Dheed.tornado.device=B:D} (backend, device: as {@code tornado --devices} numbers them), else\n"
              + "TornadoVM's default device ({@code -Dtornado.backend}, {@code -Dtornado.device}).\n")
          .beginControlFlow("if ($T.getTornadoRuntime().getNumBackends() == 0)", RUNTIME_PROVIDER)
          .addStatement("throw new IllegalStateException($S)", "TornadoVM has no backend with a device")
          .endControlFlow()
          .addStatement("String choice = System.getProperty($S)", "heed.tornado.device")
          .beginControlFlow("if (choice == null || choice.isBlank())")
          .addStatement("return $T.getTornadoRuntime().getDefaultDevice()", RUNTIME_PROVIDER)
          .endControlFlow()
          .addStatement("String[] parts = choice.strip().split($S)", ":")
          .beginControlFlow("try")
          .addStatement("return $T.getDevice(Integer.parseInt(parts[0]), parts.length > 1 ? Integer.parseInt(parts[1]) : 0)",
              EXECUTION_PLAN)
          .nextControlFlow("catch ($T e)", NumberFormatException.class)
          .addStatement("throw new IllegalArgumentException($S + choice + $S, e)", "-Dheed.tornado.device=",
              ": expected BACKEND:DEVICE, e.g. 0:1 (see tornado --devices)")
          .endControlFlow()
          .build());
      cls.addMethod(MethodSpec.methodBuilder("floats").addModifiers(Modifier.PRIVATE, Modifier.STATIC)
          .returns(TornadoKernels.FLOAT_ARRAY).addParameter(float[].class, "data")
          .addJavadoc("An off-heap copy of {@code data}.\n")
          .addStatement("$T array = new $T(data.length)", TornadoKernels.FLOAT_ARRAY, TornadoKernels.FLOAT_ARRAY)
          .addStatement("copyIn(data, array)")
          .addStatement("return array").build());
      cls.addMethod(MethodSpec.methodBuilder("copyIn").addModifiers(Modifier.PRIVATE, Modifier.STATIC)
          .addParameter(float[].class, "data").addParameter(TornadoKernels.FLOAT_ARRAY, "array")
          .addStatement("$T.copy(data, 0, array.getSegment(), $T.JAVA_FLOAT, 0, data.length)", MEMORY_SEGMENT, VALUE_LAYOUT)
          .build());
      cls.addMethod(MethodSpec.methodBuilder("toInts").addModifiers(Modifier.PRIVATE, Modifier.STATIC)
          .addJavadoc("i64 → int, saturating (ids and masks keep their sign and whether they are 0).\n")
          .addParameter(long[].class, "data").addParameter(TornadoKernels.INT_ARRAY, "array")
          .beginControlFlow("for (int i = 0; i < data.length; i++)")
          .addStatement("array.set(i, $T.saturatedInt(data[i]))", ACCELERATORS)
          .endControlFlow().build());
      cls.addMethod(MethodSpec.methodBuilder("longs").addModifiers(Modifier.PRIVATE, Modifier.STATIC)
          .returns(long[].class).addParameter(TornadoKernels.INT_ARRAY, "array")
          .addStatement("long[] out = new long[array.getSize()]")
          .addStatement("for (int i = 0; i < out.length; i++) out[i] = array.get(i)")
          .addStatement("return out").build());
      cls.addMethod(MethodSpec.methodBuilder("checkIds").addModifiers(Modifier.PRIVATE, Modifier.STATIC)
          .addParameter(long[].class, "ids").addParameter(TypeName.INT, "vocab").addParameter(String.class, "input")
          .beginControlFlow("for (int i = 0; i < ids.length; i++)")
          .beginControlFlow("if (ids[i] < 0 || ids[i] >= vocab)")
          .addStatement("throw new IllegalArgumentException($S + ids[i] + $S + i + $S + input + $S + vocab + $S)",
              "token id ", " at position ", " of input '", "' is outside the vocabulary [0, ", ")")
          .endControlFlow().endControlFlow().build());
      cls.addMethod(MethodSpec.methodBuilder("sizes").addModifiers(Modifier.PRIVATE, Modifier.STATIC)
          .returns(TornadoKernels.INT_ARRAY).addParameter(int[].class, "values").varargs()
          .addStatement("$T array = new $T(values.length)", TornadoKernels.INT_ARRAY, TornadoKernels.INT_ARRAY)
          .addStatement("for (int i = 0; i < values.length; i++) array.set(i, values[i])")
          .addStatement("return array").build());
      cls.addMethod(MethodSpec.methodBuilder("roundUp").addModifiers(Modifier.PRIVATE, Modifier.STATIC)
          .returns(TypeName.INT).addParameter(TypeName.INT, "n").addParameter(TypeName.INT, "multiple")
          .addStatement("return (n + multiple - 1) / multiple * multiple").build());
      if (hostHelpers.contains("concatHost")) {
        cls.addMethod(MethodSpec.methodBuilder("concatHost").addModifiers(Modifier.PRIVATE, Modifier.STATIC)
            .addJavadoc("Joins {@code parts} along an axis: each part's block of {@code lens[j]·inner} per outer index.\n")
            .returns(float[].class).addParameter(TypeName.INT, "inner").addParameter(int[].class, "lens")
            .addParameter(float[][].class, "parts").varargs()
            .addStatement("int total = 0")
            .addStatement("for (int len : lens) total += len")
            .addStatement("int outer = parts[0].length / (lens[0] * inner)")
            .addStatement("float[] out = new float[outer * total * inner]")
            .addStatement("int o = 0")
            .beginControlFlow("for (int i = 0; i < outer; i++)")
            .beginControlFlow("for (int j = 0; j < parts.length; j++)")
            .addStatement("System.arraycopy(parts[j], i * lens[j] * inner, out, o, lens[j] * inner)")
            .addStatement("o += lens[j] * inner")
            .endControlFlow().endControlFlow()
            .addStatement("return out").build());
      }
      if (hostHelpers.contains("sliceHost")) {
        cls.addMethod(MethodSpec.methodBuilder("sliceHost").addModifiers(Modifier.PRIVATE, Modifier.STATIC)
            .addJavadoc("Elements {@code start … start + len - 1} along an axis of size {@code n}.\n")
            .returns(float[].class).addParameter(float[].class, "x").addParameter(TypeName.INT, "n")
            .addParameter(TypeName.INT, "start").addParameter(TypeName.INT, "len").addParameter(TypeName.INT, "inner")
            .addStatement("int outer = x.length / (n * inner)")
            .addStatement("float[] out = new float[outer * len * inner]")
            .beginControlFlow("for (int o = 0; o < outer; o++)")
            .addStatement("System.arraycopy(x, (o * n + start) * inner, out, o * len * inner, len * inner)")
            .endControlFlow()
            .addStatement("return out").build());
      }
      if (hostHelpers.contains("transposeHost")) {
        cls.addMethod(MethodSpec.methodBuilder("transposeHost").addModifiers(Modifier.PRIVATE, Modifier.STATIC)
            .addJavadoc("out.shape[d] = shape[perm[d]], elements permuted accordingly.\n")
            .returns(float[].class).addParameter(float[].class, "x").addParameter(int[].class, "shape")
            .addParameter(int[].class, "perm")
            .addStatement("int r = shape.length")
            .addStatement("int[] stride = new int[r]")
            .addStatement("for (int d = r - 1, s = 1; d >= 0; s *= shape[d], d--) stride[d] = s")
            .addStatement("float[] out = new float[x.length]")
            .addStatement("int[] index = new int[r]")
            .beginControlFlow("for (int i = 0; i < out.length; i++)")
            .addStatement("int src = 0")
            .addStatement("for (int d = 0; d < r; d++) src += index[d] * stride[perm[d]]")
            .addStatement("out[i] = x[src]")
            .beginControlFlow("for (int d = r - 1; d >= 0 && ++index[d] == shape[perm[d]]; d--)")
            .addStatement("index[d] = 0")
            .endControlFlow()
            .endControlFlow()
            .addStatement("return out").build());
      }
      for (int d = 1; d <= 3; d++) {
        MethodSpec.Builder m = MethodSpec.methodBuilder("grid" + d).addModifiers(Modifier.PRIVATE, Modifier.STATIC)
            .returns(WORKER_GRID);
        List<String> gl = List.of("x", "y", "z").subList(0, d);
        for (String a : gl) m.addParameter(TypeName.INT, a);
        for (String a : gl) m.addParameter(TypeName.INT, "local" + a.toUpperCase(Locale.ROOT));
        ClassName type = d == 1 ? WORKER_GRID_1D : d == 2 ? WORKER_GRID_2D : WORKER_GRID_3D;
        m.addStatement("$T grid = new $T($L)", WORKER_GRID, type, String.join(", ", gl));
        m.addStatement("grid.setLocalWork(localX, $L, $L)", d > 1 ? "localY" : "1", d > 2 ? "localZ" : "1");
        m.addStatement("return grid");
        cls.addMethod(m.build());
      }
    }

    private static String dimsCsv(TensorType t) {
      return String.join(", ", t.shape().stream().map(Dim::toString).toList());
    }
  }
}
