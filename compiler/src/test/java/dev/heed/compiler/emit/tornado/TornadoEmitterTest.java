package dev.heed.compiler.emit.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.compiler.HeedCompiler;
import dev.heed.compiler.emit.JvmEmitter;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.IrParser;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.jar.InMemoryJavac;
import dev.heed.dsl.diag.HeedException;
import dev.heed.dsl.diag.SourceFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * The tornadovm target's output, checked for structure (the build has no TornadoVM to compile
 * against; {@code bench/tornadovm-check} runs it on TornadoVM): one TaskGraph, a WorkerGrid for
 * every task, stable task names, weights sent once and outputs every call, a flow drawing per
 * layer, a kernel for every op the examples use, and the jvm class delegating to it.
 */
class TornadoEmitterTest {
  /** Every fused op in its forms (the IR of the jvm emitter's FusedOpsEmitTest). */
  static final String IR = """
      graph Fused {
        %x = input {name = "x"} : f32[batch, seq, 8]
        %m = input {name = "m"} : i64[batch, seq]
        %wi = input {name = "wi"} : f32[8, 8]
        %pm = padding_mask(%m) : f32[batch, 1, seq]
        %mask = reshape(%pm) {shape = dims[batch, 1, 1, seq]} : f32[batch, 1, 1, seq]
        %cm = causal_mask(%x) {axis = 1} : f32[seq, seq]
        %wq = param {name = "wq", init = "uniform"} : f32[8, 8]
        %wk = param {name = "wk", init = "uniform"} : f32[8, 8]
        %wv = param {name = "wv", init = "uniform"} : f32[8, 8]
        %bq = param {name = "bq", init = "uniform"} : f32[8]
        %bk = param {name = "bk", init = "uniform"} : f32[8]
        %bv = param {name = "bv", init = "uniform"} : f32[8]
        %g = param {name = "g", init = "uniform"} : f32[8]
        %w = concat(%wq, %wk, %wv) {axis = 0} : f32[24, 8]
        %b = concat(%bq, %bk, %bv) {axis = 0} : f32[24]
        %y = linear(%x, %w, %b) : f32[batch, seq, 24]
        %q = slice(%y) {axis = 2, start = 0, end = 8} : f32[batch, seq, 8]
        %k = slice(%y) {axis = 2, start = 8, end = 16} : f32[batch, seq, 8]
        %v = slice(%y) {axis = -1, start = 16, end = 24} : f32[batch, seq, 8]
        %o = mha(%q, %k, %v, %mask) {heads = 2, scale = 0.5} : f32[batch, seq, 8]
        %o2 = mha(%x, %k, %v) {heads = 4, scale = 0.3} : f32[batch, seq, 8]
        %o3 = mha(%o, %o2, %x, %cm) {heads = 2, scale = 0.25} : f32[batch, seq, 8]
        %f1 = fused_linear(%o3, %wq, %bq) {epilogue = "bias,gelu"} : f32[batch, seq, 8]
        %f2 = fused_linear(%f1, %wk, %x) {epilogue = "relu,residual"} : f32[batch, seq, 8]
        %f3 = fused_linear(%f2, %wi, %bv, %o) {epilogue = "bias,tanh,residual"} : f32[batch, seq, 8]
        %f4 = fused_linear(%f3, %w, %b) {epilogue = "bias,sigmoid"} : f32[batch, seq, 24]
        %f5 = fused_linear(%f3, %wv) {epilogue = "gelu_tanh"} : f32[batch, seq, 8]
        %n1 = add_layer_norm(%f5, %x, %g, %bk) {eps = 1.0E-5} : f32[batch, seq, 8]
        %n2 = add_rms_norm(%n1, %f2, %g) {eps = 1.0E-6} : f32[batch, seq, 8]
        %pe = sinusoidal(%x) {axis = 1, dim = 8} : f32[seq, 8]
        %col = slice(%f4) {axis = 2, start = 3, end = 4} : f32[batch, seq, 1]
        %mid = slice(%y) {axis = 2, start = 4, end = 12} : f32[batch, seq, 8]
        %c = constant {value = 0.25} : f32[]
        %e = elementwise(%n2, %pe, %c, %col, %mid, %bq) {expr = "((sigmoid((($0 * $1) + $2)) - neg($3)) + (($4 / 2.0) * $5))"} : f32[batch, seq, 8]
        %r = reshape(%n1) {shape = dims[batch, seq, 2, 4]} : f32[batch, seq, 2, 4]
        output e = %e
        output n1 = %r
        output mid = %mid
        output wv = %wv
      }
      """;

  static Path repo() {
    return Path.of(System.getProperty("heed.repoRoot", "..")).toAbsolutePath().normalize();
  }

  static Stream<String> examples() throws IOException {
    try (Stream<Path> s = Files.walk(repo().resolve("examples"))) {
      return s.filter(p -> p.toString().endsWith(".heed")).map(p -> repo().relativize(p).toString().replace('\\', '/'))
          .sorted().toList().stream();
    }
  }

  static HeedCompiler.Result compile(String spec) throws IOException {
    String text = Files.readString(repo().resolve(spec));
    return HeedCompiler.compile(new SourceFile(spec, text),
        HeedCompiler.Options.defaults().withPackage("t.tv").withTarget(HeedCompiler.TARGET_TORNADOVM), s -> { });
  }

  @ParameterizedTest
  @MethodSource("examples")
  void everyExampleBecomesOneTaskGraphWithAGridPerTask(String spec) throws IOException {
    HeedCompiler.Result r = compile(spec);
    assertEquals(2, r.javaSources().size(), "the model class and its TornadoVM class");
    String jvmName = JvmEmitter.className(r.ir(), "t.tv");
    String tornadoName = TornadoEmitter.tornadoClassName(r.ir(), "t.tv");
    assertTrue(TornadoEmitter.isTornadoClass(tornadoName, r.javaSources()));
    assertFalse(TornadoEmitter.isTornadoClass(jvmName, r.javaSources()));
    checkStructure(r.ir(), r.javaSources().get(tornadoName));
    checkDelegation(r.javaSources().get(jvmName), tornadoName);
    // Same spec, same bytes.
    assertEquals(r.javaSources(), compile(spec).javaSources());
  }

  /** The checks that hold for any emitted TornadoVM class. */
  static void checkStructure(Graph g, String java) {
    assertEquals(1, count(java, "new TaskGraph(GRAPH)"), "one TaskGraph per forward pass");
    assertEquals(1, count(java, "new TornadoExecutionPlan(graph.snapshot())"));
    assertTrue(java.contains("execution.withGridScheduler(grid).withDevice(device)"), "a GridScheduler, and the chosen device");
    if (!g.params().isEmpty()) {
      assertTrue(java.contains("graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, "), "weights once");
    }
    assertTrue(java.contains("graph.transferToHost(DataTransferMode.EVERY_EXECUTION, "), "outputs every call");
    assertFalse(java.contains("transferToHost(DataTransferMode.FIRST_EXECUTION"), java);
    assertFalse(java.contains("UNDER_DEMAND"));
    assertTrue(java.contains("private Plan plan(String shape"), "plans cached per input shape");

    // Every task: a stable, unique id, a WorkerGrid under "<graph>.<id>", a kernel that exists.
    String graph = match(java, "public static final String GRAPH = \"([a-z0-9_.]+)\";");
    Matcher task = Pattern.compile("graph\\.task\\(\"([A-Za-z0-9_.]+)\", \\w+::(\\w+), new KernelContext\\(\\), ([^;]*)\\);\n"
        + "\\s*grid\\.addWorkerGrid\\(\"([A-Za-z0-9_.]+)\", grid([123])\\(([^;]*)\\)\\);").matcher(java);
    Set<String> ids = new LinkedHashSet<>();
    int tasks = 0;
    while (task.find()) {
      tasks++;
      assertTrue(ids.add(task.group(1)), "task ids are unique: " + task.group(1));
      assertEquals(graph + "." + task.group(1), task.group(4), "the WorkerGrid is the task's");
      assertTrue(java.contains("public static void " + task.group(2) + "(KernelContext context,"), "kernel " + task.group(2));
      int dims = Integer.parseInt(task.group(5));
      assertEquals(2 * dims, topLevel(task.group(6)).size(), "global and local sizes per dimension: " + task.group(6));
      assertTrue(topLevel(task.group(3)).size() + 1 <= TornadoKernels.MAX_TASK_ARGS, "TornadoVM takes at most 20 task arguments");
    }
    assertEquals(count(java, "graph.task("), tasks, "every task has a grid right after it");
    assertTrue(tasks > 0);

    // One Javadoc flow block per group method, one line per task in it.
    Matcher group = Pattern.compile("/\\*\\*\n\\s*\\* Layer \\{@code ([^}]*)\\}: (\\d+) tasks?\\.\n\\s*\\* <pre>\n((?:\\s*\\*.*─▶ \\[.*\n)+)"
        + "\\s*\\* </pre>\n").matcher(java);
    int drawn = 0, groups = 0;
    while (group.find()) {
      groups++;
      int n = Integer.parseInt(group.group(2));
      assertEquals(n, group.group(3).split("\n").length, "one flow line per task in " + group.group(1));
      drawn += n;
    }
    assertTrue(groups > 0);
    assertEquals(tasks, drawn, "every task is drawn in its layer's flow");
    assertEquals(groups, count(java, "(graph, grid);"), "each group method is called once");
    assertTrue(java.contains("<p>Fused"), "each layer lists what was fused");

    // Kernels quote the spec; no leftovers of the jvm target.
    assertFalse(java.contains("dev.heed.runtime.kernels"), "no jvm kernels in the TornadoVM class");
    assertFalse(Pattern.compile("public static void \\w+\\(KernelContext[^)]*\\[\\]").matcher(java).find(),
        "kernels take FloatArray and IntArray, never Java arrays");
  }

  static void checkDelegation(String jvm, String tornadoName) {
    assertTrue(jvm.contains("this.accelerated = Accelerators.load("), jvm);
    assertTrue(jvm.contains("\"" + tornadoName + "\""), "loaded by name: no link-time reference");
    assertFalse(jvm.contains("uk.ac.manchester"), "the jvm class runs without TornadoVM");
    Matcher fwd = Pattern.compile("public Outputs forward\\([^)]*\\) \\{\n    if \\(this\\.accelerated != null\\) \\{").matcher(jvm);
    assertTrue(fwd.find(), "forward delegates first");
  }

  @Test
  void miniLmTasksAreNamedAfterTheLayers() throws IOException {
    HeedCompiler.Result r = compile("examples/minilm/minilm.heed");
    String java = r.javaSources().get("t.tv.MiniLMTornado");
    for (int layer = 0; layer < 6; layer++) {
      assertTrue(java.contains("graph.task(\"encoder.layer." + layer + ".attention\""), "layer " + layer);
      assertTrue(java.contains("Layer {@code encoder.layer." + layer + "}"), "layer " + layer + " has its flow drawn");
    }
    assertTrue(java.contains("graph.task(\"embeddings."), java);
    assertTrue(java.contains("grid.addWorkerGrid(\"minilm.encoder.layer.3.attention\""));
    // Embedding ids are checked on the host; i64 inputs go over as IntArray.
    assertTrue(java.contains("checkIds(inputIds.longs(), 30522, \"input_ids\")"), java);
    assertTrue(java.contains("toInts(attentionMask.longs(), plan."), java);
    assertTrue(java.contains("System.setProperty(\"tornado.recover.bailout\", \"False\")"));
  }

  /** Ops every example uses after the passes: each has a kernel (or is a view or a source). */
  @Test
  void everyOpTheExamplesUseHasAKernel() throws IOException {
    Set<Op> used = EnumSet.noneOf(Op.class);
    for (String spec : examples().toList()) {
      for (Node n : compile(spec).ir().nodes()) used.add(n.op());
    }
    Set<Op> sources = EnumSet.of(Op.INPUT, Op.PARAM, Op.CONSTANT, Op.RESHAPE);
    for (Op op : used) {
      assertTrue(sources.contains(op) || TornadoKernels.SUPPORTED.contains(op), op.irName() + " has no TornadoVM kernel");
    }
    // And every op at all: none falls back to the host silently.
    for (Op op : Op.values()) {
      assertTrue(sources.contains(op) || TornadoKernels.SUPPORTED.contains(op), op.irName() + " has no TornadoVM kernel");
    }
  }

  /** The fused ops (mha on QKV slices, every epilogue, fused norms, elementwise, load-time concat). */
  @Test
  void fusedOpsGetTheirKernels() {
    Graph g = IrParser.parse(IR, "fused.ir");
    Map<String, String> java = TornadoEmitter.emit(g, new JvmEmitter.Options("t.fused", Map.of(), "fused.ir"));
    String tv = java.get("t.fused.FusedTornado");
    checkStructure(g, tv);
    assertTrue(tv.contains("public static void mha2x4(KernelContext context,"), tv);
    // q, k, v read in place: columns 0, 8, 16 of rows of 24, no slice tasks for them.
    assertTrue(tv.contains("int qOff = i0 * seq * 24 + i1 * 4;"), tv);
    assertTrue(tv.contains("int kOff = i0 * seq * 24 + i1 * 4 + 8;"), tv);
    assertTrue(tv.contains("int vOff = i0 * seq * 24 + i1 * 4 + 16;"), tv);
    assertTrue(tv.contains("%q, %k, %v read as column slices of %y (one QKV GEMM, no copies)"), tv);
    assertTrue(tv.contains("public static void slice(KernelContext context,"), "a slice read by others is copied");
    // The epilogues.
    assertTrue(tv.contains("value0 = gelu(value0);"), tv);
    assertTrue(tv.contains("value3 = value3 + res.get((row0 + ty + 12) * 8 + col);"), tv);
    assertTrue(tv.contains("value7 = TornadoMath.tanh(value7);"), tv);
    assertTrue(tv.contains("value1 = sigmoid(value1);"), tv);
    assertTrue(tv.contains("public static void addLayerNorm8(KernelContext context,"));
    assertTrue(tv.contains("public static void addRmsNorm8(KernelContext context,"));
    assertTrue(tv.contains("public static void elementwise(KernelContext context,"));
    // Weights joined once at load time, on the host, not by a task.
    assertTrue(tv.contains("concatHost("), tv);
    assertFalse(tv.contains("public static void concat("), tv);
  }

  /** Only where a tornado-api jar is at hand (not on CI): every TornadoVM class compiles, with -Xlint:all -Werror. */
  @Test
  void everyTornadoClassCompilesAgainstTornadoApiWhereItIsAvailable() throws IOException {
    Path api;
    try {
      api = TornadoApi.locate(null, System.getenv(), Path.of(System.getProperty("user.home")));
    } catch (TornadoApi.MissingException e) {
      api = null;
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(api != null && Files.size(api) > 0, "no tornado-api jar here");
    List<Path> cp = new ArrayList<>(InMemoryJavac.runtimeClasspath());
    cp.add(api);
    List<Map<String, String>> all = new ArrayList<>();
    for (String spec : examples().toList()) all.add(compile(spec).javaSources());
    all.add(TornadoEmitter.emit(IrParser.parse(IR, "fused.ir"), new JvmEmitter.Options("t.fused", Map.of(), "fused.ir")));
    for (Map<String, String> sources : all) {
      Map<String, String> tornado = new java.util.TreeMap<>(), jvm = new java.util.TreeMap<>();
      sources.forEach((k, v) -> (TornadoEmitter.isTornadoClass(k, sources) ? tornado : jvm).put(k, v));
      InMemoryJavac.compile(jvm);
      Map<String, byte[]> classes = InMemoryJavac.compile(tornado, cp, TornadoApi.release(api));
      assertFalse(classes.isEmpty());
    }
  }

  @Test
  void anOpWithoutAKernelIsACompileErrorAtItsSpecLine() {
    String spec = """
        model Big {
          input q: f32[b, s, 4096];
          output o = attention(q, q, q);
        }
        """;
    HeedException e = assertThrows(HeedException.class, () -> HeedCompiler.compile(new SourceFile("big.heed", spec),
        HeedCompiler.Options.defaults().withTarget(HeedCompiler.TARGET_TORNADOVM), s -> { }));
    String text = e.render();
    assertTrue(text.startsWith("big.heed:3:"), text);
    assertTrue(text.contains("attention: head size 4096"), text);
    assertTrue(text.contains("the tornadovm target needs a kernel for every op"), text);
    // The jvm target takes it.
    HeedCompiler.compile(new SourceFile("big.heed", spec), HeedCompiler.Options.defaults(), s -> { });
  }

  @Test
  void hostileNamesStayInert() {
    Graph g = IrParser.parse("""
        graph Evil {
          %x = input {name = "x"} : f32[n, 4]
          %w = param {name = "a*/b\\\\u000a.\\"c", init = "uniform"} : f32[4, 4]
          %y = linear(%x, %w) : f32[n, 4]
          output y = %y
        }
        """, "evil.ir");
    String tv = TornadoEmitter.emit(g, new JvmEmitter.Options("t.e", Map.of(), "evil.ir")).get("t.e.EvilTornado");
    Matcher ids = Pattern.compile("graph\\.task\\(\"([^\"]*)\"").matcher(tv);
    List<String> found = new ArrayList<>();
    while (ids.find()) found.add(ids.group(1));
    assertEquals(1, found.size(), tv);
    assertTrue(found.get(0).matches("[A-Za-z0-9_.]+"), found.get(0));
    for (String line : tv.split("\n")) {
      String t = line.strip();
      if (t.startsWith("*") || t.startsWith("//")) assertFalse(t.contains("a*/b"), "no comment end from a name: " + line);
    }
  }

  /** Comma-separated arguments, not splitting inside parentheses. */
  private static List<String> topLevel(String args) {
    List<String> out = new ArrayList<>();
    int depth = 0, start = 0;
    for (int i = 0; i < args.length(); i++) {
      char c = args.charAt(i);
      if (c == '(') depth++;
      else if (c == ')') depth--;
      else if (c == ',' && depth == 0) {
        out.add(args.substring(start, i).strip());
        start = i + 1;
      }
    }
    out.add(args.substring(start).strip());
    return out;
  }

  private static int count(String s, String what) {
    int n = 0;
    for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) n++;
    return n;
  }

  private static String match(String s, String regex) {
    Matcher m = Pattern.compile(regex).matcher(s);
    assertTrue(m.find(), regex);
    return m.group(1);
  }
}
