package dev.heed.compiler.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.heed.compiler.onnx.proto.ModelProto;
import dev.heed.compiler.onnx.proto.StringStringEntryProto;
import dev.heed.compiler.onnx.proto.TensorProto;
import dev.heed.runtime.HeedModelFactory.ParamSpec;
import dev.heed.runtime.WeightsException;
import dev.heed.runtime.io.Safetensors;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxWeightsTest {
  static final List<ParamSpec> TINY_PARAMS = List.of(
      new ParamSpec("fc.weight", new int[] {2, 3}, "uniform"),
      new ParamSpec("fc.bias", new int[] {2}, "zeros"),
      new ParamSpec("proj.weight", new int[] {3, 2}, "uniform"));

  @TempDir Path tmp;

  static OnnxWeights tiny() { return OnnxWeights.of(TinyOnnx.model(), "tiny.onnx"); }

  @Test
  void anonymousMatMulWeightsAreNamedFromTheirBiasOrTheirNode() {
    OnnxWeights w = tiny();
    assertEquals(Set.of("fc.weight", "fc.bias", "proj.weight", "extra.weight"), w.names());
    assertEquals("onnx::MatMul_7", w.entries().get("fc.weight").initializer());
    assertEquals("bias fc.bias", w.entries().get("fc.weight").how());
    assertEquals("onnx::MatMul_9", w.entries().get("proj.weight").initializer());
    assertEquals("node /proj/MatMul", w.entries().get("proj.weight").how());
    assertFalse(w.entries().get("extra.weight").renamed());
    assertEquals(Set.of("position_ids"), w.skipped().keySet());
    assertTrue(w.skipped().get("position_ids").contains("int64"), w.skipped().toString());
  }

  @Test
  void renamedWeightsAreServedTransposedToOutIn() {
    OnnxWeights w = tiny();
    assertArrayEquals(new int[] {2, 3}, w.shapeOf("fc.weight"));
    assertArrayEquals(TinyOnnx.FC_WEIGHT, w.get("fc.weight", new int[] {2, 3}, "uniform"));
    assertArrayEquals(new int[] {3, 2}, w.shapeOf("proj.weight"));
    assertArrayEquals(TinyOnnx.PROJ_WEIGHT, w.get("proj.weight", new int[] {3, 2}, "uniform"));
    // named tensors keep their layout; fc.bias is stored as float_data, the rest as raw_data
    assertArrayEquals(TinyOnnx.FC_BIAS, w.get("fc.bias", new int[] {2}, "zeros"));
    assertArrayEquals(TinyOnnx.EXTRA, w.get("extra.weight"));
  }

  @Test
  void aLargeMatMulWeightIsTransposedWholeAcrossTiles() {
    // [in = 45, out = 70]: more than one 32 x 32 tile each way, with ragged edges.
    int in = 45, out = 70;
    float[] stored = new float[in * out];
    for (int i = 0; i < stored.length; i++) stored[i] = i * 0.25f - 7;
    float[] bias = new float[out];
    var g = dev.heed.compiler.onnx.proto.GraphProto.newBuilder().setName("wide")
        .addInitializer(TinyOnnx.rawFloats("onnx::MatMul_3", stored, in, out))
        .addInitializer(TinyOnnx.rawFloats("fc.bias", bias, out))
        .addNode(TinyOnnx.node("MatMul", "/fc/MatMul", new String[] {"x", "onnx::MatMul_3"}, "m"))
        .addNode(TinyOnnx.node("Add", "/fc/Add", new String[] {"m", "fc.bias"}, "y"));
    ModelProto model = ModelProto.newBuilder().setIrVersion(8).setGraph(g).build();
    float[] served = OnnxWeights.of(model, "wide.onnx").get("fc.weight", new int[] {out, in}, "uniform");
    for (int o = 0; o < out; o++) {
      for (int i = 0; i < in; i++) assertEquals(stored[i * out + o], served[o * in + i], "fc.weight[" + o + ", " + i + "]");
    }
  }

  @Test
  void bindingServesExactlyTheParametersAndWarnsAboutUnusedTensors() {
    OnnxWeights.Binding b = tiny().bind(TINY_PARAMS);
    assertTrue(b.ok());
    assertEquals(List.of("extra.weight", "position_ids"), b.unused());
    assertEquals(Set.of("fc.weight", "fc.bias", "proj.weight"), b.names());
    assertArrayEquals(TinyOnnx.FC_WEIGHT, b.get("fc.weight", new int[] {2, 3}, "uniform"));
    assertThrows(WeightsException.class, () -> b.get("extra.weight", new int[] {2, 2}, "uniform"));
    String report = b.report();
    assertTrue(report.contains("bound: 3 of 3"), report);
    assertTrue(report.contains("warning: 2 tensors of the model unused"), report);
    assertTrue(report.contains("extra.weight f32[2, 2]"), report);
    assertTrue(report.contains("position_ids (int64[1, 4], not FLOAT)"), report);
    assertTrue(report.contains("onnx::MatMul_7 → fc.weight (bias fc.bias)"), report);
    assertFalse(report.contains("error"), report);
  }

  @Test
  void unboundParametersAreErrorsListedByName() {
    List<ParamSpec> params = List.of(
        new ParamSpec("fc.weight", new int[] {2, 3}, "uniform"),
        new ParamSpec("fc.bias", new int[] {2}, "zeros"),
        new ParamSpec("fc2.weight", new int[] {2, 3}, "uniform"),
        new ParamSpec("position_ids", new int[] {1, 4}, "zeros"));
    OnnxWeights w = tiny();
    OnnxWeights.Binding b = w.check(params);
    assertFalse(b.ok());
    assertEquals(List.of("fc2.weight", "position_ids"), b.unbound());
    WeightsException e = assertThrows(WeightsException.class, () -> w.bind(params));
    String msg = e.getMessage();
    assertTrue(msg.contains("error: 2 parameters unbound"), msg);
    assertTrue(msg.contains("fc2.weight f32[2, 3]"), msg);
    assertTrue(msg.contains("position_ids f32[1, 4] (the model's is int64[1, 4], not FLOAT)"), msg);
    // proj.weight and extra.weight are not asked for: unused
    assertTrue(msg.contains("proj.weight f32[3, 2] (initializer onnx::MatMul_9, node /proj/MatMul)"), msg);
    assertEquals("2 parameters unbound", b.errorSummary());
    assertThrows(WeightsException.class, () -> b.writeSafetensors(tmp.resolve("never.safetensors")));
    assertFalse(Files.exists(tmp.resolve("never.safetensors")));
  }

  @Test
  void misShapedParametersAreErrorsWithBothShapes() {
    List<ParamSpec> params = List.of(
        new ParamSpec("fc.weight", new int[] {3, 2}, "uniform"),
        new ParamSpec("fc.bias", new int[] {4}, "zeros"),
        new ParamSpec("proj.weight", new int[] {3, 2}, "uniform"));
    OnnxWeights.Binding b = tiny().check(params);
    assertEquals(List.of("fc.weight", "fc.bias"), b.misshaped());
    String report = b.report();
    assertTrue(report.contains("error: 2 parameters mis-shaped"), report);
    assertTrue(report.contains("fc.weight: the spec needs [3, 2], the model has [2, 3]"), report);
    assertTrue(report.contains("declare it [out, in]"), report);
    assertTrue(report.contains("fc.bias: the spec needs [4], the model has [2]"), report);
    WeightsException e = assertThrows(WeightsException.class,
        () -> tiny().get("fc.bias", new int[] {4}, "zeros"));
    assertTrue(e.getMessage().contains("'fc.bias' is [2] but the spec needs [4]"), e.getMessage());
  }

  @Test
  void aNameClaimedByTwoInitializersIsNotBound() {
    ModelProto m = TinyOnnx.model().toBuilder()
        .setGraph(TinyOnnx.model().getGraph().toBuilder()
            .addInitializer(TinyOnnx.rawFloats("fc.weight", TinyOnnx.FC_WEIGHT, 2, 3)))
        .build();
    OnnxWeights w = OnnxWeights.of(m, "twice.onnx");
    assertFalse(w.names().contains("fc.weight"));
    assertEquals(2, w.conflicts().get("fc.weight").size());
    OnnxWeights.Binding b = w.check(TINY_PARAMS);
    assertEquals(List.of("fc.weight"), b.ambiguous());
    String report = b.report();
    assertTrue(report.contains("fc.weight: claimed by more than one initializer: fc.weight, onnx::MatMul_7 (bias fc.bias)"), report);
  }

  @Test
  void externalDataIsRejectedWithAClearMessage() {
    TensorProto ext = TensorProto.newBuilder().setName("big.weight").setDataType(TensorProto.DataType.FLOAT_VALUE)
        .addDims(2).setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("big.bin"))
        .build();
    ModelProto m = TinyOnnx.model().toBuilder()
        .setGraph(TinyOnnx.model().getGraph().toBuilder().addInitializer(ext)).build();
    WeightsException e = assertThrows(WeightsException.class, () -> OnnxWeights.of(m, "ext.onnx"));
    assertTrue(e.getMessage().contains("'big.weight' keeps its data in an external file"), e.getMessage());
  }

  @Test
  void dataOfTheWrongLengthIsRejected() {
    TensorProto bad = TensorProto.newBuilder().setName("bad.weight").setDataType(TensorProto.DataType.FLOAT_VALUE)
        .addDims(3).setRawData(ByteString.copyFrom(new byte[8])).build();
    ModelProto m = TinyOnnx.model().toBuilder()
        .setGraph(TinyOnnx.model().getGraph().toBuilder().addInitializer(bad)).build();
    WeightsException e = assertThrows(WeightsException.class, () -> OnnxWeights.of(m, "bad.onnx"));
    assertTrue(e.getMessage().contains("'bad.weight' is f32[3] (3 values) but holds 8 raw_data bytes"), e.getMessage());
  }

  @Test
  void readsAModelFileAndRejectsOtherFiles() throws IOException {
    Path file = tmp.resolve("tiny.onnx");
    try (OutputStream out = Files.newOutputStream(file)) {
      TinyOnnx.model().writeTo(out);
    }
    OnnxWeights w = OnnxWeights.read(file);
    assertEquals(file.toString(), w.origin());
    assertArrayEquals(TinyOnnx.PROJ_WEIGHT, w.get("proj.weight", new int[] {3, 2}, "uniform"));

    Path text = tmp.resolve("notes.onnx");
    Files.writeString(text, "not a model\n");
    WeightsException e = assertThrows(WeightsException.class, () -> OnnxWeights.read(text));
    assertTrue(e.getMessage().startsWith("weights " + text + ": not an ONNX model"), e.getMessage());
    WeightsException missing = assertThrows(WeightsException.class, () -> OnnxWeights.read(tmp.resolve("none.onnx")));
    assertTrue(missing.getMessage().contains("no such file"), missing.getMessage());
  }

  @Test
  void writesTheBoundTensorsAsSafetensors() {
    Path out = tmp.resolve("tiny.safetensors");
    tiny().bind(TINY_PARAMS).writeSafetensors(out);
    try (Safetensors st = Safetensors.open(out)) {
      assertEquals(Set.of("fc.weight", "fc.bias", "proj.weight"), st.names());
      assertArrayEquals(TinyOnnx.FC_WEIGHT, st.get("fc.weight", new int[] {2, 3}, "uniform"));
      assertArrayEquals(TinyOnnx.FC_BIAS, st.get("fc.bias", new int[] {2}, "zeros"));
      assertArrayEquals(TinyOnnx.PROJ_WEIGHT, st.get("proj.weight", new int[] {3, 2}, "uniform"));
      assertEquals("tiny.onnx", st.metadata().get("source"));
    }
  }

  @Test
  void importWeightsBindsASpecAndWritesSafetensors() throws IOException {
    Path onnx = tmp.resolve("tiny.onnx");
    try (OutputStream out = Files.newOutputStream(onnx)) {
      TinyOnnx.model().writeTo(out);
    }
    Path spec = tmp.resolve("tiny.heed");
    Files.writeString(spec, """
        model Tiny {
          input x: f32[batch, 3];
          param w: [2, 3] = "fc.weight";
          param b: [2] = "fc.bias";
          param p: [3, 2] = "proj.weight";
          output y = linear(linear(x, w, b), p);
        }
        """);
    Path out = tmp.resolve("tiny.safetensors");
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    OnnxWeights.importWeights(onnx, spec, out, new PrintStream(buf, true, StandardCharsets.UTF_8));
    String report = buf.toString(StandardCharsets.UTF_8);
    assertTrue(report.contains("bound: 3 of 3"), report);
    assertTrue(report.contains("extra.weight"), report);
    assertTrue(report.contains("wrote " + out + ": 3 tensors"), report);
    try (Safetensors st = Safetensors.open(out)) {
      assertArrayEquals(TinyOnnx.FC_WEIGHT, st.get("fc.weight", new int[] {2, 3}, "uniform"));
    }

    Files.writeString(spec, Files.readString(spec).replace("\"fc.bias\"", "\"fc.bais\""));
    Path out2 = tmp.resolve("tiny2.safetensors");
    ByteArrayOutputStream buf2 = new ByteArrayOutputStream();
    WeightsException e = assertThrows(WeightsException.class,
        () -> OnnxWeights.importWeights(onnx, spec, out2, new PrintStream(buf2, true, StandardCharsets.UTF_8)));
    assertTrue(e.getMessage().contains("1 parameter unbound"), e.getMessage());
    String report2 = buf2.toString(StandardCharsets.UTF_8);
    assertTrue(report2.contains("fc.bais f32[2]; did you mean 'fc.bias'?"), report2);
    assertFalse(Files.exists(out2));
  }
}
