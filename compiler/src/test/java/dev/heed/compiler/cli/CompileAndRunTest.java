package dev.heed.compiler.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.compiler.jar.ModelJar;
import dev.heed.runtime.Tensor;
import dev.heed.runtime.io.Npy;
import dev.heed.runtime.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole way: a spec through {@code heed compile}, {@code heed run} and {@code java -jar}. */
class CompileAndRunTest {
  static final String TINY = """
      const d = 8;
      model Tiny {
        input x: f32[batch, seq, d];
        param w: [d, d];
        output y = relu(linear(x, w));
      }
      """;

  @TempDir Path dir;
  Path spec;
  Path x;
  float[] xs;
  float[] w;
  Path weights;

  @BeforeEach
  void setUp() throws IOException {
    spec = Files.writeString(dir.resolve("tiny.heed"), TINY);
    xs = new float[2 * 3 * 8];
    for (int i = 0; i < xs.length; i++) xs[i] = ((i * 5) % 11 - 5) * 0.5f;
    x = dir.resolve("x.npy");
    Npy.write(x, Tensor.ofFloats(xs, 2, 3, 8));
    w = new float[64];
    for (int i = 0; i < 64; i++) w[i] = ((i * 7) % 13 - 6) * 0.125f;
    weights = dir.resolve("w.safetensors");
    SafetensorsWriter.write(weights, Map.of("w", Tensor.ofFloats(w, 8, 8)));
  }

  /** relu(x · wᵀ): linear takes weight as [out, in], like PyTorch. */
  float[] expected() {
    float[] out = new float[xs.length];
    for (int r = 0; r < xs.length / 8; r++) {
      for (int o = 0; o < 8; o++) {
        float acc = 0;
        for (int i = 0; i < 8; i++) acc += xs[r * 8 + i] * w[o * 8 + i];
        out[r * 8 + o] = Math.max(0, acc);
      }
    }
    return out;
  }

  @Test
  void compileThenRun() throws IOException {
    Path jar = dir.resolve("tiny.jar");
    Cli c = Cli.run("compile", spec.toString(), "-o", jar.toString(), "--weights", weights.toString());
    assertEquals(0, c.code(), c.toString());
    assertTrue(c.out().startsWith("wrote " + jar + " (model Tiny"), c.out());

    Path out = dir.resolve("out");
    Cli r = Cli.run("run", jar.toString(), "--weights", weights.toString(), "--input", "x=" + x,
        "--output", out.toString());
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().startsWith("y: f32[2, 3, 8]  ["), r.out());
    Tensor y = Npy.read(out.resolve("y.npy"));
    assertArrayEquals(new int[] {2, 3, 8}, y.shape());
    assertArrayEquals(expected(), y.floats(), 1e-5f);
  }

  @Test
  void compiledJarRunsAloneWithEmbeddedWeights() throws Exception {
    Path jar = dir.resolve("tiny.jar");
    Cli c = Cli.run("compile", spec.toString(), "-o", jar.toString(), "--weights", weights.toString(),
        "--embed-weights", "--package", "com.example.gen");
    assertEquals(0, c.code(), c.toString());
    var entries = ModelJar.read(jar);
    assertTrue(entries.containsKey(ModelJar.EMBEDDED_WEIGHTS));
    assertTrue(entries.keySet().stream().anyMatch(n -> n.startsWith("com/example/gen/")), entries.keySet().toString());

    // heed run defaults to the embedded weights.
    Cli r = Cli.run("run", jar.toString(), "--input", "x=" + x, "--output", dir.resolve("a").toString());
    assertEquals(0, r.code(), r.toString());
    assertArrayEquals(expected(), Npy.read(dir.resolve("a/y.npy")).floats(), 1e-5f);

    // And the jar runs on a bare JVM: java -jar OUT.jar, nothing else on the class path.
    runsAndComputes(dir.resolve("b"), "-jar", jar.toString());
  }

  /** Runs {@code java ARGS --weights ... --input ... --output OUT} in a new JVM and checks its output. */
  private void runsAndComputes(Path out, String... javaArgs) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(javaArgs));
    command.addAll(List.of("--weights", weights.toString(), "--input", "x=" + x, "--output", out.toString()));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), log);
    assertArrayEquals(expected(), Npy.read(out.resolve("y.npy")).floats(), 1e-5f);
  }

  /**
   * The jar's jackson-core lives under heed's own package: on a class path where another
   * jackson-core comes first (here a stub JsonFactory with nothing in it, which the runtime
   * could not use), the model still reads its safetensors weights.
   */
  @Test
  void theJarsJacksonCoreIsItsOwn() throws Exception {
    Path jar = dir.resolve("own.jar");
    assertEquals(0, Cli.run("compile", spec.toString(), "-o", jar.toString()).code());
    var entries = ModelJar.read(jar);
    assertTrue(entries.keySet().stream().noneMatch(n -> n.startsWith("com/fasterxml/")), entries.keySet().toString());
    assertTrue(entries.containsKey("dev/heed/shaded/jackson/core/JsonFactory.class"), entries.keySet().toString());
    assertEquals("dev.heed.shaded.jackson.core.JsonFactory\n",
        new String(entries.get("META-INF/services/dev.heed.shaded.jackson.core.JsonFactory"), StandardCharsets.UTF_8));
    for (var e : entries.entrySet()) {
      if (!e.getKey().endsWith(".class")) continue;
      String text = new String(e.getValue(), StandardCharsets.ISO_8859_1);
      assertTrue(!text.contains("com/fasterxml/jackson") && !text.contains("com.fasterxml.jackson.core."), e.getKey());
    }
    assertTrue(new String(entries.get("dev/heed/runtime/io/Safetensors.class"), StandardCharsets.ISO_8859_1)
        .contains("dev/heed/shaded/jackson/core/JsonParser"));

    Path stub = dir.resolve("stub");
    Path src = Files.createDirectories(stub.resolve("com/fasterxml/jackson/core")).resolve("JsonFactory.java");
    Files.writeString(src, "package com.fasterxml.jackson.core; public class JsonFactory { }");
    assertEquals(0, javax.tools.ToolProvider.getSystemJavaCompiler().run(null, null, null, src.toString()));
    runsAndComputes(dir.resolve("c"), "-cp", stub + java.io.File.pathSeparator + jar, ModelJar.MAIN_CLASS);
  }

  @Test
  void compilingTwiceGivesTheSameJar() throws IOException {
    Path a = dir.resolve("a.jar");
    Path b = dir.resolve("b.jar");
    assertEquals(0, Cli.run("compile", spec.toString(), "-o", a.toString()).code());
    assertEquals(0, Cli.run("compile", spec.toString(), "-o", b.toString()).code());
    assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
  }

  @Test
  void weightsThatDoNotFitAreOneLineAndNoJar() throws IOException {
    Path bad = dir.resolve("bad.safetensors");
    SafetensorsWriter.write(bad, Map.of("w", Tensor.ofFloats(new float[32], 4, 8)));
    Path jar = dir.resolve("tiny.jar");
    Cli c = Cli.run("compile", spec.toString(), "-o", jar.toString(), "--weights", bad.toString());
    assertEquals(1, c.code(), c.toString());
    assertEquals(1, c.errLines().length, c.toString());
    assertTrue(c.err().contains("'w'") && c.err().contains("[4, 8]"), c.toString());
    assertFalse(Files.exists(jar));
  }

  @Test
  void brokenSpecPrintsLocatedErrorAndWritesNothing() throws IOException {
    Path bad = Files.writeString(dir.resolve("bad.heed"), """
        const d = 8;
        model Tiny {
          input x: f32[batch, seq, d]
          param w: [d, d];
          output y = relu(linear(x, w));
        }
        """);
    Path jar = dir.resolve("bad.jar");
    Cli c = Cli.run("compile", bad.toString(), "-o", jar.toString());
    assertEquals(1, c.code(), c.toString());
    assertTrue(Pattern.compile("(?m)^\\S*bad\\.heed:[34]:\\d+: error: ").matcher(c.err()).find(), c.toString());
    assertTrue(c.err().contains("^"), c.toString());
    assertFalse(c.err().contains("Exception"), c.toString());
    assertFalse(Files.exists(jar));
    try (Stream<Path> s = Files.list(dir)) {
      assertTrue(s.noneMatch(p -> p.getFileName().toString().contains(".jar")), "leftover temp file");
    }

    Cli e = Cli.run("emit", bad.toString(), "--stage", "java");
    assertEquals(1, e.code(), e.toString());
    assertEquals("", e.out());
  }

  @Test
  void emitPrintsEachStage() {
    Cli java = Cli.run("emit", spec.toString(), "--stage", "java", "--package", "com.example.gen");
    assertEquals(0, java.code(), java.toString());
    assertTrue(java.out().startsWith("// ===== com/example/gen/"), java.out());
    assertTrue(java.out().contains("package com.example.gen;"), java.out());

    Cli ir = Cli.run("emit", spec.toString(), "--stage", "ir");
    assertEquals(0, ir.code(), ir.toString());
    assertFalse(ir.out().isBlank());

    Cli ast = Cli.run("emit", spec.toString(), "--stage", "ast");
    assertEquals(0, ast.code(), ast.toString());
    assertTrue(ast.out().contains("Tiny"), ast.out());

    Cli passes = Cli.run("emit", spec.toString(), "--stage", "ir", "--print-ir-after", "all");
    assertEquals(0, passes.code(), passes.toString());
    assertTrue(passes.out().startsWith("// ----- IR after "), passes.out());
    assertTrue(passes.out().endsWith(ir.out()), passes.out());
  }

  @Test
  void dumpIrIntoAFileIsOneLine() throws IOException {
    Path blocker = Files.writeString(dir.resolve("blocker"), "");
    Cli r = Cli.run("emit", spec.toString(), "--stage", "ir", "--dump-ir", blocker.toString());
    assertEquals(1, r.code(), r.toString());
    assertEquals(1, r.errLines().length, r.toString());
    assertTrue(r.err().startsWith("heed: error: ") && r.err().contains("blocker"), r.toString());
  }

  @Test
  void dumpIrWritesFiles() throws IOException {
    Path dump = dir.resolve("ir");
    Cli r = Cli.run("emit", spec.toString(), "--stage", "ir", "--dump-ir", dump.toString());
    assertEquals(0, r.code(), r.toString());
    try (Stream<Path> s = Files.list(dump)) {
      List<Path> files = s.toList();
      assertFalse(files.isEmpty());
    }
  }
}
