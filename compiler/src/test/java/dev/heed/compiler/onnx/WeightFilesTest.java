package dev.heed.compiler.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.runtime.HeedModelFactory.ParamSpec;
import dev.heed.runtime.Tensor;
import dev.heed.runtime.Weights;
import dev.heed.runtime.WeightsException;
import dev.heed.runtime.io.Safetensors;
import dev.heed.runtime.io.SafetensorsWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WeightFilesTest {
  @TempDir Path tmp;

  Path onnxFile(String name) throws IOException {
    Path file = tmp.resolve(name);
    try (OutputStream out = Files.newOutputStream(file)) {
      TinyOnnx.model().writeTo(out);
    }
    return file;
  }

  Path safetensorsFile(String name) {
    Path file = tmp.resolve(name);
    SafetensorsWriter.write(file, Map.of(
        "fc.weight", Tensor.ofFloats(TinyOnnx.FC_WEIGHT.clone(), 2, 3),
        "fc.bias", Tensor.ofFloats(TinyOnnx.FC_BIAS.clone(), 2)));
    return file;
  }

  @Test
  void theFormatComesFromTheFirstBytesThenTheExtension() throws IOException {
    assertEquals(WeightFiles.Format.ONNX, WeightFiles.format(onnxFile("model.onnx")));
    assertEquals(WeightFiles.Format.ONNX, WeightFiles.format(onnxFile("model.bin")));
    assertEquals(WeightFiles.Format.SAFETENSORS, WeightFiles.format(safetensorsFile("w.safetensors")));
    assertEquals(WeightFiles.Format.SAFETENSORS, WeightFiles.format(safetensorsFile("misnamed.onnx")));
    Path junk = tmp.resolve("junk.safetensors");
    Files.writeString(junk, "hello, world");
    WeightsException e = assertThrows(WeightsException.class, () -> WeightFiles.format(junk));
    assertTrue(e.getMessage().contains("neither a safetensors file nor an ONNX model"), e.getMessage());
  }

  @Test
  void opensAnOnnxModelBoundToTheParameters() throws IOException {
    ByteArrayOutputStream warnings = new ByteArrayOutputStream();
    try (Weights w = WeightFiles.open(onnxFile("m.onnx"), OnnxWeightsTest.TINY_PARAMS,
        new PrintStream(warnings, true, StandardCharsets.UTF_8))) {
      assertArrayEquals(TinyOnnx.FC_WEIGHT, w.get("fc.weight", new int[] {2, 3}, "uniform"));
      assertArrayEquals(TinyOnnx.PROJ_WEIGHT, w.get("proj.weight", new int[] {3, 2}, "uniform"));
    }
    String report = warnings.toString(StandardCharsets.UTF_8);
    assertTrue(report.contains("warning: 2 tensors of the model unused"), report);
  }

  @Test
  void opensSafetensorsAndListsEveryParameterThatDoesNotFit() {
    Path file = safetensorsFile("w.safetensors");
    List<ParamSpec> fits = List.of(new ParamSpec("fc.weight", new int[] {2, 3}, "uniform"));
    try (Weights w = WeightFiles.open(file, fits)) {
      assertInstanceOf(Safetensors.class, w);
      assertArrayEquals(TinyOnnx.FC_WEIGHT, w.get("fc.weight", new int[] {2, 3}, "uniform"));
    }
    List<ParamSpec> misfits = List.of(
        new ParamSpec("fc.weight", new int[] {3, 2}, "uniform"),
        new ParamSpec("fc.bias", new int[] {2}, "zeros"),
        new ParamSpec("proj.weight", new int[] {3, 2}, "uniform"));
    WeightsException e = assertThrows(WeightsException.class, () -> WeightFiles.open(file, misfits));
    String msg = e.getMessage();
    assertTrue(msg.contains("2 of 3 parameters do not fit"), msg);
    assertTrue(msg.contains("fc.weight: the spec needs [3, 2], the file has [2, 3]"), msg);
    assertTrue(msg.contains("proj.weight f32[3, 2]: missing"), msg);
  }

  @Test
  void parametersComeFromTheCompiledSpec() throws IOException {
    Path spec = tmp.resolve("s.heed");
    Files.writeString(spec, """
        const d = 4;
        model S {
          input x: f32[batch, d];
          param w: [2 * d, d] = "enc.weight";
          output y = Linear(linear(x, w), d) as "head";
        }
        """);
    List<ParamSpec> ps = WeightFiles.parameters(spec);
    assertEquals(List.of("enc.weight", "head.weight", "head.bias"), ps.stream().map(ParamSpec::name).toList());
    assertArrayEquals(new int[] {8, 4}, ps.get(0).shape());
    assertArrayEquals(new int[] {4, 8}, ps.get(1).shape());
    assertEquals("zeros", ps.get(2).init());
  }
}
