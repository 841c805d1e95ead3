package dev.heed.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.runtime.io.RandomWeights;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRunnerTest {
  private final HeedModelFactory adder = new TestModels.Adder();

  private static Map<String, Tensor> inputs(Tensor x, Tensor ids) {
    Map<String, Tensor> m = new LinkedHashMap<>();
    if (x != null) m.put("x", x);
    if (ids != null) m.put("ids", ids);
    return m;
  }

  private String rejects(Map<String, Tensor> in) {
    return assertThrows(IllegalArgumentException.class, () -> ModelRunner.checkInputs(adder, in)).getMessage();
  }

  @Test void runsAndTimesTheModel() {
    Tensor x = Tensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
    Tensor ids = Tensor.ofLongs(new long[] {10, 20}, 2);
    ModelRunner.Result r = ModelRunner.run(adder, new RandomWeights(0), inputs(x, ids));
    assertEquals(List.of("y", "count"), List.copyOf(r.outputs().keySet()));
    assertArrayEquals(new float[] {2, 3, 4, 5, 6, 7}, r.outputs().get("y").floats(), "w is all ones");
    assertArrayEquals(new long[] {11, 21}, r.outputs().get("count").longs());
    assertTrue(r.forwardNanos() > 0 && r.loadNanos() > 0);
    assertEquals(r.forwardNanos() / 1e6, r.forwardMillis());
  }

  @Test void rejectsMissingInputListingExpected() {
    String m = rejects(inputs(Tensor.zeros(DType.F32, 2, 3), null));
    assertTrue(m.contains("missing input 'ids'"), m);
    assertTrue(m.contains("expected inputs: x: f32[batch, 3], ids: i64[batch]"), m);
  }

  @Test void rejectsUnknownInput() {
    Map<String, Tensor> in = inputs(Tensor.zeros(DType.F32, 2, 3), Tensor.zeros(DType.I64, 2));
    in.put("mask", Tensor.zeros(DType.I64, 2));
    String m = rejects(in);
    assertTrue(m.contains("unknown input 'mask'"), m);
    assertTrue(m.contains("expected inputs: x: f32[batch, 3], ids: i64[batch]"), m);
  }

  @Test void rejectsWrongDtypeNamingBothTypes() {
    String m = rejects(inputs(Tensor.zeros(DType.F32, 2, 3), Tensor.zeros(DType.F32, 2)));
    assertTrue(m.contains("input 'ids' is f32[2] but the model expects i64[batch]"), m);
  }

  @Test void rejectsWrongRank() {
    String m = rejects(inputs(Tensor.zeros(DType.F32, 2, 3, 1), Tensor.zeros(DType.I64, 2)));
    assertTrue(m.contains("input 'x' is f32[2, 3, 1] but the model expects f32[batch, 3]"), m);
  }

  @Test void rejectsWrongFixedDimension() {
    String m = rejects(inputs(Tensor.zeros(DType.F32, 2, 4), Tensor.zeros(DType.I64, 2)));
    assertTrue(m.contains("input 'x' is f32[2, 4] but the model expects f32[batch, 3] (axis 1 must be 3)"), m);
  }

  @Test void rejectsInconsistentSymbolicDimension() {
    String m = rejects(inputs(Tensor.zeros(DType.F32, 2, 3), Tensor.zeros(DType.I64, 5)));
    assertTrue(m.contains("input 'ids'") && m.contains("batch = 5") && m.contains("input 'x' has batch = 2"), m);
  }

  @Test void weightsErrorsPropagate(@TempDir Path dir) {
    Weights broken = new Weights() {
      @Override public float[] get(String name, int[] shape, String init) {
        throw new WeightsException("weights test: no tensor '" + name + "'");
      }

      @Override public java.util.Set<String> names() { return java.util.Set.of(); }

      @Override public String origin() { return "test"; }
    };
    Map<String, Tensor> in = inputs(Tensor.zeros(DType.F32, 1, 3), Tensor.zeros(DType.I64, 1));
    WeightsException e = assertThrows(WeightsException.class, () -> ModelRunner.run(adder, broken, in));
    assertTrue(e.getMessage().contains("no tensor 'w'"));
  }

  @Test void summaryShowsShapesFirstSixValuesAndTime() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    float[] logits = new float[2 * 7 * 10];
    for (int i = 0; i < logits.length; i++) logits[i] = i * 0.25f - 0.5f;
    out.put("logits", Tensor.ofFloats(logits, 2, 7, 10));
    out.put("ids", Tensor.ofLongs(new long[] {4, -2}, 2));
    String s = ModelRunner.summary(out, 12.34);
    String[] lines = s.split("\n");
    assertEquals(3, lines.length, s);
    assertEquals("logits: f32[2, 7, 10]  [-0.500000, -0.250000, 0.000000, 0.250000, 0.500000, 0.750000, ...]",
        lines[0]);
    assertEquals("ids: i64[2]  [4, -2]", lines[1]);
    assertEquals("forward: 12.3 ms", lines[2]);
  }
}
