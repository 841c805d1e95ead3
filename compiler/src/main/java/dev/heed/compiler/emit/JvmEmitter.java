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
import dev.heed.compiler.ir.Loc;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.ir.TensorType;
import dev.heed.dsl.diag.SourceFile;
import dev.heed.runtime.DType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

  /**
   * @param javaPackage package of the generated class
   * @param sources spec texts by file name, to quote the spec line above each kernel
   * @param specName the spec's file name as it should appear in the generated comments
   */
  public record Options(String javaPackage, Map<String, SourceFile> sources, String specName) {}

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
    JavaNames names = new JavaNames().reserve("weights", "inputs", "outputs", "result", "INPUTS", "OUTPUTS", "PARAMETERS",
        "forward", "run", "name", "Factory", "Outputs", "out");
    for (Node in : g.inputs()) {
      for (Dim d : in.type().shape()) if (d instanceof Dim.Sym sym) names.reserve(JvmKernels.symVar(sym.name()));
    }
    Map<String, Node> byName = g.byName();
    Map<String, String> vars = new HashMap<>();

    TypeSpec.Builder cls = TypeSpec.classBuilder(simple)
        .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
        .addSuperinterface(HEED_MODEL)
        .addJavadoc("$L", classDoc(g, o));

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

    // Parameters: one final field each, read once by the constructor. Weights used only by
    // linear layers are packed there, once, into the layout the GEMM kernel reads.
    JvmKernels kernels = new JvmKernels(g, loc -> quote(loc, o));
    MethodSpec.Builder ctor = MethodSpec.constructorBuilder().addModifiers(Modifier.PUBLIC)
        .addJavadoc("Loads every parameter from {@code weights}, checking names and shapes.\n")
        .addParameter(WEIGHTS, "weights");
    for (Node p : paramNodes) {
      String field = names.allocate(p.strAttr("name"));
      vars.put(p.name(), "this." + field);
      boolean packed = kernels.isPackedWeight(p.name());
      cls.addField(FieldSpec.builder(packed ? JvmKernels.PACKED_LINEAR : TypeName.get(float[].class), field, Modifier.PRIVATE,
          Modifier.FINAL).addJavadoc("$L: $L$L\n", JavaNames.comment(p.strAttr("name")), p.type(), packed ? ", packed for linear()" : "").build());
      CodeBlock get = CodeBlock.of("weights.get($S, new int[] {$L}, $S)", p.strAttr("name"), dimsCsv(p.type()), p.strAttr("init"));
      if (packed) {
        ctor.addStatement("this.$N = $T.of($L, $L, $L)", field, JvmKernels.PACKED_LINEAR, get, p.type().dim(0), p.type().dim(1));
      } else {
        ctor.addStatement("this.$N = $L", field, get);
      }
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
        .addJavadoc("Runs the model. Buffers are allocated per call, so one instance may serve many threads.\n\n");
    Map<String, String> boundBy = new LinkedHashMap<>();
    CodeBlock.Builder body = CodeBlock.builder();
    body.add("// Check the inputs and bind their symbolic dimensions.\n");
    for (Node in : g.inputs()) {
      String name = in.strAttr("name");
      String p = names.allocate(name);
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
    // Sizes bound at run time multiply out in int arithmetic below: check them first.
    java.util.Set<String> checked = new java.util.LinkedHashSet<>();
    for (Node in : g.inputs()) checked.add(JvmKernels.size(in.type().shape()));
    for (Node n : g.nodes()) {
      if (n.op() == Op.INPUT || n.op() == Op.PARAM || n.op() == Op.CONSTANT || n.op() == Op.RESHAPE || n.type().isStatic()) continue;
      if (!checked.add(JvmKernels.size(n.type().shape()))) continue;
      List<String> factors = n.type().shape().stream().map(JvmKernels::dim).toList();
      body.addStatement("$T.fits($S, $L)", INPUT_CHECK, n.type().toString(), String.join(", ", factors));
    }
    String lastQuoted = null;
    for (Node n : g.nodes()) {
      switch (n.op()) {
        case INPUT, PARAM -> { }
        case CONSTANT -> vars.put(n.name(), null);
        // A reshape is a new view of the same row-major data: no code, no copy.
        case RESHAPE -> vars.put(n.name(), vars.get(n.operands().get(0)));
        default -> {
          String q = quote(n.loc(), o);
          if (q != null && !q.equals(lastQuoted)) {
            body.add("\n// $L\n", q);
            lastQuoted = q;
          }
          JvmKernels.Call call = kernels.kernelFor(n);
          String v = names.allocate(n.name());
          vars.put(n.name(), v);
          body.addStatement("$T $L = new $L[$L]", JvmKernels.arrayType(n.type().dtype()), v,
              n.type().dtype() == DType.F32 ? "float" : "long", JvmKernels.size(n.type().shape()));
          List<String> args = new ArrayList<>();
          for (String a : call.arrays()) args.add(vars.get(a));
          args.add(v);
          for (String s : call.symbols()) args.add(JvmKernels.symVar(s));
          body.addStatement("$L($L)", call.method(), String.join(", ", args));
        }
      }
    }
    body.add("\n");
    List<CodeBlock> results = new ArrayList<>();
    for (Graph.Output out : g.outputs()) {
      Node n = byName.get(out.value());
      String data = vars.get(n.name());
      if (n.op() == Op.CONSTANT) data = "new float[] {" + JvmKernels.floatLiteral(n.floatAttr("value")) + "}";
      else if (n.op() == Op.INPUT || n.op() == Op.PARAM || isView(n, byName)) data = data + ".clone()";
      results.add(CodeBlock.of("$T.$L($L$L)", TENSOR, n.type().dtype() == DType.F32 ? "ofFloats" : "ofLongs", data,
          n.type().rank() == 0 ? "" : ", " + dimsJava(n.type())));
    }
    body.addStatement("return new Outputs($L)", CodeBlock.join(results, ", "));
    fwd.addCode(body.build());
    cls.addMethod(fwd.build());

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

  private record Sig(String name, TensorType type) {
    @Override public String toString() { return name + ": " + type; }
  }

  /** True when {@code n} is a reshape chain ending at an input or param, whose array the caller must not share. */
  private static boolean isView(Node n, Map<String, Node> byName) {
    while (n.op() == Op.RESHAPE) n = byName.get(n.operands().get(0));
    return n.op() == Op.INPUT || n.op() == Op.PARAM;
  }

  private static String classDoc(Graph g, Options o) {
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
    return sb.toString();
  }

  private static String quote(Loc loc, Options o) {
    if (!loc.isKnown()) return null;
    SourceFile f = o.sources().get(loc.file());
    String text = f == null ? "" : f.line(loc.line()).strip();
    String file = loc.file().equals(o.specName()) ? shortName(loc.file()) : loc.file();
    // Spec comments and strings may hold anything: the quote goes into Java comments.
    return JavaNames.comment(file + ":" + loc.line() + ": " + text);
  }

  private static String shortName(String path) {
    int slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
    return path.substring(slash + 1);
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
