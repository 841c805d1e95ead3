package dev.heed.compiler.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.compiler.onnx.WeightFiles;
import dev.heed.compiler.onnx.proto.ModelProto;
import dev.heed.compiler.onnx.proto.TensorProto;
import dev.heed.runtime.HeedModelFactory.ParamSpec;
import dev.heed.runtime.Tensor;
import dev.heed.runtime.io.RandomWeights;
import dev.heed.runtime.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code heed export SPEC --onnx OUT.onnx}. */
class ExportCommandTest {
  static final String SPEC = """
      model Fc {
        input x: f32[batch, 3];
        param w: [2, 3] = "fc.weight";
        param b: [2] = "fc.bias";
        output y = relu(linear(x, w, b));
      }
      """;

  @TempDir Path dir;
  Path spec;
  Path out;

  @BeforeEach
  void files() throws IOException {
    spec = Files.writeString(dir.resolve("fc.heed"), SPEC);
    out = dir.resolve("fc.onnx");
  }

  static ModelProto read(Path file) throws IOException {
    return ModelProto.parseFrom(Files.readAllBytes(file));
  }

  static float[] floats(TensorProto t) {
    FloatBuffer fb = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    float[] v = new float[fb.remaining()];
    fb.get(v);
    return v;
  }

  static TensorProto initializer(ModelProto m, String name) {
    return m.getGraph().getInitializerList().stream().filter(t -> t.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no initializer " + name));
  }

  /** What {@code --random-weights seed} gives parameter {@code name} of SPEC. */
  float[] random(long seed, String name) throws IOException {
    ParamSpec p = WeightFiles.parameters(spec).stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
    return new RandomWeights(seed).get(p.name(), p.shape(), p.init());
  }

  @Test
  void writesAnOnnxModelWithRandomWeights() throws IOException {
    Cli r = Cli.run("export", spec.toString(), "--onnx", out.toString(), "--random-weights", "7");
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().startsWith("wrote " + out + " (model Fc, "), r.toString());
    assertTrue(r.out().contains("opset 17"), r.toString());
    assertEquals("", r.err(), r.toString());
    ModelProto m = read(out);
    assertEquals(17, m.getOpsetImport(0).getVersion());
    assertEquals("x", m.getGraph().getInput(0).getName());
    assertEquals("y", m.getGraph().getOutput(0).getName());
    assertArrayEquals(random(7, "fc.bias"), floats(initializer(m, "fc.bias")));
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(2, files.count(), "spec and model only: no temporary file left");
    }
  }

  @Test
  void createsTheOutputFolder() throws IOException {
    Path nested = dir.resolve("new/sub/fc.onnx");
    Cli r = Cli.run("export", spec.toString(), "--onnx", nested.toString(), "--random-weights", "7");
    assertEquals(0, r.code(), r.toString());
    assertArrayEquals(random(7, "fc.bias"), floats(initializer(read(nested), "fc.bias")));
  }

  @Test
  void takesWeightsFromASafetensorsFile() throws IOException {
    Path st = dir.resolve("fc.safetensors");
    float[] w = {1, 2, 3, 4, 5, 6};
    SafetensorsWriter.write(st, Map.of("fc.weight", Tensor.ofFloats(w, 2, 3), "fc.bias", Tensor.ofFloats(new float[] {9, 8}, 2)));
    Cli r = Cli.run("export", spec.toString(), "--onnx", out.toString(), "--weights", st.toString(), "--package", "ignored.pkg");
    assertEquals(0, r.code(), r.toString());
    ModelProto m = read(out);
    assertArrayEquals(new float[] {9, 8}, floats(initializer(m, "fc.bias")));
    // stored as torch.onnx.export stores nn.Linear: transposed, [in, out]
    TensorProto wt = initializer(m, "onnx::MatMul_fc.weight");
    assertEquals(List.of(3L, 2L), wt.getDimsList());
    assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, floats(wt));

    // and the export in turn serves as --weights, bound back to the checkpoint names
    Path again = dir.resolve("again.onnx");
    Cli r2 = Cli.run("export", spec.toString(), "--onnx", again.toString(), "--weights", out.toString());
    assertEquals(0, r2.code(), r2.toString());
    assertEquals(read(out), read(again));
  }

  @Test
  void withoutWeightsItUsesSeedZeroAndSaysSo() throws IOException {
    Cli r = Cli.run("export", spec.toString(), "--onnx", out.toString());
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.err().contains("random weights (seed 0)"), r.toString());
    assertArrayEquals(random(0, "fc.bias"), floats(initializer(read(out), "fc.bias")));
    assertFalse(Arrays.equals(random(0, "fc.bias"), random(7, "fc.bias")));
  }

  @Test
  void aSpecErrorIsRenderedAndNothingIsWritten() throws IOException {
    Files.writeString(spec, SPEC.replace("linear(x, w, b)", "linear(x, w, bb)"));
    Files.writeString(out, "old");
    Cli r = Cli.run("export", spec.toString(), "--onnx", out.toString(), "--random-weights", "1");
    assertEquals(1, r.code(), r.toString());
    assertTrue(r.err().contains("fc.heed:5:"), r.toString());
    assertTrue(r.err().contains("bb"), r.toString());
    assertTrue(r.err().contains("^"), r.toString());
    assertEquals("old", Files.readString(out), "the old file is kept");
  }

  @Test
  void weightsThatDoNotFitAreAnErrorNamingTheTensor() throws IOException {
    Path st = dir.resolve("bad.safetensors");
    SafetensorsWriter.write(st, Map.of("fc.weight", Tensor.ofFloats(new float[6], 3, 2), "fc.bias", Tensor.ofFloats(new float[2], 2)));
    Cli r = Cli.run("export", spec.toString(), "--onnx", out.toString(), "--weights", st.toString());
    assertEquals(1, r.code(), r.toString());
    assertTrue(r.err().startsWith("heed: error: "), r.toString());
    assertTrue(r.err().contains("fc.weight"), r.toString());
    assertFalse(Files.exists(out));
  }

  @Test
  void aNameOnnxCannotHoldIsOneLineAndNothingIsWritten() throws IOException {
    Files.writeString(spec, "model A { input x: f32[batch, 4]; output x = relu(x); }");
    Cli r = Cli.run("export", spec.toString(), "--onnx", out.toString(), "--random-weights", "1");
    assertEquals(1, r.code(), r.toString());
    assertTrue(r.err().startsWith("heed: error: "), r.toString());
    assertTrue(r.err().contains("output 'x' has the name of input x"), r.toString());
    assertEquals(1, r.err().strip().lines().count(), r.toString());
    assertFalse(Files.exists(out));
  }

  @Test
  void usageErrors() {
    Cli noOut = Cli.run("export", spec.toString());
    assertEquals(2, noOut.code(), noOut.toString());
    assertTrue(noOut.err().contains("--onnx"), noOut.toString());
    Cli both = Cli.run("export", spec.toString(), "--onnx", out.toString(), "--weights", "w.safetensors", "--random-weights", "1");
    assertEquals(2, both.code(), both.toString());
    assertTrue(both.err().startsWith("heed: error: --weights=FILE, --random-weights=SEED are mutually exclusive"), both.toString());
    Cli missing = Cli.run("export", dir.resolve("nope.heed").toString(), "--onnx", out.toString());
    assertEquals(1, missing.code(), missing.toString());
    assertTrue(missing.err().contains("no such file"), missing.toString());
  }

  @Test
  void helpDescribesTheCommand() {
    Cli r = Cli.run("export", "--help");
    assertEquals(0, r.code(), r.toString());
    for (String s : List.of("--onnx", "--weights", "--random-weights", "opset 17")) assertTrue(r.out().contains(s), r.out());
    Cli top = Cli.run("--help");
    assertTrue(top.out().contains("export"), top.out());
  }
}
