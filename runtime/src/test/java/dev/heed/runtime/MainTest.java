package dev.heed.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.runtime.io.Npy;
import dev.heed.runtime.io.SafetensorsWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
  @TempDir Path dir;
  private ClassLoader adderOnly;
  private ClassLoader both;
  private Path x;
  private Path ids;
  private String out;
  private String err;

  @BeforeEach void setUp() throws IOException {
    adderOnly = TestModels.loaderWith(Files.createDirectory(dir.resolve("one")), TestModels.Adder.class);
    both = TestModels.loaderWith(Files.createDirectory(dir.resolve("two")),
        TestModels.Adder.class, TestModels.Failing.class);
    x = dir.resolve("x.npy");
    Npy.write(x, Tensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
    ids = dir.resolve("ids.npy");
    Npy.write(ids, Tensor.ofLongs(new long[] {7, 8}, 2));
  }

  private int main(ClassLoader loader, String... args) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    int code = Main.run(args, new PrintStream(o, true, StandardCharsets.UTF_8),
        new PrintStream(e, true, StandardCharsets.UTF_8), loader);
    out = o.toString(StandardCharsets.UTF_8);
    err = e.toString(StandardCharsets.UTF_8);
    return code;
  }

  private void assertOneErrorLine(String expectedPart) {
    List<String> errors = err.lines().filter(l -> l.startsWith("error: ")).toList();
    assertEquals(1, errors.size(), err);
    assertTrue(errors.get(0).contains(expectedPart), err);
    assertFalse(err.contains("\tat "), "no stack trace: " + err);
  }

  @Test void runsWithWeightsAndWritesOutputs() {
    Path weights = dir.resolve("w.safetensors");
    SafetensorsWriter.write(weights, Map.of("w", Tensor.ofFloats(new float[] {10, 20, 30}, 3)));
    Path outDir = dir.resolve("out/nested");
    assertEquals(0, main(adderOnly, "--weights", weights.toString(), "--input", "x=" + x,
        "--input=ids=" + ids, "--output", outDir.toString()), err);
    assertTrue(out.contains("y: f32[2, 3]  [11.000000, 22.000000, 33.000000, 14.000000, 25.000000, 36.000000]"), out);
    assertTrue(out.contains("count: i64[2]  [8, 9]"), out);
    assertTrue(out.contains("forward: "), out);
    assertEquals("", err);
    assertArrayEquals(new float[] {11, 22, 33, 14, 25, 36}, Npy.read(outDir.resolve("y.npy")).floats());
    assertArrayEquals(new long[] {8, 9}, Npy.read(outDir.resolve("count.npy")).longs());
  }

  @Test void defaultsToRandomSeedZeroAndSaysSo() {
    assertEquals(0, main(adderOnly, "--input", "x=" + x, "--input", "ids=" + ids), err);
    assertTrue(err.contains("random weights (seed 0)"), err);
    // The adder's parameter uses init "ones".
    assertTrue(out.contains("[2.000000, 3.000000, 4.000000"), out);
  }

  @Test void badUsageExitsTwo() {
    assertEquals(2, main(adderOnly, "--bogus"));
    assertOneErrorLine("unknown option --bogus");
    assertEquals(2, main(adderOnly, "--input"));
    assertOneErrorLine("--input needs a value");
    assertEquals(2, main(adderOnly, "--input", "x"));
    assertOneErrorLine("--input needs NAME=FILE.npy");
    assertEquals(2, main(adderOnly, "--random-weights", "abc", "--input", "x=" + x));
    assertOneErrorLine("integer seed");
    assertEquals(2, main(adderOnly, "--weights", "a", "--random-weights", "1"));
    assertOneErrorLine("not both");
    assertEquals(2, main(adderOnly, "--input", "x=" + x));
    assertOneErrorLine("missing input 'ids'");
    assertEquals(2, main(adderOnly, "--input", "x=" + x, "--input", "ids=" + ids, "--input", "z=" + x));
    assertOneErrorLine("unknown input 'z'");
    // A misspelt name is reported as what it is, not as the input it leaves missing.
    assertEquals(2, main(adderOnly, "--input", "X=" + x, "--input", "ids=" + ids));
    assertOneErrorLine("unknown input 'X'");
    assertEquals(2, main(adderOnly, "--input", "x=" + ids, "--input", "ids=" + ids));
    assertOneErrorLine("input 'x' is i64[2] but the model expects f32[batch, 3]");
    assertEquals(2, main(both, "--input", "x=" + x, "--input", "ids=" + ids));
    assertOneErrorLine("found 2 models (adder, failing); name the one to run with --model");
    assertEquals(2, main(both, "--model", "nope"));
    assertOneErrorLine("no model named 'nope'");
  }

  @Test void failuresExitOne() throws IOException {
    assertEquals(1, main(adderOnly, "--input", "x=" + dir.resolve("absent.npy"), "--input", "ids=" + ids));
    assertOneErrorLine("absent.npy");
    Path wrong = dir.resolve("wrong.safetensors");
    SafetensorsWriter.write(wrong, Map.of("w", Tensor.ofFloats(new float[4], 4)));
    assertEquals(1, main(adderOnly, "--weights", wrong.toString(), "--input", "x=" + x, "--input", "ids=" + ids));
    assertOneErrorLine("tensor 'w' is [4] but the spec needs [3]");
    assertEquals(1, main(both, "--model", "failing"));
    assertOneErrorLine("cannot be created");
  }

  @Test void usesWeightsEmbeddedInTheJarAndNamesThemInErrors() throws IOException {
    Path jarDir = dir.resolve("embedded");
    ClassLoader loader = TestModels.loaderWith(Files.createDirectory(jarDir), TestModels.Adder.class);
    Path embedded = jarDir.resolve(Main.EMBEDDED_WEIGHTS);
    Files.createDirectories(embedded.getParent());
    SafetensorsWriter.write(embedded, Map.of("w", Tensor.ofFloats(new float[] {10, 20, 30}, 3)));
    assertEquals(0, main(loader, "--input", "x=" + x, "--input", "ids=" + ids), err);
    assertTrue(out.contains("y: f32[2, 3]  [11.000000, 22.000000, 33.000000"), out);
    assertEquals("", err, "embedded weights: no note about random ones");

    SafetensorsWriter.write(embedded, Map.of("w", Tensor.ofFloats(new float[4], 4)));
    assertEquals(1, main(loader, "--input", "x=" + x, "--input", "ids=" + ids));
    assertOneErrorLine("weights heed/weights.safetensors (embedded in the jar): tensor 'w' is [4] but the spec needs [3]");
  }

  @Test void anOnnxWeightsFileIsAUsageErrorThatSaysWhatToDo() throws IOException {
    Path onnx = Files.write(dir.resolve("model.onnx"), new byte[] {8, 7, 18, 4});
    assertEquals(2, main(adderOnly, "--weights", onnx.toString(), "--input", "x=" + x, "--input", "ids=" + ids));
    assertOneErrorLine("the jar reads .safetensors weights; convert an ONNX model with 'heed import-weights'");
  }

  @Test void helpListsOptionsAndModels() {
    assertEquals(0, main(both, "--help"));
    assertTrue(out.contains("--random-weights SEED"), out);
    assertTrue(out.contains("adder  inputs: [x: f32[batch, 3], ids: i64[batch]]"), out);
    assertTrue(out.contains("failing"), out);
  }
}
