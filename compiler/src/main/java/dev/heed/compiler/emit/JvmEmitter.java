package dev.heed.compiler.emit;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.JavaFile;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterizedTypeName;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import dev.heed.compiler.ir.Dim;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.ir.TensorType;
import dev.heed.dsl.diag.SourceFile;
import dev.heed.runtime.DType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.lang.model.element.Modifier;

/**
 * Emits the jvm target: one public class per model with a typed {@code forward}, the
 * uniform {@code HeedModel} API, a {@code Factory} for {@link java.util.ServiceLoader},
 * and its kernels as static methods ({@link JvmKernels}). Same graph, same bytes.
 */
public final class JvmEmitter {
  static final String RT = "dev.heed.runtime";
  static final ClassName TENSOR = ClassName.get(RT, "Tensor");
  static final ClassName DTYPE = ClassName.get(RT, "DType");
  static final ClassName WEIGHTS = ClassName.get(RT, "Weights");
  static final ClassName TENSOR_SPEC = ClassName.get(RT, "TensorSpec");
  static final ClassName HEED_MODEL = ClassName.get(RT, "HeedModel");
  static final ClassName FACTORY = ClassName.get(RT, "HeedModelFactory");
  static final ClassName PARAM_SPEC = ClassName.get(RT, "HeedModelFactory", "ParamSpec");
  static final ClassName INPUT_CHECK = ClassName.get(RT, "InputCheck");
  static final ClassName WORKSPACE = ClassName.get(RT, "Workspace");
  static final ClassName WORKSPACES = ClassName.get(RT, "Workspaces");

  /**
   * @param javaPackage package of the generated class
   * @param sources spec texts by file name, to quote the spec line above each kernel
   * @param specName the spec's file name as it should appear in the generated comments
   * @param accelerated the fully qualified name of an accelerated class (the tornadovm target's
   *     {@code <Model>Tornado}) that {@code forward} hands each call to when
   *     {@code dev.heed.runtime.accel.Accelerators} can load it, these jvm kernels being the
   *     fallback; null for none (the jvm target)
   */
  public record Options(String javaPackage, Map<String, SourceFile> sources, String specName, String accelerated) {
    /** Options for the jvm target: no accelerated class. */
    public Options(String javaPackage, Map<String, SourceFile> sources, String specName) {
      this(javaPackage, sources, specName, null);
    }
  }

  private static final ClassName ACCELERATORS = ClassName.get(RT + ".accel", "Accelerators");

  private JvmEmitter() {}

  /** The fully qualified name of the class emitted for {@code g}. */
  public static String className(Graph g, String javaPackage) {
    return (javaPackage.isEmpty() ? "" : javaPackage + ".") + classSimpleName(g);
  }

  static String classSimpleName(Graph g) {
    String c = JavaNames.camel(g.name());
    c = Character.toUpperCase(c.charAt(0)) + c.substring(1);
    // A model named Math or Outputs would hide a type its own code uses.
    return JavaNames.unusable(c) ? c + "Model" : c;
  }

  /** Generated source files, by fully qualified class name. */
  public static Map<String, String> emit(Graph g, Options o) {
    String simple = classSimpleName(g);
    ClassName self = ClassName.get(o.javaPackage(), simple);
    BufferPlan plan = BufferPlan.of(g);
    JavaNames names = new JavaNames().reserve("weights", "inputs", "outputs", "result", "INPUTS", "OUTPUTS", "PARAMETERS",
        "forward", "run", "name", "Factory", "Outputs", "out", "workspaces", "ws", "releaseWorkspaces");
    for (BufferPlan.Slot slot : plan.slots()) names.reserve(slot.label());
    for (Node in : g.inputs()) {
      for (Dim d : in.type().shape()) if (d instanceof Dim.Sym sym) names.reserve(JvmKernels.symVar(sym.name()));
    }
    Map<String, Node> byName = g.byName();
    Map<String, String> vars = new HashMap<>();

    TypeSpec.Builder cls = TypeSpec.classBuilder(simple)
        .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
        .addSuperinterface(HEED_MODEL)
        .addJavadoc("$L", classDoc(g, o, plan));
    if (o.accelerated() != null) {
      names.reserve("accelerated");
      cls.addField(FieldSpec.builder(ACCELERATORS.nestedClass("Accelerated"), "accelerated", Modifier.PRIVATE, Modifier.FINAL)
          .addJavadoc("The forward pass on TornadoVM, or null when this JVM runs the jvm kernels below (TornadoVM\n"
              + "missing, no device, or -Dheed.tornado=off).\n").build());
    }

    // Signature constants.
    cls.addField(FieldSpec.builder(listOf(TENSOR_SPEC), "INPUTS", Modifier.PUBLIC, Modifier.STATIC, Modifier.FINAL)
        .addJavadoc("The model's inputs, in declaration order.\n")
        .initializer(specList(g.inputs().stream().map(n -> new Sig(n.strAttr("name"), n.type())).toList())).build());
    List<Sig> outSigs = g.outputs().stream().map(out -> new Sig(out.name(), byName.get(out.value()).type())).toList();
    cls.addField(FieldSpec.builder(listOf(TENSOR_SPEC), "OUTPUTS", Modifier.PUBLIC, Modifier.STATIC, Modifier.FINAL)
        .addJavadoc("The model's outputs, in declaration order.\n")
        .initializer(specList(outSigs)).build());
    CodeBlock.Builder params = CodeBlock.builder().add("$T.of(", List.class);
    List<Node> paramNodes = g.params();
    for (int i = 0; i < paramNodes.size(); i++) {
      Node p = paramNodes.get(i);
      params.add(i == 0 ? "\n" : ",\n").add("    new $T($S, new int[] {$L}, $S)", PARAM_SPEC, p.strAttr("name"), dimsCsv(p.type()),
          p.strAttr("init"));
    }
    params.add(")");
    cls.addField(FieldSpec.builder(listOf(PARAM_SPEC), "PARAMETERS", Modifier.PUBLIC, Modifier.STATIC, Modifier.FINAL)
        .addJavadoc("Every learned tensor: checkpoint name, shape, random-init rule.\n")
        .initializer(params.build()).build());

    // Which arrays forward() reads (kept in fields), which only the constructor's load-time
    // code reads (locals there), and which weights are packed once for Gemm.linear.
    JvmKernels kernels = new JvmKernels(plan, loc -> SpecQuote.text(loc, o.sources(), o.specName()));
    Set<String> forwardUses = new HashSet<>();
    Set<String> loadUses = new HashSet<>();
    Set<String> packed = new LinkedHashSet<>();
    for (Node k : plan.kernels()) uses(k, kernels, plan, forwardUses, packed);
    for (Node k : plan.loadTime()) uses(k, kernels, plan, loadUses, packed);
    for (Graph.Output out : g.outputs()) forwardUses.add(plan.root(out.value()));
    Set<String> packedViaView = new HashSet<>();
    for (String w : packed) if (!plan.root(w).equals(w)) packedViaView.add(plan.root(w));
    Map<String, String> packedVars = new HashMap<>();

    // Parameters: read once by the constructor, into final fields when forward() reads them.
    // Weights used only by linear layers are packed there, once, into the layout the GEMM reads.
    MethodSpec.Builder ctor = MethodSpec.constructorBuilder().addModifiers(Modifier.PUBLIC)
        .addJavadoc("Loads every parameter from {@code weights}, checking names and shapes$L.\n",
            plan.loadTime().isEmpty() ? "" : ", and computes the values that depend on the weights only")
        .addParameter(WEIGHTS, "weights");
    for (Node p : paramNodes) {
      CodeBlock get = CodeBlock.of("weights.get($S, new int[] {$L}, $S)", p.strAttr("name"), dimsCsv(p.type()), p.strAttr("init"));
      String what = JavaNames.comment(p.strAttr("name")) + ": " + p.type();
      boolean array = forwardUses.contains(p.name());
      boolean ctorArray = loadUses.contains(p.name()) || packedViaView.contains(p.name());
      if (!array && !ctorArray && packed.contains(p.name())) {
        String field = names.allocate(p.strAttr("name"));
        cls.addField(FieldSpec.builder(JvmKernels.PACKED_LINEAR, field, Modifier.PRIVATE, Modifier.FINAL)
            .addJavadoc("$L, packed for linear()\n", what).build());
        ctor.addStatement("this.$N = $T.of($L, $L, $L)", field, JvmKernels.PACKED_LINEAR, get, p.type().dim(0), p.type().dim(1));
        packedVars.put(p.name(), "this." + field);
        continue;
      }
      String v = names.allocate(p.strAttr("name"));
      if (array || !ctorArray) {
        cls.addField(FieldSpec.builder(TypeName.get(float[].class), v, Modifier.PRIVATE, Modifier.FINAL)
            .addJavadoc("$L\n", what).build());
        ctor.addStatement("this.$N = $L", v, get);
        vars.put(p.name(), "this." + v);
      } else {
        ctor.addStatement("$T $N = $L", float[].class, v, get);
        vars.put(p.name(), v);
      }
      packFor(p.name(), packed, plan, byName, names, cls, ctor, vars, packedVars, what);
    }
    // Values computed from the weights alone (e.g. the q, k and v weights joined into one):
    // computed here, once, with the same kernels forward() would use.
    if (!plan.loadTime().isEmpty()) ctor.addCode("\n// Computed once, from the weights alone.\n");
    for (Node n : plan.loadTime()) {
      JvmKernels.Call call = kernels.kernelFor(n);
      String v = names.allocate(n.name());
      String what = "%" + JavaNames.comment(n.name()) + " = " + n.op().irName() + "(" + String.join(", ",
          n.operands().stream().map(x -> "%" + JavaNames.comment(x)).toList()) + "): " + n.type() + ", computed once at load time";
      String alloc = CodeBlock.of("new $L[$L]", n.type().dtype() == DType.F32 ? "float" : "long", JvmKernels.size(n.type().shape()))
          .toString();
      if (forwardUses.contains(n.name())) {
        cls.addField(FieldSpec.builder(JvmKernels.arrayType(n.type().dtype()), v, Modifier.PRIVATE, Modifier.FINAL)
            .addJavadoc("$L\n", what).build());
        ctor.addStatement("this.$N = $L", v, alloc);
        vars.put(n.name(), "this." + v);
      } else {
        ctor.addStatement("$T $N = $L", JvmKernels.arrayType(n.type().dtype()), v, alloc);
        vars.put(n.name(), v);
      }
      ctor.addStatement("$L($L)", call.method(), String.join(", ", callArgs(n, call, kernels, plan, vars, packedVars, vars.get(n.name()))));
      packFor(n.name(), packed, plan, byName, names, cls, ctor, vars, packedVars, what);
    }
    cls.addField(FieldSpec.builder(WORKSPACES, "workspaces", Modifier.PRIVATE, Modifier.FINAL)
        .addJavadoc("Working memory for forward(): one workspace per concurrent call, reused.\n")
        .initializer("new $T($L, $L)", WORKSPACES, plan.slots(DType.F32).size(), plan.slots(DType.I64).size()).build());
    if (o.accelerated() != null) {
      // Last, after the jvm kernels' weights: they are the fallback.
      ctor.addStatement("this.accelerated = $T.load($T.class, $S, $S, weights)", ACCELERATORS, self, o.accelerated(), g.name());
    }
    cls.addMethod(ctor.build());

    // Outputs record.
    TypeSpec.Builder outputs = TypeSpec.recordBuilder("Outputs").addModifiers(Modifier.PUBLIC)
        .addJavadoc("The outputs of one forward pass.\n");
    MethodSpec.Builder rc = MethodSpec.constructorBuilder();
    // Record components: distinct (a_b and aB), and not named like Object's methods (hashCode).
    JavaNames accessorNames = new JavaNames().reserve("hashCode", "toString", "equals", "getClass", "wait", "notify",
        "notifyAll", "clone", "finalize");
    Map<String, String> accessors = new HashMap<>();
    for (Sig s : outSigs) accessors.put(s.name(), accessorNames.allocate(s.name()));
    for (Sig s : outSigs) rc.addParameter(TENSOR, accessors.get(s.name()));
    outputs.recordConstructor(rc.build());
    cls.addType(outputs.build());

    // forward().
    MethodSpec.Builder fwd = MethodSpec.methodBuilder("forward").addModifiers(Modifier.PUBLIC)
        .returns(self.nestedClass("Outputs"))
        .addJavadoc("Runs the model. Intermediate tensors live in a workspace taken from this model's pool for the call "
            + "and given back when it ends, so one instance may serve many threads, and a call in steady state allocates "
            + "only its outputs.\n\n");
    Map<String, String> boundBy = new LinkedHashMap<>();
    List<String> fwdParams = new ArrayList<>();
    CodeBlock.Builder body = CodeBlock.builder();
    body.add("// Check the inputs and bind their symbolic dimensions.\n");
    for (Node in : g.inputs()) {
      String name = in.strAttr("name");
      String p = names.allocate(name);
      fwdParams.add(p);
      fwd.addParameter(TENSOR, p);
      fwd.addJavadoc("@param $L $L\n", p, in.type());
      body.addStatement("$T.typeAndRank($N, $S, $T.$L, $L)", INPUT_CHECK, p, name, DTYPE, in.type().dtype(), in.type().rank());
      for (int ax = 0; ax < in.type().rank(); ax++) {
        Dim d = in.type().dim(ax);
        if (d instanceof Dim.Sym sym && !boundBy.containsKey(sym.name())) {
          boundBy.put(sym.name(), name);
          body.addStatement("int $L = $T.bind($N, $S, $L, $S)", JvmKernels.symVar(sym.name()), INPUT_CHECK, p, name, ax, sym.name());
        } else {
          body.addStatement("$T.dim($N, $S, $L, $L, $S, $L)", INPUT_CHECK, p, name, ax, JvmKernels.dim(d), d.toString(),
              d instanceof Dim.Sym sym ? "\"" + boundBy.get(sym.name()) + "\"" : "null");
        }
      }
      String v = names.allocate(in.name() + "_data");
      body.addStatement("$T $L = $N.$L()", JvmKernels.arrayType(in.type().dtype()), v, p, in.type().dtype() == DType.F32 ? "floats" : "longs");
      vars.put(in.name(), v);
    }
    fwd.addJavadoc("@return $L\n", String.join(", ", outSigs.stream().map(Sig::toString).toList()));
    // Sizes bound at run time multiply out in int arithmetic below: check them first, before
    // anything is allocated.
    Set<String> checked = new LinkedHashSet<>();
    for (Node in : g.inputs()) checked.add(JvmKernels.size(in.type().shape()));
    for (Node n : plan.kernels()) {
      if (n.type().isStatic()) continue;
      if (!checked.add(JvmKernels.size(n.type().shape()))) continue;
      List<String> factors = n.type().shape().stream().map(JvmKernels::dim).toList();
      body.addStatement("$T.fits($S, $L)", INPUT_CHECK, n.type().toString(), String.join(", ", factors));
    }
    // A learned position table (embedding of positions) has a row per position: a longer
    // sequence is the caller's error, said here rather than as a bad token id deep inside.
    for (Node n : g.nodes()) {
      if (n.op() != Op.EMBEDDING) continue;
      Node ids = byName.get(n.operands().get(0)), table = byName.get(n.operands().get(1));
      if (ids.op() != Op.POSITIONS || table.op() != Op.PARAM || !(ids.type().dim(0) instanceof Dim.Sym len)
          || !table.type().dim(0).isKnown()) {
        continue;
      }
      body.addStatement("$T.positions($L, $S, $L, $S)", INPUT_CHECK, JvmKernels.symVar(len.name()), len.name(),
          table.type().dim(0).size(), table.strAttr("name"));
    }
    boolean workspace = !plan.slots().isEmpty();
    if (workspace) {
      List<String> counts = new ArrayList<>();
      for (DType t : List.of(DType.F32, DType.I64)) {
        int n = plan.slots(t).size();
        if (n > 0) counts.add(n + (t == DType.F32 ? " float slot" : " long slot") + (n == 1 ? "" : "s"));
      }
      body.add("\n// Working memory: $L, grown only when these sizes need more.\n", String.join(" and ", counts));
      body.addStatement("$T ws = this.workspaces.take()", WORKSPACE);
      body.beginControlFlow("try");
      for (BufferPlan.Slot slot : plan.slots()) {
        body.addStatement("$T $L = ws.$L($L, $L)", JvmKernels.arrayType(slot.dtype()), slot.label(),
            slot.dtype() == DType.F32 ? "floats" : "longs", slot.index(), slot.java());
      }
    }
    String lastQuoted = null;
    for (Node n : plan.kernels()) {
      String q = SpecQuote.text(n.loc(), o.sources(), o.specName());
      if (q != null && !q.equals(lastQuoted)) {
        body.add("\n");
        for (String line : q.split("\n")) body.add("// $L\n", line);
        lastQuoted = q;
      }
      JvmKernels.Call call = kernels.kernelFor(n);
      String v = names.allocate(n.name());
      vars.put(n.name(), v);
      BufferPlan.Slot slot = plan.slotOf(n.name());
      if (slot == null) {
        body.addStatement("$T $L = new $L[$L]", JvmKernels.arrayType(n.type().dtype()), v,
            n.type().dtype() == DType.F32 ? "float" : "long", JvmKernels.size(n.type().shape()));
      } else {
        body.addStatement("$T $L = $L", JvmKernels.arrayType(n.type().dtype()), v, slot.label());
      }
      body.addStatement("$L($L)", call.method(), String.join(", ", callArgs(n, call, kernels, plan, vars, packedVars, v)));
    }
    body.add("\n");
    List<CodeBlock> results = new ArrayList<>();
    // Each output gets an array of its own: an input or parameter returned as an output is
    // copied, and so is a buffer that an earlier output already returns (the same value twice,
    // or two views of one), so that changing one output never changes another.
    Set<String> returned = new HashSet<>();
    for (Graph.Output out : g.outputs()) {
      Node n = byName.get(out.value());
      String root = plan.root(n.name());
      String data = vars.get(root);
      if (n.op() == Op.CONSTANT) data = "new float[] {" + JavaNames.floatLiteral(n.floatAttr("value")) + "}";
      else if (plan.role(root) != BufferPlan.Role.KERNEL || !returned.add(root)) data = data + ".clone()";
      results.add(CodeBlock.of("$T.$L($L$L)", TENSOR, n.type().dtype() == DType.F32 ? "ofFloats" : "ofLongs", data,
          n.type().rank() == 0 ? "" : ", " + dimsJava(n.type())));
    }
    body.addStatement("return new Outputs($L)", CodeBlock.join(results, ", "));
    if (workspace) {
      body.nextControlFlow("finally");
      body.addStatement("this.workspaces.give(ws)");
      body.endControlFlow();
    }
    if (o.accelerated() != null) {
      List<String> accResults = new ArrayList<>();
      for (int i = 0; i < g.outputs().size(); i++) accResults.add("result[" + i + "]");
      fwd.beginControlFlow("if (this.accelerated != null)")
          .addCode("// On TornadoVM: the same graph as one TaskGraph (null: TornadoVM failed, run the jvm kernels).\n")
          .addStatement("$T[] result = this.accelerated.forward($L)", TENSOR,
              String.join(", ", fwdParams))
          .addStatement("if (result != null) return new Outputs($L)", String.join(", ", accResults))
          .endControlFlow();
    }
    fwd.addCode(body.build());
    cls.addMethod(fwd.build());
    cls.addMethod(MethodSpec.methodBuilder("releaseWorkspaces").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
        .addJavadoc("Drops the working memory that idle workspaces hold; later calls allocate it again.\n")
        .addStatement("this.workspaces.clear()").build());

    // The uniform API.
    cls.addMethod(MethodSpec.methodBuilder("name").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
        .returns(String.class).addStatement("return $S", g.name()).build());
    cls.addMethod(MethodSpec.methodBuilder("inputs").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
        .returns(listOf(TENSOR_SPEC)).addStatement("return INPUTS").build());
    cls.addMethod(MethodSpec.methodBuilder("outputs").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
        .returns(listOf(TENSOR_SPEC)).addStatement("return OUTPUTS").build());
    MethodSpec.Builder run = MethodSpec.methodBuilder("run").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
        .returns(ParameterizedTypeName.get(ClassName.get(Map.class), ClassName.get(String.class), TENSOR))
        .addParameter(ParameterizedTypeName.get(ClassName.get(Map.class), ClassName.get(String.class), TENSOR), "inputs");
    List<String> inArgs = new ArrayList<>();
    for (Node in : g.inputs()) inArgs.add(CodeBlock.of("inputs.get($S)", in.strAttr("name")).toString());
    run.addStatement("$T.names(inputs, INPUTS)", INPUT_CHECK);
    run.addStatement("Outputs result = forward($L)", String.join(", ", inArgs));
    run.addStatement("$T<String, $T> outputs = new $T<>()", Map.class, TENSOR, LinkedHashMap.class);
    for (Sig s : outSigs) run.addStatement("outputs.put($S, result.$L())", s.name(), accessors.get(s.name()));
    run.addStatement("return outputs");
    cls.addMethod(run.build());

    // Kernels.
    for (MethodSpec k : kernels.methods()) cls.addMethod(k);

    // Factory for ServiceLoader.
    cls.addType(TypeSpec.classBuilder("Factory").addModifiers(Modifier.PUBLIC, Modifier.STATIC, Modifier.FINAL)
        .addSuperinterface(FACTORY)
        .addJavadoc("Makes {@link $T} instances; registered for {@link java.util.ServiceLoader}.\n", self)
        .addMethod(MethodSpec.constructorBuilder().addModifiers(Modifier.PUBLIC).build())
        .addMethod(MethodSpec.methodBuilder("name").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
            .returns(String.class).addStatement("return $S", g.name()).build())
        .addMethod(MethodSpec.methodBuilder("inputs").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
            .returns(listOf(TENSOR_SPEC)).addStatement("return INPUTS").build())
        .addMethod(MethodSpec.methodBuilder("outputs").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
            .returns(listOf(TENSOR_SPEC)).addStatement("return OUTPUTS").build())
        .addMethod(MethodSpec.methodBuilder("parameters").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
            .returns(listOf(PARAM_SPEC)).addStatement("return PARAMETERS").build())
        .addMethod(MethodSpec.methodBuilder("create").addAnnotation(Override.class).addModifiers(Modifier.PUBLIC)
            .returns(self).addParameter(WEIGHTS, "weights").addStatement("return new $T(weights)", self).build())
        .build());

    JavaFile file = JavaFile.builder(o.javaPackage(), cls.build())
        .addFileComment("Generated by heed from $L. Do not edit: change the spec and recompile.", JavaNames.comment(o.specName()))
        .indent("  ")
        .skipJavaLangImports(true)
        .build();
    return Map.of(self.canonicalName(), file.toString());
  }

  /** The line for META-INF/services/dev.heed.runtime.HeedModelFactory. */
  public static String serviceEntry(Graph g, String javaPackage) {
    return className(g, javaPackage) + "$Factory";
  }

  /** Records what kernel {@code k} reads: roots of its array operands, and the weights it reads packed. */
  private static void uses(Node k, JvmKernels kernels, BufferPlan plan, Set<String> arrays, Set<String> packed) {
    for (int i = 0; i < k.operands().size(); i++) {
      String op = k.operands().get(i);
      if (kernels.isPackedOperand(k, i)) packed.add(op);
      else arrays.add(plan.root(op));
    }
  }

  /** After {@code root}'s array is defined in the constructor: the PackedLinear of every weight it holds. */
  private static void packFor(String root, Set<String> packed, BufferPlan plan, Map<String, Node> byName, JavaNames names,
      TypeSpec.Builder cls, MethodSpec.Builder ctor, Map<String, String> vars, Map<String, String> packedVars, String what) {
    for (String w : packed) {
      if (!plan.root(w).equals(root) || packedVars.containsKey(w)) continue;
      TensorType t = byName.get(w).type();
      String field = names.allocate((w.equals(root) ? vars.get(root).replace("this.", "") : JavaNames.camel(w)) + "_packed");
      cls.addField(FieldSpec.builder(JvmKernels.PACKED_LINEAR, field, Modifier.PRIVATE, Modifier.FINAL)
          .addJavadoc("$L$L, packed for linear()\n", what, w.equals(root) ? "" : " viewed as " + t).build());
      ctor.addStatement("this.$N = $T.of($L, $L, $L)", field, JvmKernels.PACKED_LINEAR, vars.get(root), t.dim(0), t.dim(1));
      packedVars.put(w, "this." + field);
    }
  }

  /** The arguments of a kernel call: its arrays (packed weights where it reads them packed), its output, its symbols. */
  private static List<String> callArgs(Node n, JvmKernels.Call call, JvmKernels kernels, BufferPlan plan, Map<String, String> vars,
      Map<String, String> packedVars, String out) {
    List<String> args = new ArrayList<>();
    for (int i = 0; i < n.operands().size(); i++) {
      String op = n.operands().get(i);
      if (plan.graph().byName().get(op).op() == Op.CONSTANT) continue;
      args.add(kernels.isPackedOperand(n, i) ? packedVars.get(op) : vars.get(plan.root(op)));
    }
    args.add(out);
    for (String s : call.symbols()) args.add(JvmKernels.symVar(s));
    return args;
  }

  private record Sig(String name, TensorType type) {
    @Override public String toString() { return name + ": " + type; }
  }

  private static String classDoc(Graph g, Options o, BufferPlan plan) {
    StringBuilder sb = new StringBuilder();
    sb.append("The model {@code ").append(g.name()).append("}, compiled by heed from {@code ")
        .append(JavaNames.comment(o.specName()).replace("}", "&#125;")).append("}.\n\n");
    sb.append("<p>Inputs:\n<ul>\n");
    for (Node in : g.inputs()) sb.append("  <li>{@code ").append(in.strAttr("name")).append(": ").append(in.type()).append("}\n");
    sb.append("</ul>\n<p>Outputs:\n<ul>\n");
    Map<String, Node> byName = g.byName();
    for (Graph.Output out : g.outputs()) {
      sb.append("  <li>{@code ").append(out.name()).append(": ").append(byName.get(out.value()).type()).append("}\n");
    }
    long params = 0;
    for (Node p : g.params()) {
      long n = 1;
      for (Dim d : p.type().shape()) n *= d.size();
      params += n;
    }
    sb.append("</ul>\n<p>").append(g.params().size()).append(" parameter tensors, ").append(params).append(" floats.\n");
    sb.append("\n<p>Working memory per call (the buffer plan): ").append(plan.kernels().size()).append(" kernels write their ")
        .append("results to ").append(plan.slots().size()).append(plan.slots().size() == 1 ? " slot" : " slots")
        .append(" of a reused workspace, ").append(JavaNames.comment(plan.formula())).append(" bytes");
    if (!plan.slots().isEmpty()) {
      sb.append(":\n<ul>\n");
      for (BufferPlan.Slot s : plan.slots()) {
        sb.append("  <li>{@code ").append(s.label()).append("}: {@code ").append(s.dtype() == DType.F32 ? "float" : "long")
            .append("[").append(JavaNames.comment(s.formula())).append("]}, ").append(s.buffers().size())
            .append(s.buffers().size() == 1 ? " buffer\n" : " buffers\n");
      }
      sb.append("</ul>\n<p>");
    } else {
      sb.append(". ");
    }
    Set<String> syms = new java.util.TreeSet<>();
    for (Node n : g.nodes()) for (Dim d : n.type().shape()) if (d instanceof Dim.Sym s) syms.add(s.name());
    List<String> at = new ArrayList<>();
    for (String s : syms) at.add(s + " = " + exampleSize(s));
    sb.append(at.isEmpty() ? "That is " : "At " + String.join(", ", at) + " that is ")
        .append(mib(plan.workspaceBytes(JvmEmitter::exampleSize)))
        .append(" (a buffer per kernel would take ").append(mib(plan.unplannedBytes(JvmEmitter::exampleSize)))
        .append(", outputs included), plus ").append(mib(plan.outputBytes(JvmEmitter::exampleSize)))
        .append(" of outputs, allocated per call.\n");
    if (o.accelerated() != null) {
      String acc = o.accelerated().substring(o.accelerated().lastIndexOf('.') + 1);
      sb.append("\n<p>Built for target {@code tornadovm}: {@link #forward} runs on TornadoVM ({@link ").append(acc)
          .append("}) when its classes and a device are present, else these jvm kernels, after a one-line notice; see ")
          .append("{@link dev.heed.runtime.accel.Accelerators}.\n");
    }
    return sb.toString();
  }

  /** The sizes the class comment quotes memory at: batch 8, every other symbol 128. */
  private static long exampleSize(String symbol) {
    return symbol.equals("batch") ? 8 : 128;
  }

  private static String mib(long bytes) {
    return BufferPlan.bytes(bytes);
  }

  private static TypeName listOf(ClassName c) {
    return ParameterizedTypeName.get(ClassName.get(List.class), c);
  }

  private static CodeBlock specList(List<Sig> sigs) {
    CodeBlock.Builder b = CodeBlock.builder().add("$T.of(", List.class);
    for (int i = 0; i < sigs.size(); i++) {
      Sig s = sigs.get(i);
      List<String> dims = s.type().shape().stream().map(d -> "\"" + d + "\"").toList();
      b.add(i == 0 ? "\n" : ",\n").add("    new $T($S, $T.$L, $T.of($L))", TENSOR_SPEC, s.name(), DTYPE, s.type().dtype(),
          List.class, String.join(", ", dims));
    }
    return b.add(")").build();
  }

  private static String dimsCsv(TensorType t) {
    return String.join(", ", t.shape().stream().map(Dim::toString).toList());
  }

  private static String dimsJava(TensorType t) {
    return String.join(", ", t.shape().stream().map(JvmKernels::dim).toList());
  }
}
