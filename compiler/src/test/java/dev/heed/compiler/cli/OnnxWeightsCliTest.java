package dev.heed.compiler.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.heed.compiler.onnx.proto.GraphProto;
import dev.heed.compiler.onnx.proto.ModelProto;
import dev.heed.compiler.onnx.proto.NodeProto;
import dev.heed.compiler.onnx.proto.OperatorSetIdProto;
import dev.heed.compiler.onnx.proto.TensorProto;
import dev.heed.runtime.Tensor;
import dev.heed.runtime.io.Npy;
import dev.heed.runtime.io.Safetensors;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX models as weights: {@code heed import-weights}, and {@code --weights MODEL.onnx} for
 * {@code compile} (with and without {@code --embed-weights}) and {@code run}.
 */
class OnnxWeightsCliTest {
  /** y = fc(x) with PyTorch's Linear layout: weight [out = 2, in = 3]. */
  static final String SPEC = """
      model Fc {
        input x: f32[batch, 3];
        param w: [2, 3] = "fc.weight";
        param b: [2] = "fc.bias";
        output y = linear(x, w, b);
      }
      """;
  static final float[] W = {1, 2, 3, 4, 5, 6};
  /** W transposed, [in = 3, out = 2], as torch.onnx.export stores it for a MatMul. */
  static final float[] W_T = {1, 4, 2, 5, 3, 6};
  static final float[] B = {0.5f, -0.5f};
  static final float[] X = {1, 0, -1, 2, 1, 0};

  @TempDir Path dir;
  Path spec;
  Path onnx;
  Path x;

  @BeforeEach
  void setUp() throws IOException {
    spec = Files.writeString(dir.resolve("fc.heed"), SPEC);
    onnx = write(dir.resolve("fc.onnx"), model(B, 2));
    x = dir.resolve("x.npy");
    Npy.write(x, Tensor.ofFloats(X.clone(), 2, 3));
  }

  /** An exported Linear: anonymous MatMul weight Wᵀ, then Add with the named bias {@code fc.bias}. */
  static ModelProto model(float[] bias, long biasSize) {
    GraphProto.Builder g = GraphProto.newBuilder().setName("fc")
        .addInitializer(floats("onnx::MatMul_5", W_T, 3, 2))
        .addInitializer(floats("fc.bias", bias, biasSize))
        .addInitializer(TensorProto.newBuilder().setName("position_ids").setDataType(TensorProto.DataType.INT64_VALUE)
            .addDims(2).addInt64Data(0).addInt64Data(1))
        .addNode(NodeProto.newBuilder().setOpType("MatMul").setName("/fc/MatMul")
            .addInput("x").addInput("onnx::MatMul_5").addOutput("/fc/MatMul_output_0"))
        .addNode(NodeProto.newBuilder().setOpType("Add").setName("/fc/Add")
            .addInput("fc.bias").addInput("/fc/MatMul_output_0").addOutput("y"));
    return ModelProto.newBuilder().setIrVersion(8).setProducerName("test")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17)).setGraph(g).build();
  }

  static TensorProto floats(String name, float[] data, long... dims) {
    ByteBuffer buf = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : data) buf.putFloat(f);
    buf.flip();
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
        .setRawData(ByteString.copyFrom(buf));
    for (long d : dims) t.addDims(d);
    return t.build();
  }

  static Path write(Path file, ModelProto model) throws IOException {
    try (OutputStream out = Files.newOutputStream(file)) {
      model.writeTo(out);
    }
    return file;
  }

  /** x · Wᵀ + b, printed as heed run prints values. */
  static float[] expected() {
    float[] y = new float[4];
    for (int r = 0; r < 2; r++) {
      for (int o = 0; o < 2; o++) {
        float acc = B[o];
        for (int i = 0; i < 3; i++) acc += X[r * 3 + i] * W[o * 3 + i];
        y[r * 2 + o] = acc;
      }
    }
    return y;
  }

  @Test
  void importWeightsWritesTheBoundTensorsUnderTheirCheckpointNames() {
    Path out = dir.resolve("fc.safetensors");
    Cli c = Cli.run("import-weights", onnx.toString(), "--spec", spec.toString(), "-o", out.toString());
    assertEquals(0, c.code(), c.toString());
    assertTrue(c.out().contains("bound: 2 of 2 (1 MatMul weights named from the graph"), c.toString());
    assertTrue(c.out().contains("onnx::MatMul_5 → fc.weight (bias fc.bias)"), c.toString());
    assertTrue(c.out().contains("warning: 1 tensor of the model unused") && c.out().contains("position_ids"), c.toString());
    assertTrue(c.out().contains("wrote " + out + " (2 tensors, "), c.toString());
    assertEquals("", c.err());
    try (Safetensors st = Safetensors.open(out)) {
      assertEquals(2, st.names().size());
      assertArrayEquals(W, st.get("fc.weight", new int[] {2, 3}, "uniform"));
      assertArrayEquals(B, st.get("fc.bias", new int[] {2}, "zeros"));
    }
  }

  @Test
  void importWeightsCreatesTheOutputFolder() {
    Path out = dir.resolve("out/weights/fc.safetensors");
    Cli c = Cli.run("import-weights", onnx.toString(), "--spec", spec.toString(), "-o", out.toString());
    assertEquals(0, c.code(), c.toString());
    try (Safetensors st = Safetensors.open(out)) {
      assertArrayEquals(W, st.get("fc.weight", new int[] {2, 3}, "uniform"));
    }
  }

  @Test
  void importWeightsOverItsOwnModelIsRefused() throws IOException {
    byte[] before = Files.readAllBytes(onnx);
    Cli c = Cli.run("import-weights", onnx.toString(), "--spec", spec.toString(), "-o", onnx.toString());
    assertEquals(2, c.code(), c.toString());
    assertTrue(c.err().contains("writing it would destroy the input"), c.toString());
    assertArrayEquals(before, Files.readAllBytes(onnx));
  }

  @Test
  void importWeightsThatDoNotFitPrintsTheReportAndWritesNothing() throws IOException {
    Path misfit = write(dir.resolve("misfit.onnx"), model(new float[] {1, 2, 3}, 3));
    Path out = dir.resolve("fc.safetensors");
    Cli c = Cli.run("import-weights", misfit.toString(), "--spec", spec.toString(), "-o", out.toString());
    assertEquals(1, c.code(), c.toString());
    assertEquals("", c.out());
    assertTrue(c.err().contains("error: 1 parameter mis-shaped") && c.err().contains("fc.bias: the spec needs [2], the model has [3]"),
        c.toString());
    String[] lines = c.errLines();
    assertTrue(lines[lines.length - 1].startsWith("heed: error: weights " + misfit + " do not fit " + spec
        + ": 1 parameter mis-shaped (listed above); nothing written"), c.toString());
    assertFalse(Files.exists(out));
    try (Stream<Path> s = Files.list(dir)) {
      assertTrue(s.noneMatch(p -> p.getFileName().toString().contains("safetensors")), "leftover temp file");
    }

    Path other = Files.writeString(dir.resolve("other.heed"), SPEC.replace("\"fc.bias\"", "\"fc.b\""));
    c = Cli.run("import-weights", onnx.toString(), "--spec", other.toString(), "-o", out.toString());
    assertEquals(1, c.code(), c.toString());
    assertTrue(c.err().contains("error: 1 parameter unbound") && c.err().contains("fc.b f32[2]"), c.toString());
    assertTrue(c.err().contains("1 parameter unbound (listed above)"), c.toString());
    assertFalse(Files.exists(out));
  }

  @Test
  void importWeightsCommandLineErrors() throws IOException {
    Path out = dir.resolve("fc.safetensors");
    Cli c = Cli.run("import-weights", onnx.toString(), "-o", out.toString());
    assertEquals(2, c.code(), c.toString());
    assertTrue(c.err().contains("--spec"), c.toString());
    c = Cli.run("import-weights", dir.resolve("none.onnx").toString(), "--spec", spec.toString(), "-o", out.toString());
    assertEquals(1, c.code(), c.toString());
    assertTrue(c.err().contains("none.onnx: no such file"), c.toString());
    Path notOnnx = Files.writeString(dir.resolve("notes.txt"), "hello");
    c = Cli.run("import-weights", notOnnx.toString(), "--spec", spec.toString(), "-o", out.toString());
    assertEquals(1, c.code(), c.toString());
    assertEquals(1, c.errLines().length, c.toString());
    assertTrue(c.err().contains("neither a safetensors file nor an ONNX model"), c.toString());
    assertFalse(Files.exists(out));
  }

  @Test
  void runAndCompileTakeAnOnnxModelAsWeights() throws IOException {
    Path jar = dir.resolve("fc.jar");
    Cli c = Cli.run("compile", spec.toString(), "-o", jar.toString(), "--weights", onnx.toString());
    assertEquals(0, c.code(), c.toString());
    assertTrue(c.err().contains("heed: note: weights " + onnx + ": 1 tensor of the ONNX model unused (position_ids)"), c.toString());

    Cli r = Cli.run("run", jar.toString(), "--weights", onnx.toString(), "--input", "x=" + x, "--output", dir.toString());
    assertEquals(0, r.code(), r.toString());
    assertArrayEquals(expected(), Npy.read(dir.resolve("y.npy")).floats(), 1e-6f);

    // Embedded: the ONNX model is converted to safetensors inside the jar.
    Path embedded = dir.resolve("embedded.jar");
    c = Cli.run("compile", spec.toString(), "-o", embedded.toString(), "--weights", onnx.toString(), "--embed-weights");
    assertEquals(0, c.code(), c.toString());
    assertTrue(c.out().contains("weights embedded"), c.toString());
    Path out2 = dir.resolve("out2");
    r = Cli.run("run", embedded.toString(), "--input", "x=" + x, "--output", out2.toString());
    assertEquals(0, r.code(), r.toString());
    assertArrayEquals(expected(), Npy.read(out2.resolve("y.npy")).floats(), 1e-6f);
    try (Stream<Path> s = Files.list(dir)) {
      assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith("heed-weights-")), "leftover temp file");
    }
  }

  @Test
  void onnxWeightsThatDoNotFitFailCompileAndRun() throws IOException {
    Path misfit = write(dir.resolve("misfit.onnx"), model(new float[] {1, 2, 3}, 3));
    Path jar = dir.resolve("fc.jar");
    Cli c = Cli.run("compile", spec.toString(), "-o", jar.toString(), "--weights", misfit.toString(), "--embed-weights");
    assertEquals(1, c.code(), c.toString());
    assertTrue(c.err().contains("fc.bias: the spec needs [2], the model has [3]"), c.toString());
    assertTrue(c.err().contains("heed: error: weights " + misfit + " do not fit model Fc: 1 parameter mis-shaped"), c.toString());
    assertFalse(Files.exists(jar));

    assertEquals(0, Cli.run("compile", spec.toString(), "-o", jar.toString()).code());
    Cli r = Cli.run("run", jar.toString(), "--weights", misfit.toString(), "--input", "x=" + x);
    assertEquals(1, r.code(), r.toString());
    assertEquals("", r.out());
    assertTrue(r.err().contains("heed: error: weights " + misfit + " do not fit model Fc: 1 parameter mis-shaped"), r.toString());
  }
}
