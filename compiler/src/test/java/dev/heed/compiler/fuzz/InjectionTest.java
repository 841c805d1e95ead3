package dev.heed.compiler.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.heed.compiler.HeedCompiler;
import dev.heed.compiler.SampleInputs;
import dev.heed.compiler.interp.Interpreter;
import dev.heed.compiler.jar.ClassBytesLoader;
import dev.heed.compiler.jar.InMemoryJavac;
import dev.heed.dsl.diag.Diagnostic;
import dev.heed.dsl.diag.SourceFile;
import dev.heed.runtime.HeedModel;
import dev.heed.runtime.HeedModelFactory;
import dev.heed.runtime.Tensor;
import dev.heed.runtime.io.RandomWeights;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import javax.lang.model.SourceVersion;
import org.junit.jupiter.api.Test;

/**
 * No code injection: hostile identifiers, strings and comments in every place a spec can
 * put text into generated Java (model, input, output, parameter, layer and dimension names,
 * checkpoint names and {@code as} prefixes, comments on quoted lines). Each spec is either
 * rejected with located diagnostics or compiles, with javac, to a model that computes what
 * the reference interpreter computes and has the parameter names the spec asked for.
 */
class InjectionTest {
  /** One spec: every slot {@code $NAME} is replaced, by default with a harmless value. */
  private static final String TEMPLATE = """
      // $C1
      const d = 4;
      layer $LAYER(x: f32[..., d]) { // $C2
        param $PARAM: [d, d] = "$CKPT";
        let $LET = x @ $PARAM;
        return $LET;
      }
      model $MODEL {
        input $IN: f32[$DIM, d];
        input $IN2: f32[$DIM, d];
        let h = $LAYER($IN) as "$SCOPE"; // $C3
        output $OUT = h + $IN2; /* $C4 */
        output $OUT2 = softmax(h);
      }
      """;

  private static final Map<String, String> DEFAULTS = Map.ofEntries(Map.entry("C1", "spec"), Map.entry("C2", "layer"),
      Map.entry("C3", "call"), Map.entry("C4", "sum"), Map.entry("LAYER", "Proj"), Map.entry("PARAM", "w"),
      Map.entry("CKPT", "weight"), Map.entry("LET", "y"), Map.entry("MODEL", "M"), Map.entry("IN", "x"),
      Map.entry("IN2", "z"), Map.entry("DIM", "batch"), Map.entry("SCOPE", "proj"), Map.entry("OUT", "sum"),
      Map.entry("OUT2", "probs"));

  private static final List<String> IDENTIFIER_SLOTS = List.of("LAYER", "PARAM", "LET", "MODEL", "IN", "IN2", "DIM", "OUT", "OUT2");

  /** Identifiers the spec grammar accepts that mean something to Java or to the generated code. */
  static List<String> hostileIdentifiers() {
    List<String> ids = new ArrayList<>(List.of("abstract", "assert", "boolean", "break", "byte", "case", "catch", "char",
        "class", "continue", "default", "do", "double", "else", "enum", "extends", "final", "finally", "float", "goto",
        "if", "implements", "import", "instanceof", "int", "interface", "long", "native", "new", "package", "private",
        "protected", "public", "short", "static", "strictfp", "super", "switch", "synchronized", "this", "throw",
        "throws", "transient", "try", "void", "volatile", "while", "true", "false", "null", "_", "__", "var", "yield",
        "record", "sealed", "permits", "when", "module",
        // locals, parameters and members of the generated code
        "n", "out", "i", "j", "k", "i0", "i1", "i2", "in0", "in1", "a", "b", "w", "o", "p", "len", "base", "max", "inv",
        "weights", "inputs", "outputs", "result", "INPUTS", "OUTPUTS", "PARAMETERS", "forward", "run", "name",
        "Factory", "Outputs", "create", "parameters", "this_", "data", "x_data", "xData", "batchDim", "t0",
        // types the generated code names
        "Math", "Float", "Double", "Integer", "Long", "System", "String", "Object", "Override", "Class", "Arrays",
        "Tensor", "DType", "Gemm", "Activations", "PackedLinear", "InputCheck", "Weights", "TensorSpec", "HeedModel",
        "HeedModelFactory", "ParamSpec", "List", "Map", "LinkedHashMap", "M",
        // members of Object and records
        "hashCode", "toString", "equals", "getClass", "wait", "notify", "notifyAll", "clone", "finalize",
        // very long
        "a".repeat(300), "L".repeat(70_000)));
    return ids;
  }

  /** Strings for checkpoint names and prefixes, in heed syntax (the escapes are heed's). */
  static final List<String> HOSTILE_STRINGS = List.of("a\\\"b", "\\\"); System.exit(3); //", "a\\\\b", "\\\\", "*/",
      "/*", "\\\\u000a", "\\\\u0022", "\\\\u002a\\\\u002f", "\\\\\\\\u000a", "a\\nb", "a\\rb", "\\t", "$S", "$L", "%s",
      "{d}", "λ", "\uD83D\uDE00", "\u2028", "-", "1", " ", "..", "w" .repeat(20_000));

  /** Comment text that tries to end the Java comment a spec line is quoted in. */
  static final List<String> HOSTILE_COMMENTS = List.of("\\u000a if (true) throw new IllegalStateException(\"injected\");",
      "\\u000d if (true) throw new IllegalStateException(\"injected\");",
      "*/ static { if (true) throw new IllegalStateException(\"injected\"); } /**",
      "\\u002a/ static { if (true) throw new IllegalStateException(\"injected\"); } /**",
      "\\u002A\\u002F class Injected {} /**", "\u2028 if (true) throw new IllegalStateException(\"injected\");",
      "\u2029 if (true) throw new IllegalStateException(\"injected\");", "\u0085\u000b\u000c x", "\\", "\\\\u000a", "/* */ */", "<pre></pre>}{@code", "@param x");

  record Case(String title, Map<String, String> slots) {
    String spec() {
      String s = TEMPLATE;
      // Longest slot names first: $OUT2 before $OUT.
      List<String> keys = new ArrayList<>(DEFAULTS.keySet());
      keys.sort((a, b) -> b.length() - a.length());
      for (String k : keys) s = s.replace("$" + k, slot(k));
      return s;
    }

    String slot(String name) { return slots.getOrDefault(name, DEFAULTS.get(name)); }
  }

  static List<Case> cases() {
    List<Case> cases = new ArrayList<>();
    // Every hostile identifier in every slot, several slots per spec (a javac run per spec is slow).
    List<String> ids = hostileIdentifiers().stream().filter(id -> id.length() < 256).toList();
    for (int i = 0; i < ids.size(); i++) {
      Map<String, String> slots = new LinkedHashMap<>();
      for (int k = 0; k < IDENTIFIER_SLOTS.size(); k++) slots.put(IDENTIFIER_SLOTS.get(k), ids.get((i + 13 * k) % ids.size()));
      cases.add(new Case(slots.toString(), slots));
    }
    for (String slot : IDENTIFIER_SLOTS) cases.add(new Case(slot + "=L*70000", Map.of(slot, "L".repeat(70_000))));
    for (String slot : List.of("CKPT", "SCOPE")) {
      for (String s : HOSTILE_STRINGS) cases.add(new Case(slot + "=" + cut(s), Map.of(slot, s)));
    }
    for (String slot : List.of("C1", "C2", "C3", "C4")) {
      for (String c : HOSTILE_COMMENTS) cases.add(new Case(slot + "=" + cut(c), Map.of(slot, c)));
    }
    // Distinct names that meet after camel-casing.
    String[][] pairs = {{"OUT", "a_b", "OUT2", "aB"}, {"OUT", "a__b", "OUT2", "a_b"}, {"IN", "a_b", "IN2", "aB"},
        {"IN", "x_1", "IN2", "x1"}, {"OUT", "_", "OUT2", "t"}, {"OUT", "x", "OUT2", "X"}, {"IN", "w", "PARAM", "w_"},
        {"IN", "proj_weight", "CKPT", "weight"}, {"DIM", "x", "IN", "y"}, {"DIM", "z", "IN", "y"},
        {"DIM", "weights", "IN", "y"}, {"OUT", "sum", "OUT2", "sum_"}, {"MODEL", "Outputs", "OUT", "Outputs"},
        {"MODEL", "Tensor", "IN", "Tensor"}, {"IN", "M", "MODEL", "M"}, {"LET", "x", "PARAM", "x_"}};
    for (String[] p : pairs) {
      cases.add(new Case(p[0] + "=" + p[1] + "," + p[2] + "=" + p[3], Map.of(p[0], p[1], p[2], p[3])));
    }
    return cases;
  }

  private static String cut(String s) {
    return s.length() <= 40 ? s : s.substring(0, 20) + "…(" + s.length() + " chars)";
  }

  @Test
  void hostileNamesAreRejectedWithALocationOrCompileToTheIntendedModel() throws Exception {
    List<Case> cases = cases();
    Map<Case, HeedCompiler.Result> compiled = new LinkedHashMap<>();
    int rejected = 0;
    for (int i = 0; i < cases.size(); i++) {
      Case c = cases.get(i);
      String spec = c.spec();
      List<Diagnostic> ds = SpecChecks.compile("inj.heed", spec);
      if (!ds.isEmpty()) {
        rejected++;
        continue;
      }
      compiled.put(c, HeedCompiler.compile(new SourceFile("inj.heed", spec),
          HeedCompiler.Options.defaults().withPackage("t.inj.c" + i), s -> { }));
    }
    // One javac run for all of them; on failure, one per spec to name the culprits.
    Map<String, String> sources = new TreeMap<>();
    compiled.values().forEach(r -> sources.putAll(r.javaSources()));
    Map<String, byte[]> classes;
    try {
      classes = InMemoryJavac.compile(sources);
    } catch (InMemoryJavac.CompilationException all) {
      StringBuilder failures = new StringBuilder();
      for (Map.Entry<Case, HeedCompiler.Result> e : compiled.entrySet()) {
        try {
          InMemoryJavac.compile(e.getValue().javaSources());
        } catch (InMemoryJavac.CompilationException one) {
          String d = one.diagnostics();
          failures.append("\n== ").append(e.getKey().title()).append(":\n").append(d, 0, Math.min(d.length(), 1500));
        }
      }
      fail("generated code does not compile for:" + failures);
      return;
    }
    ClassBytesLoader loader = new ClassBytesLoader(classes, getClass().getClassLoader());
    for (Map.Entry<Case, HeedCompiler.Result> e : compiled.entrySet()) checkMeaning(e.getKey(), e.getValue(), loader);
    assertTrue(compiled.size() > cases.size() / 3, "many hostile names are legal heed: " + compiled.size() + " compiled, "
        + rejected + " rejected");
  }

  private static void checkMeaning(Case c, HeedCompiler.Result r, ClassBytesLoader loader) {
    List<HeedModelFactory> factories = loader.factories(r.serviceEntries());
    assertEquals(1, factories.size(), c.title());
    HeedModelFactory f = factories.get(0);
    assertEquals(c.slot("MODEL"), f.name(), c.title());
    assertEquals(List.of(c.slot("IN"), c.slot("IN2")), f.inputs().stream().map(s -> s.name()).toList(), c.title());
    assertEquals(List.of(c.slot("OUT"), c.slot("OUT2")), f.outputs().stream().map(s -> s.name()).toList(), c.title());
    String ckpt = unescape(c.slot("SCOPE")).replace("{d}", "4") + "." + unescape(c.slot("CKPT"));
    assertEquals(List.of(ckpt), f.parameters().stream().map(p -> p.name()).toList(), c.title());
    RandomWeights weights = new RandomWeights(5);
    HeedModel model = f.create(weights);
    for (int batch : new int[] {1, 3}) {
      Map<String, Tensor> inputs = SampleInputs.make(r.ir(), Map.of(c.slot("DIM"), batch), 17 + batch);
      Map<String, Tensor> want = Interpreter.run(r.ir(), inputs, weights);
      Map<String, Tensor> got;
      try {
        got = model.run(inputs);
      } catch (RuntimeException e) {
        throw new AssertionError(c.title() + ": the generated model threw", e);
      }
      assertEquals(want.keySet(), got.keySet(), c.title());
      for (String name : want.keySet()) {
        assertArrayEquals(want.get(name).shape(), got.get(name).shape(), c.title() + " " + name);
        float[] a = want.get(name).floats(), b = got.get(name).floats();
        for (int i = 0; i < a.length; i++) {
          assertTrue(Math.abs(a[i] - b[i]) <= 1e-5 * Math.max(1, Math.abs(a[i])), c.title() + " " + name + "[" + i + "]");
        }
      }
    }
  }

  /** The value of heed string text (its escapes are \n \t \r \" \\). */
  private static String unescape(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch == '\\' && i + 1 < s.length()) {
        char e = s.charAt(++i);
        sb.append(switch (e) {
          case 'n' -> '\n';
          case 't' -> '\t';
          case 'r' -> '\r';
          default -> e;
        });
      } else {
        sb.append(ch);
      }
    }
    return sb.toString();
  }

  @Test
  void theTemplateItselfCompiles() {
    assertTrue(SpecChecks.compile("inj.heed", new Case("defaults", Map.of()).spec()).isEmpty());
    assertTrue(SourceVersion.isKeyword("class") && Set.of(DEFAULTS.keySet().toArray()).containsAll(IDENTIFIER_SLOTS));
  }

  @Test
  void rejectionsPointIntoTheSpec() {
    // Too-long names are refused at the name, not deep in javac.
    List<Diagnostic> ds = SpecChecks.compile("inj.heed", new Case("long", Map.of("IN", "L".repeat(70_000))).spec());
    assertTrue(ds.stream().anyMatch(d -> d.span().line() == 9 && d.message().contains("longer than")), ds.toString());
  }

}
