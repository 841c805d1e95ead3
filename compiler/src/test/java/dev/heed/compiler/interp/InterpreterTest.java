package dev.heed.compiler.interp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.IrParser;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.ir.TestGraphs;
import dev.heed.runtime.Tensor;
import dev.heed.runtime.Weights;
import dev.heed.runtime.WeightsException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The interpreter against small cases worked out by hand. */
class InterpreterTest {
  private static final float EPS = 1e-6f;
  private static final float M = Op.MASKED;

  private static Graph graph(String body) { return IrParser.parse("graph T {\n" + body + "\n}\n", "t.ir"); }

  /** Runs a graph with the given inputs (name, tensor, name, tensor, ...) and returns its outputs. */
  private static Map<String, Tensor> run(String body, Weights weights, Object... inputs) {
    Map<String, Tensor> in = new LinkedHashMap<>();
    for (int i = 0; i < inputs.length; i += 2) in.put((String) inputs[i], (Tensor) inputs[i + 1]);
    return Interpreter.run(graph(body), in, weights);
  }

  private static Tensor run1(String body, Object... inputs) {
    return run(body, TestWeights.none(), inputs).values().iterator().next();
  }

  private static Tensor f(float[] data, int... shape) { return Tensor.ofFloats(data, shape); }

  private static Tensor l(long[] data, int... shape) { return Tensor.ofLongs(data, shape); }

  private static void assertTensor(Tensor t, int[] shape, float... expected) {
    assertArrayEquals(shape, t.shape(), "shape");
    assertArrayEquals(expected, t.floats(), EPS);
  }

  @Test
  void scaledDotProductAttention() {
    // d = 3, scale = 1/√3. Q = √3·Q' so that the scaled scores are Q'·Kᵀ, small integers:
    //   Q' = [[1, 0, 0], [1, 1, 0]], K = [[0, 0, 1], [0, 1, 0]]
    //   Q'·Kᵀ = [[1·0+0·0+0·1, 1·0+0·1+0·0], [1·0+1·0+0·1, 1·0+1·1+0·0]] = [[0, 0], [0, 1]]
    // softmax by rows:
    //   row 0: [e⁰, e⁰] / 2 = [0.5, 0.5]
    //   row 1: [1, e] / (1 + e) = [0.2689414213699951, 0.7310585786300049]
    // V = [[1, 2, 3], [4, 5, 6]]:
    //   out row 0 = 0.5·(1, 2, 3) + 0.5·(4, 5, 6) = (2.5, 3.5, 4.5)
    //   out row 1 = (1, 2, 3) + 0.7310585786·((4, 5, 6) - (1, 2, 3)) = (1, 2, 3) + 2.1931757359 = (3.19317574, 4.19317574, 5.19317574)
    float r3 = (float) Math.sqrt(3);
    Map<String, Tensor> out = run("""
        %q = input {name = "q"} : f32[2, 3]
        %k = input {name = "k"} : f32[2, 3]
        %v = input {name = "v"} : f32[2, 3]
        %kt = transpose(%k) {perm = [1, 0]} : f32[3, 2]
        %s = matmul(%q, %kt) : f32[2, 2]
        %scale = constant {value = 0.5773502691896258} : f32[]
        %ss = mul(%s, %scale) : f32[2, 2]
        %p = softmax(%ss) {axis = -1} : f32[2, 2]
        %o = matmul(%p, %v) : f32[2, 3]
        output o = %o
        output p = %p
        """, TestWeights.none(),
        "q", f(new float[] {r3, 0, 0, r3, r3, 0}, 2, 3),
        "k", f(new float[] {0, 0, 1, 0, 1, 0}, 2, 3),
        "v", f(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
    assertEquals(List.of("o", "p"), List.copyOf(out.keySet()));
    assertTensor(out.get("p"), new int[] {2, 2}, 0.5f, 0.5f, 0.2689414213699951f, 0.7310585786300049f);
    assertTensor(out.get("o"), new int[] {2, 3}, 2.5f, 3.5f, 4.5f, 3.1931757359f, 4.1931757359f, 5.1931757359f);
  }

  @Test
  void layerNormRows() {
    // row [1, 2, 3, 4]: mean 2.5, deviations [-1.5, -0.5, 0.5, 1.5], biased variance (2.25+0.25+0.25+2.25)/4 = 1.25;
    // with eps = 1: √(1.25 + 1) = 1.5, normalised [-1, -1/3, 1/3, 1];
    // · gamma [1, 1, 2, 0.5] + beta [0, 1, 0, -1] = [-1, 2/3, 2/3, -0.5].
    // row [5, 5, 5, 5]: deviations 0, so the output is beta.
    Weights w = TestWeights.of(Map.of("g", new float[] {1, 1, 2, 0.5f}, "b", new float[] {0, 1, 0, -1}));
    Tensor y = run("""
        %x = input {name = "x"} : f32[2, 4]
        %g = param {init = "ones", name = "g"} : f32[4]
        %b = param {init = "zeros", name = "b"} : f32[4]
        %y = layer_norm(%x, %g, %b) {eps = 1.0} : f32[2, 4]
        output y = %y
        """, w, "x", f(new float[] {1, 2, 3, 4, 5, 5, 5, 5}, 2, 4)).get("y");
    assertTensor(y, new int[] {2, 4}, -1, 2f / 3, 2f / 3, -0.5f, 0, 1, 0, -1);
  }

  @Test
  void rmsNorm() {
    // [1, 7]: mean(x²) = (1 + 49)/2 = 25, √25 = 5 → [0.2, 1.4] · gamma [1, 2] = [0.2, 2.8]
    Tensor y = run("""
        %x = input {name = "x"} : f32[2]
        %g = param {init = "ones", name = "g"} : f32[2]
        %y = rms_norm(%x, %g) {eps = 0.0} : f32[2]
        output y = %y
        """, TestWeights.of(Map.of("g", new float[] {1, 2})), "x", f(new float[] {1, 7}, 2)).get("y");
    assertTensor(y, new int[] {2}, 0.2f, 2.8f);
  }

  @Test
  void softmaxWithCausalAndPaddingMasks() {
    // scores all 0; causal mask rows [0 M M], [0 0 M], [0 0 0]; padding mask [1, 1, 0] → [0 0 M] on every row.
    // Row sums: [0 M M] → [1, 0, 0]; [0 0 M] → [0.5, 0.5, 0]; [0 0 M] → [0.5, 0.5, 0].
    Map<String, Tensor> out = run("""
        %x = input {name = "x"} : f32[seq, seq]
        %m = input {name = "m"} : i64[1, seq]
        %cm = causal_mask(%x) {axis = 0} : f32[seq, seq]
        %pm = padding_mask(%m) : f32[1, 1, seq]
        %a = add(%x, %cm) : f32[seq, seq]
        %s = add(%a, %pm) : f32[1, seq, seq]
        %p = softmax(%s) {axis = -1} : f32[1, seq, seq]
        output p = %p
        output cm = %cm
        output pm = %pm
        """, TestWeights.none(), "x", f(new float[9], 3, 3), "m", l(new long[] {1, 1, 0}, 1, 3));
    assertTensor(out.get("p"), new int[] {1, 3, 3}, 1, 0, 0, 0.5f, 0.5f, 0, 0.5f, 0.5f, 0);
    assertArrayEquals(new float[] {0, M, M, 0, 0, M, 0, 0, 0}, out.get("cm").floats());
    assertArrayEquals(new int[] {1, 1, 3}, out.get("pm").shape());
    assertArrayEquals(new float[] {0, 0, M}, out.get("pm").floats());
  }

  @Test
  void softmaxSubtractsTheMaximumAndWorksAlongAnyAxis() {
    // [1000, 1000] would overflow e^x without subtracting the maximum: [0.5, 0.5].
    assertTensor(run1("""
        %x = input {name = "x"} : f32[2]
        %p = softmax(%x) {axis = 0} : f32[2]
        output p = %p
        """, "x", f(new float[] {1000, 1000}, 2)), new int[] {2}, 0.5f, 0.5f);
    // Along axis 0 of [[0, 0], [ln 3, 0]]: column 0 is [1, 3]/4, column 1 is [1, 1]/2.
    assertTensor(run1("""
        %x = input {name = "x"} : f32[2, 2]
        %p = softmax(%x) {axis = 0} : f32[2, 2]
        output p = %p
        """, "x", f(new float[] {0, 0, (float) Math.log(3), 0}, 2, 2)), new int[] {2, 2}, 0.25f, 0.5f, 0.75f, 0.5f);
  }

  @Test
  void broadcastingAdd() {
    // a [2, 1, 3] + b [2, 1] → [2, 2, 3]; out[i][j][k] = a[i][0][k] + b[j][0]
    Tensor y = run1("""
        %a = input {name = "a"} : f32[2, 1, 3]
        %b = input {name = "b"} : f32[2, 1]
        %y = add(%a, %b) : f32[2, 2, 3]
        output y = %y
        """, "a", f(new float[] {0, 1, 2, 10, 11, 12}, 2, 1, 3), "b", f(new float[] {100, 200}, 2, 1));
    assertTensor(y, new int[] {2, 2, 3}, 100, 101, 102, 200, 201, 202, 110, 111, 112, 210, 211, 212);
    // [2, 3] - [3] and [2, 3] / scalar
    Map<String, Tensor> out = run("""
        %a = input {name = "a"} : f32[2, 3]
        %b = input {name = "b"} : f32[3]
        %c = constant {value = 2.0} : f32[]
        %s = sub(%a, %b) : f32[2, 3]
        %d = div(%s, %c) : f32[2, 3]
        output d = %d
        """, TestWeights.none(), "a", f(new float[] {1, 2, 3, 4, 5, 6}, 2, 3), "b", f(new float[] {1, 1, 2}, 3));
    assertTensor(out.get("d"), new int[] {2, 3}, 0, 0.5f, 0.5f, 1.5f, 2, 2);
  }

  @Test
  void matmulBroadcastsBatchDimensionsAndLinearIsXWtPlusB() {
    // a [2, 1, 2]: batch 0 = [[1, 2]], batch 1 = [[3, 4]]; b [2, 2] = [[1, 0], [1, 1]] shared by both.
    // [1, 2]·b = [1+2, 2] = [3, 2]; [3, 4]·b = [3+4, 4] = [7, 4].
    assertTensor(run1("""
        %a = input {name = "a"} : f32[2, 1, 2]
        %b = input {name = "b"} : f32[2, 2]
        %y = matmul(%a, %b) : f32[2, 1, 2]
        output y = %y
        """, "a", f(new float[] {1, 2, 3, 4}, 2, 1, 2), "b", f(new float[] {1, 0, 1, 1}, 2, 2)),
        new int[] {2, 1, 2}, 3, 2, 7, 4);
    // x [1, 3] = [1, 2, 3]; w [2, 3] = [[1, 0, 0], [1, 1, 1]]; b = [10, 20]
    // x·wᵀ = [1, 6]; + b = [11, 26]
    Weights w = TestWeights.of(Map.of("w", new float[] {1, 0, 0, 1, 1, 1}, "b", new float[] {10, 20}));
    Map<String, Tensor> out = run("""
        %x = input {name = "x"} : f32[1, 3]
        %w = param {init = "normal", name = "w"} : f32[2, 3]
        %b = param {init = "zeros", name = "b"} : f32[2]
        %y = linear(%x, %w, %b) : f32[1, 2]
        %z = linear(%x, %w) : f32[1, 2]
        output y = %y
        output z = %z
        """, w, "x", f(new float[] {1, 2, 3}, 1, 3));
    assertTensor(out.get("y"), new int[] {1, 2}, 11, 26);
    assertTensor(out.get("z"), new int[] {1, 2}, 1, 6);
  }

  @Test
  void embeddingLooksUpRows() {
    // table rows: 0 → [0, 1], 1 → [10, 11], 2 → [20, 21]; ids [[2, 0], [1, 1]]
    Weights w = TestWeights.of(Map.of("t", new float[] {0, 1, 10, 11, 20, 21}));
    String body = """
        %ids = input {name = "ids"} : i64[b, s]
        %t = param {init = "normal", name = "t"} : f32[3, 2]
        %e = embedding(%ids, %t) : f32[b, s, 2]
        output e = %e
        """;
    Tensor e = run(body, w, "ids", l(new long[] {2, 0, 1, 1}, 2, 2)).get("e");
    assertTensor(e, new int[] {2, 2, 2}, 20, 21, 0, 1, 10, 11, 10, 11);
    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
        () -> run(body, w, "ids", l(new long[] {0, 3}, 1, 2)));
    assertTrue(ex.getMessage().contains("id 3") && ex.getMessage().contains("vocabulary of 3"), ex.getMessage());
    ex = assertThrows(IllegalArgumentException.class, () -> run(body, w, "ids", l(new long[] {-1}, 1, 1)));
    assertTrue(ex.getMessage().contains("id -1"), ex.getMessage());
  }

  @Test
  void positionsAndSinusoidal() {
    // dim 4: columns sin(p), cos(p), sin(p/100), cos(p/100), since 10000^(2·1/4) = 100.
    Map<String, Tensor> out = run("""
        %x = input {name = "x"} : f32[1, n]
        %pos = positions(%x) {axis = 1} : i64[n]
        %pe = sinusoidal(%x) {axis = 1, dim = 4} : f32[n, 4]
        output pos = %pos
        output pe = %pe
        """, TestWeights.none(), "x", f(new float[3], 1, 3));
    assertArrayEquals(new long[] {0, 1, 2}, out.get("pos").longs());
    assertTensor(out.get("pe"), new int[] {3, 4},
        0, 1, 0, 1,
        0.8414709848078965f, 0.5403023058681398f, 0.009999833334166664f, 0.9999500004166653f,
        0.9092974268256817f, -0.4161468365471424f, 0.01999866669333308f, 0.9998000066665778f);
  }

  @Test
  void causalAndPaddingMasks() {
    Map<String, Tensor> out = run("""
        %m = input {name = "m"} : i64[2, 3]
        %pm = padding_mask(%m) : f32[2, 1, 3]
        %cm = causal_mask(%m) {axis = -1} : f32[3, 3]
        output pm = %pm
        output cm = %cm
        """, TestWeights.none(), "m", l(new long[] {1, 1, 0, 1, 0, 5}, 2, 3));
    // 0 where m ≠ 0 (5 counts as a real token), MASKED where m = 0
    assertArrayEquals(new float[] {0, 0, M, 0, M, 0}, out.get("pm").floats());
    assertArrayEquals(new int[] {2, 1, 3}, out.get("pm").shape());
    // row = query, column = key: key ≤ query is visible
    assertArrayEquals(new float[] {0, M, M, 0, 0, M, 0, 0, 0}, out.get("cm").floats());
  }

  @Test
  void transposeAndReshapeIndexOrder() {
    // [[0, 1, 2], [3, 4, 5]] transposed is [[0, 3], [1, 4], [2, 5]]
    assertTensor(run1("""
        %x = input {name = "x"} : f32[2, 3]
        %t = transpose(%x) {perm = [1, 0]} : f32[3, 2]
        output t = %t
        """, "x", f(new float[] {0, 1, 2, 3, 4, 5}, 2, 3)), new int[] {3, 2}, 0, 3, 1, 4, 2, 5);
    // x[a][b][c] = 12a + 4b + c, shape [2, 3, 4]; perm [2, 0, 1] gives out[i][j][k] = x[j][k][i] = 12j + 4k + i
    float[] x = new float[24];
    for (int i = 0; i < 24; i++) x[i] = i;
    Map<String, Tensor> out = run("""
        %x = input {name = "x"} : f32[2, 3, 4]
        %t = transpose(%x) {perm = [2, 0, 1]} : f32[4, 2, 3]
        %r = reshape(%x) {shape = dims[4, 6]} : f32[4, 6]
        output t = %t
        output r = %r
        """, TestWeights.none(), "x", f(x, 2, 3, 4));
    float[] expected = new float[24];
    for (int i = 0; i < 4; i++) for (int j = 0; j < 2; j++) for (int k = 0; k < 3; k++) expected[i * 6 + j * 3 + k] = 12 * j + 4 * k + i;
    assertTensor(out.get("t"), new int[] {4, 2, 3}, expected);
    assertTensor(out.get("r"), new int[] {4, 6}, x); // same row-major order
  }

  @Test
  void reshapeWithSymbols() {
    Tensor r = run1("""
        %x = input {name = "x"} : f32[b, 6]
        %r = reshape(%x) {shape = dims[b, 2, 3]} : f32[b, 2, 3]
        output r = %r
        """, "x", f(new float[12], 2, 6));
    assertArrayEquals(new int[] {2, 2, 3}, r.shape());
  }

  @Test
  void concatAlongAnAxis() {
    // [[1, 2], [3, 4]] ++ [[5], [6]] along axis 1 = [[1, 2, 5], [3, 4, 6]]
    assertTensor(run1("""
        %a = input {name = "a"} : f32[2, 2]
        %b = input {name = "b"} : f32[2, 1]
        %c = concat(%a, %b) {axis = 1} : f32[2, 3]
        output c = %c
        """, "a", f(new float[] {1, 2, 3, 4}, 2, 2), "b", f(new float[] {5, 6}, 2, 1)), new int[] {2, 3}, 1, 2, 5, 3, 4, 6);
    // along axis 0: rows stack
    assertTensor(run1("""
        %a = input {name = "a"} : f32[1, 2]
        %b = input {name = "b"} : f32[2, 2]
        %c = concat(%a, %b) {axis = 0} : f32[3, 2]
        output c = %c
        """, "a", f(new float[] {1, 2}, 1, 2), "b", f(new float[] {3, 4, 5, 6}, 2, 2)), new int[] {3, 2}, 1, 2, 3, 4, 5, 6);
  }

  @Test
  void geluAndOtherUnaryOps() {
    Map<String, Tensor> out = run("""
        %x = input {name = "x"} : f32[4]
        %g = gelu(%x) : f32[4]
        %t = gelu_tanh(%x) : f32[4]
        %r = relu(%x) : f32[4]
        %s = sigmoid(%x) : f32[4]
        %n = neg(%x) : f32[4]
        output g = %g
        output t = %t
        output r = %r
        output s = %s
        output n = %n
        """, TestWeights.none(), "x", f(new float[] {1, 0, -1, 2}, 4));
    assertTensor(out.get("g"), new int[] {4}, 0.8413447460685429f, 0, -0.15865525393145707f, 1.9544997361036416f);
    assertTensor(out.get("t"), new int[] {4}, 0.8411919906082768f, 0, -0.15880800939172324f, 1.954597694087775f);
    assertTensor(out.get("r"), new int[] {4}, 1, 0, 0, 2);
    assertTensor(out.get("s"), new int[] {4}, 0.7310585786300049f, 0.5f, 0.2689414213699951f, 0.8807970779778823f);
    assertTensor(out.get("n"), new int[] {4}, -1, -0f, 1, -2);
  }

  @Test
  void inconsistentSymbolBindingNamesInputAxisAndBothValues() {
    String body = """
        %a = input {name = "a"} : f32[n, 2]
        %b = input {name = "b"} : f32[n]
        output a = %a
        """;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> run(body, TestWeights.none(), "a", f(new float[6], 3, 2), "b", f(new float[4], 4)));
    assertEquals("input 'b' axis 0 (n) is 4, but input 'a' axis 0 already bound n = 3", e.getMessage());
  }

  @Test
  void badInputsAreReported() {
    String body = """
        %a = input {name = "a"} : f32[n, 2]
        output a = %a
        """;
    assertEquals("missing input 'a' (f32[n, 2])",
        assertThrows(IllegalArgumentException.class, () -> run(body, TestWeights.none())).getMessage());
    assertEquals("unknown input 'z'; the model's inputs are [a]", assertThrows(IllegalArgumentException.class,
        () -> run(body, TestWeights.none(), "a", f(new float[2], 1, 2), "z", f(new float[1], 1))).getMessage());
    assertEquals("input 'a' must be f32[n, 2], got i64[1, 2]", assertThrows(IllegalArgumentException.class,
        () -> run(body, TestWeights.none(), "a", l(new long[2], 1, 2))).getMessage());
    assertEquals("input 'a' axis 1 must be 2 (f32[n, 2]), got 3", assertThrows(IllegalArgumentException.class,
        () -> run(body, TestWeights.none(), "a", f(new float[3], 1, 3))).getMessage());
  }

  @Test
  void paramsComeFromTheWeights() {
    String body = """
        %p = param {init = "normal", name = "w"} : f32[2]
        output p = %p
        """;
    assertArrayEquals(new float[] {1, 2}, run(body, TestWeights.of(Map.of("w", new float[] {1, 2}))).get("p").floats());
    assertThrows(WeightsException.class, () -> run(body, TestWeights.of(Map.of("w", new float[] {1, 2, 3}))));
    assertThrows(WeightsException.class, () -> run(body, TestWeights.none()));
  }

  @Test
  void everyOpGraphRuns() {
    Graph g = TestGraphs.everyOp();
    Map<String, Tensor> in = Map.of(
        "ids", l(new long[] {1, 2, 3, 9, 0, 4}, 2, 3),
        "mask", l(new long[] {1, 1, 0, 1, 1, 1}, 2, 3));
    Map<String, Tensor> out = Interpreter.run(g, in, TestWeights.random(3));
    assertEquals(List.of("y", "probs"), List.copyOf(out.keySet()));
    assertArrayEquals(new int[] {2, 3, 16}, out.get("y").shape());
    for (float v : out.get("y").floats()) assertTrue(Float.isFinite(v));
    float[] p = out.get("probs").floats(); // [2, 2, 3, 3]: rows of 3 sum to 1
    for (int row = 0; row < p.length / 3; row++) assertEquals(1f, p[3 * row] + p[3 * row + 1] + p[3 * row + 2], 1e-5f);
    // batch 0, head 0, query 0: only key 0 is visible (causal), so it gets everything
    assertEquals(1f, p[0], 1e-6f);
    // batch 0, query 2: key 2 is padding → probability 0
    assertEquals(0f, p[2 * 3 + 2], 1e-6f);
  }

  @Test
  void outputsOfTheSameValueShareIt() {
    Map<String, Tensor> out = run("""
        %x = input {name = "x"} : f32[1]
        output a = %x
        output b = %x
        """, TestWeights.none(), "x", f(new float[] {4}, 1));
    assertEquals(List.of("a", "b"), List.copyOf(out.keySet()));
    assertArrayEquals(new float[] {4}, out.get("b").floats());
  }
}
