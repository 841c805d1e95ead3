package dev.heed.compiler.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.compiler.jar.ModelJar;
import dev.heed.runtime.Tensor;
import dev.heed.runtime.io.Npy;
import dev.heed.runtime.io.RandomWeights;
import dev.heed.runtime.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code heed run} on a hand-written model jar. */
class RunCommandTest {
  @TempDir Path dir;
  Path jar;
  Path x;
  float[] xs;

  @BeforeEach
  void setUp() throws IOException {
    jar = TestModels.tinyJar(dir.resolve("tiny.jar"), false, Map.of());
    xs = new float[2 * 3 * 8];
    for (int i = 0; i < xs.length; i++) xs[i] = (i % 7) - 3;
    x = dir.resolve("x.npy");
    Npy.write(x, Tensor.ofFloats(xs, 2, 3, 8));
  }

  @Test
  void runsWithRandomWeightsAndWritesOutputs() {
    Path out = dir.resolve("out");
    Cli r = Cli.run("run", jar.toString(), "--random-weights", "7", "--input", "x=" + x, "--output", out.toString());
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().startsWith("y: f32[2, 3, 8]  ["), r.out());
    assertTrue(r.out().contains("forward: "), r.out());
    Tensor y = Npy.read(out.resolve("y.npy"));
    assertArrayEquals(new int[] {2, 3, 8}, y.shape());
    float[] w = new RandomWeights(7).get("w", new int[] {8, 8}, "uniform");
    assertArrayEquals(TestModels.tiny(xs, w), y.floats());
  }

  @Test
  void runsWithWeightsFileAndEmbeddedWeights() throws IOException {
    float[] w = new float[64];
    for (int i = 0; i < 64; i++) w[i] = (i % 5) * 0.25f - 0.5f;
    Path weights = dir.resolve("w.safetensors");
    SafetensorsWriter.write(weights, Map.of("w", Tensor.ofFloats(w, 8, 8)));
    float[] expected = TestModels.tiny(xs, w);

    Cli r = Cli.run("run", jar.toString(), "--weights", weights.toString(), "--input", "x=" + x,
        "--output", dir.resolve("a").toString());
    assertEquals(0, r.code(), r.toString());
    assertArrayEquals(expected, Npy.read(dir.resolve("a/y.npy")).floats());

    Path embedded = TestModels.tinyJar(dir.resolve("embedded.jar"), false, Map.of(ModelJar.EMBEDDED_WEIGHTS, weights));
    r = Cli.run("run", embedded.toString(), "--input", "x=" + x, "--output", dir.resolve("b").toString());
    assertEquals(0, r.code(), r.toString());
    assertEquals("", r.err());
    assertArrayEquals(expected, Npy.read(dir.resolve("b/y.npy")).floats());

    // Embedded weights that do not fit are named as the user knows them, not by their temporary copy.
    Path wrong = dir.resolve("wrong.safetensors");
    SafetensorsWriter.write(wrong, Map.of("w", Tensor.ofFloats(new float[16], 4, 4)));
    Path misfit = TestModels.tinyJar(dir.resolve("misfit.jar"), false, Map.of(ModelJar.EMBEDDED_WEIGHTS, wrong));
    r = Cli.run("run", misfit.toString(), "--input", "x=" + x);
    assertEquals(1, r.code(), r.toString());
    assertTrue(r.err().contains("weights heed/weights.safetensors (embedded in the jar): tensor 'w' is [4, 4]"), r.toString());
  }

  @Test
  void noWeightsMeansRandomSeedZeroWithANote() {
    Cli r = Cli.run("run", jar.toString(), "--input", "x=" + x);
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.err().contains("random weights (seed 0)"), r.toString());
  }

  @Test
  void jarRunsOnABareJvm() throws Exception {
    Path out = dir.resolve("out");
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(javaBin, "-jar", jar.toString(), "--random-weights", "7", "--input", "x=" + x,
        "--output", out.toString()).redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), log);
    assertTrue(log.startsWith("y: f32[2, 3, 8]"), log);
    float[] w = new RandomWeights(7).get("w", new int[] {8, 8}, "uniform");
    assertArrayEquals(TestModels.tiny(xs, w), Npy.read(out.resolve("y.npy")).floats());
  }

  @Test
  void severalModelsNeedModel() throws IOException {
    String other = TestModels.TINY.replace("package test.models;", "package test.other;")
        .replace("\"Tiny\"", "\"Other\"");
    var classes = dev.heed.compiler.jar.InMemoryJavac.compile(Map.of(
        "test.models.Tiny", TestModels.TINY, "test.other.Tiny", other));
    Path two = dir.resolve("two.jar");
    ModelJar.write(two, classes, "test.models.Tiny$Factory\ntest.other.Tiny$Factory\n", Map.of());
    Cli r = Cli.run("run", two.toString(), "--input", "x=" + x);
    assertEquals(2, r.code(), r.toString());
    assertTrue(r.err().contains("Other, Tiny") && r.err().contains("--model"), r.toString());
    r = Cli.run("run", two.toString(), "--model", "Other", "--random-weights", "3", "--input", "x=" + x);
    assertEquals(0, r.code(), r.toString());
  }

  @Test
  void missingInputFileIsOneLine() {
    Path out = dir.resolve("out");
    Cli r = Cli.run("run", jar.toString(), "--random-weights", "1", "--input", "x=" + dir.resolve("missing.npy"),
        "--output", out.toString());
    assertEquals(1, r.code(), r.toString());
    assertEquals(1, r.errLines().length, r.toString());
    assertTrue(r.err().startsWith("heed: error: ") && r.err().contains("missing.npy"), r.toString());
    assertFalse(r.err().contains("Exception"), r.toString());
    assertFalse(Files.exists(out));
  }

  @Test
  void badNpyIsOneLine() throws IOException {
    Path bad = Files.writeString(dir.resolve("bad.npy"), "not numpy");
    Cli r = Cli.run("run", jar.toString(), "--random-weights", "1", "--input", "x=" + bad);
    assertEquals(1, r.code(), r.toString());
    assertEquals(1, r.errLines().length, r.toString());
    assertTrue(r.err().startsWith("heed: error: ") && r.err().contains("bad.npy"), r.toString());
  }

  @Test
  void wrongShapeIsOneLine() {
    Path x2 = dir.resolve("x2.npy");
    Npy.write(x2, Tensor.ofFloats(new float[12], 2, 6));
    Cli r = Cli.run("run", jar.toString(), "--random-weights", "1", "--input", "x=" + x2);
    assertEquals(1, r.code(), r.toString());
    assertEquals(1, r.errLines().length, r.toString());
    assertTrue(r.err().contains("f32[2, 6]"), r.toString());
  }

  @Test
  void badWeightsAreOneLine() throws IOException {
    Path weights = dir.resolve("w.safetensors");
    SafetensorsWriter.write(weights, Map.of("v", Tensor.ofFloats(new float[64], 8, 8)));
    Cli r = Cli.run("run", jar.toString(), "--weights", weights.toString(), "--input", "x=" + x);
    assertEquals(1, r.code(), r.toString());
    assertEquals(1, r.errLines().length, r.toString());
    assertTrue(r.err().contains("no tensor 'w'"), r.toString());

    r = Cli.run("run", jar.toString(), "--weights", dir.resolve("none.safetensors").toString(), "--input", "x=" + x);
    assertEquals(1, r.code(), r.toString());
    assertEquals(1, r.errLines().length, r.toString());
  }

  @Test
  void inputAndModelNameErrorsAreUsageErrors() {
    Cli r = Cli.run("run", jar.toString(), "--input", "z=" + x);
    assertEquals(2, r.code(), r.toString());
    assertTrue(r.err().contains("'z'") || r.err().contains("'x'"), r.toString());
    r = Cli.run("run", jar.toString(), "--input", "x");
    assertEquals(2, r.code(), r.toString());
    r = Cli.run("run", jar.toString(), "--input", "x=" + x, "--input", "x=" + x);
    assertEquals(2, r.code(), r.toString());
    r = Cli.run("run", jar.toString(), "--model", "Big", "--input", "x=" + x);
    assertEquals(2, r.code(), r.toString());
    assertTrue(r.err().contains("Tiny"), r.toString());
    r = Cli.run("run", jar.toString(), "--weights", "a", "--random-weights", "1", "--input", "x=" + x);
    assertEquals(2, r.code(), r.toString());
  }

  @Test
  void missingOrBogusJarIsOneLine() throws IOException {
    Cli r = Cli.run("run", dir.resolve("none.jar").toString(), "--input", "x=" + x);
    assertEquals(1, r.code(), r.toString());
    assertEquals(1, r.errLines().length, r.toString());
    Path bogus = Files.writeString(dir.resolve("bogus.jar"), "hello");
    r = Cli.run("run", bogus.toString(), "--input", "x=" + x);
    assertEquals(1, r.code(), r.toString());
    assertEquals(1, r.errLines().length, r.toString());
    assertTrue(r.err().contains("not a jar"), r.toString());
  }

  @Test
  void aDamagedClassInTheJarIsOneLine() throws IOException {
    var classes = new java.util.TreeMap<>(dev.heed.compiler.jar.InMemoryJavac.compile(Map.of("test.models.Tiny", TestModels.TINY)));
    // The model's own class damaged; its factory (which ServiceLoader loads first) intact.
    assertTrue(classes.containsKey("test.models.Tiny"), classes.keySet().toString());
    classes.put("test.models.Tiny", "not a class file".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    Path damaged = dir.resolve("damaged.jar");
    ModelJar.write(damaged, classes, "test.models.Tiny$Factory\n", Map.of(), Map.of());
    Cli r = Cli.run("run", damaged.toString(), "--random-weights", "1", "--input", "x=" + x);
    assertEquals(1, r.code(), r.toString());
    assertEquals(1, r.errLines().length, r.toString());
    assertTrue(r.err().startsWith("heed: error: jar " + damaged + ": cannot load the model's classes ("), r.toString());
  }

  @Test
  void anOutputThatIsAFolderStopsTheRunBeforeAnyFileIsWritten() throws IOException {
    Path out = dir.resolve("out");
    Files.createDirectories(out.resolve("y.npy"));
    Cli r = Cli.run("run", jar.toString(), "--random-weights", "7", "--input", "x=" + x, "--output", out.toString());
    assertEquals(1, r.code(), r.toString());
    assertTrue(r.err().contains("y.npy: is a folder; nothing written"), r.toString());
    assertFalse(r.out().contains("forward: "), "the model did not run: " + r);
  }

  @Test
  void internalErrorsExitThreeAndDebugShowsTheStack() throws IOException {
    Path boom = TestModels.tinyJar(dir.resolve("boom.jar"), true, Map.of());
    Cli r = Cli.run("run", boom.toString(), "--random-weights", "1", "--input", "x=" + x);
    assertEquals(3, r.code(), r.toString());
    assertEquals(1, r.errLines().length, r.toString());
    assertTrue(r.err().startsWith("heed: internal error: java.lang.IllegalStateException: boom"), r.toString());
    for (String[] args : new String[][] {
        {"run", "--debug", boom.toString(), "--random-weights", "1", "--input", "x=" + x},
        {"--debug", "run", boom.toString(), "--random-weights", "1", "--input", "x=" + x}}) {
      r = Cli.run(args);
      assertEquals(3, r.code(), r.toString());
      assertTrue(r.err().contains("\tat "), r.toString());
    }
  }
}
