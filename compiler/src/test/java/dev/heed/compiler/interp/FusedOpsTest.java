package dev.heed.compiler.interp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.compiler.SampleInputs;
import dev.heed.compiler.ir.ElementwiseExpr;
import dev.heed.compiler.ir.Epilogue;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.IrParser;
import dev.heed.compiler.ir.IrPrinter;
import dev.heed.compiler.ir.ShapeError;
import dev.heed.compiler.ir.Verifier;
import dev.heed.compiler.passes.InferShapes;
import dev.heed.compiler.passes.PassStats;
import dev.heed.runtime.Tensor;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The ops that kernel fusions make are defined as the chains they replace: each is checked
 * bit for bit against its chain written out in plain ops, on random inputs and weights, and
 * each one's type and text form are checked.
 */
class FusedOpsTest {
  private static Graph graph(String body) {
    Graph g = IrParser.parse("graph T {\n" + body + "\n}\n", "t.ir");
    Verifier.verifyOrThrow(g);
    return g;
  }

  /** Both graphs on the same random inputs and weights: every output equal, bit for bit. */
  private static void assertSame(String fused, String chain, Map<String, Integer> sizes) {
    Graph f = graph(fused), c = graph(chain);
    Map<String, Tensor> in = SampleInputs.make(c, sizes, 7);
    TestWeights w = TestWeights.random(3);
    Map<String, Tensor> a = Interpreter.run(f, in, w), b = Interpreter.run(c, in, w);
    assertEquals(b.keySet(), a.keySet());
    for (String k : a.keySet()) {
      assertArrayEquals(b.get(k).shape(), a.get(k).shape(), k);
      assertArrayEquals(b.get(k).floats(), a.get(k).floats(), 0f, k);
    }
  }

  private static final String QKV_INPUTS = """
      %x = input {name = "x"} : f32[batch, seq, 8]
      %m = input {name = "m"} : i64[batch, seq]
      %pm = padding_mask(%m) : f32[batch, 1, seq]
      %mask = reshape(%pm) {shape = dims[batch, 1, 1, seq]} : f32[batch, 1, 1, seq]
      %w = param {name = "w", init = "uniform"} : f32[24, 8]
      %y = linear(%x, %w) : f32[batch, seq, 24]
      %q = slice(%y) {axis = 2, start = 0, end = 8} : f32[batch, seq, 8]
      %k = slice(%y) {axis = 2, start = 8, end = 16} : f32[batch, seq, 8]
      %v = slice(%y) {axis = -1, start = 16, end = 24} : f32[batch, seq, 8]
      """;

  @Test
  void mhaIsSplitHeadsAttentionMergeHeads() {
    assertSame(QKV_INPUTS + """
        %o = mha(%q, %k, %v, %mask) {heads = 2, scale = 0.5} : f32[batch, seq, 8]
        output o = %o
        """, QKV_INPUTS + """
        %q4 = reshape(%q) {shape = dims[batch, seq, 2, 4]} : f32[batch, seq, 2, 4]
        %qh = transpose(%q4) {perm = [0, 2, 1, 3]} : f32[batch, 2, seq, 4]
        %k4 = reshape(%k) {shape = dims[batch, seq, 2, 4]} : f32[batch, seq, 2, 4]
        %kh = transpose(%k4) {perm = [0, 2, 1, 3]} : f32[batch, 2, seq, 4]
        %v4 = reshape(%v) {shape = dims[batch, seq, 2, 4]} : f32[batch, seq, 2, 4]
        %vh = transpose(%v4) {perm = [0, 2, 1, 3]} : f32[batch, 2, seq, 4]
        %a = attention(%qh, %kh, %vh, %mask) {scale = 0.5} : f32[batch, 2, seq, 4]
        %t = transpose(%a) {perm = [0, 2, 1, 3]} : f32[batch, seq, 2, 4]
        %o = reshape(%t) {shape = dims[batch, seq, 8]} : f32[batch, seq, 8]
        output o = %o
        """, Map.of("batch", 2, "seq", 5));
  }

  @Test
  void sliceTakesTheColumnRange() {
    Graph g = graph(QKV_INPUTS + "output k = %k\noutput y = %y\n");
    Map<String, Tensor> out = Interpreter.run(g, SampleInputs.make(g, Map.of("batch", 2, "seq", 3), 1), TestWeights.random(3));
    float[] y = out.get("y").floats(), k = out.get("k").floats();
    for (int r = 0; r < 6; r++) {
      for (int c = 0; c < 8; c++) assertEquals(y[r * 24 + 8 + c], k[r * 8 + c], 0f);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"bias", "gelu", "bias,relu", "bias,gelu,residual", "residual", "tanh,residual", "bias,sigmoid",
      "gelu_tanh", "bias,residual,layer_norm", "rms_norm", "bias,gelu,layer_norm", "relu,residual,rms_norm"})
  void fusedLinearIsLinearThenItsEpilogue(String epilogue) {
    Epilogue e = Epilogue.parse(epilogue);
    assertEquals(epilogue, e.toString());
    String head = """
        %x = input {name = "x"} : f32[batch, 6]
        %r = input {name = "r"} : f32[batch, 5]
        %w = param {name = "w", init = "uniform"} : f32[5, 6]
        %b = param {name = "b", init = "uniform"} : f32[5]
        %g = param {name = "g", init = "uniform"} : f32[5]
        %beta = param {name = "beta", init = "uniform"} : f32[5]
        """;
    String normOperands = e.norm() == Op.LAYER_NORM ? ", %g, %beta" : e.norm() == Op.RMS_NORM ? ", %g" : "";
    String operands = "%x, %w" + (e.bias() ? ", %b" : "") + (e.residual() ? ", %r" : "") + normOperands;
    String fused = head + "%y = fused_linear(" + operands + ") {epilogue = \"" + epilogue + "\""
        + (e.norm() != null ? ", eps = 1.0E-5" : "") + "} : f32[batch, 5]\n" + "output y = %y\noutput r = %r\n";
    StringBuilder chain = new StringBuilder(head).append("%l = linear(%x, %w").append(e.bias() ? ", %b" : "")
        .append(") : f32[batch, 5]\n");
    String last = "%l";
    if (e.activation() != null) {
      chain.append("%a = ").append(e.activation().irName()).append("(%l) : f32[batch, 5]\n");
      last = "%a";
    }
    if (e.residual()) {
      chain.append("%s = add(").append(last).append(", %r) : f32[batch, 5]\n");
      last = "%s";
    }
    if (e.norm() != null) {
      chain.append("%n = ").append(e.norm().irName()).append("(").append(last).append(normOperands)
          .append(") {eps = 1.0E-5} : f32[batch, 5]\n");
      last = "%n";
    }
    chain.append("%y = reshape(").append(last).append(") {shape = dims[batch, 5]} : f32[batch, 5]\noutput y = %y\noutput r = %r\n");
    assertSame(fused, chain.toString(), Map.of("batch", 3));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "relu,bias", "bias,bias", "gelu,tanh", "residual,bias", "exp", "bias,,gelu",
      "layer_norm,residual", "rms_norm,gelu", "layer_norm,rms_norm", "softmax"})
  void badEpiloguesAreRejected(String epilogue) {
    assertThrows(RuntimeException.class, () -> Epilogue.parse(epilogue));
  }

  @Test
  void addNormsAreTheNormOfTheSum() {
    String head = """
        %a = input {name = "a"} : f32[batch, 7]
        %b = input {name = "b"} : f32[batch, 7]
        %g = param {name = "g", init = "uniform"} : f32[7]
        %be = param {name = "be", init = "uniform"} : f32[7]
        """;
    assertSame(head + """
        %y = add_layer_norm(%a, %b, %g, %be) {eps = 1.0E-5} : f32[batch, 7]
        %z = add_rms_norm(%a, %b, %g) {eps = 1.0E-6} : f32[batch, 7]
        output y = %y
        output z = %z
        """, head + """
        %s = add(%a, %b) : f32[batch, 7]
        %y = layer_norm(%s, %g, %be) {eps = 1.0E-5} : f32[batch, 7]
        %z = rms_norm(%s, %g) {eps = 1.0E-6} : f32[batch, 7]
        output y = %y
        output z = %z
        """, Map.of("batch", 4));
  }

  @Test
  void elementwiseIsItsChainWithBroadcasting() {
    String head = """
        %a = input {name = "a"} : f32[batch, seq, 4]
        %b = input {name = "b"} : f32[seq, 4]
        %c = input {name = "c"} : f32[batch, 1, 1]
        %h = constant {value = 0.5} : f32[]
        """;
    assertSame(head + """
        %y = elementwise(%a, %b, %c) {expr = "gelu((($0 + $1) * 0.5)) - neg($2)"} : f32[batch, seq, 4]
        output y = %y
        """.replace("\"gelu((($0 + $1) * 0.5)) - neg($2)\"", "\"(gelu((($0 + $1) * 0.5)) - neg($2))\""), head + """
        %s = add(%a, %b) : f32[batch, seq, 4]
        %t = mul(%s, %h) : f32[batch, seq, 4]
        %u = gelu(%t) : f32[batch, seq, 4]
        %n = neg(%c) : f32[batch, 1, 1]
        %y = sub(%u, %n) : f32[batch, seq, 4]
        output y = %y
        """, Map.of("batch", 2, "seq", 3));
  }

  @ParameterizedTest
  @ValueSource(strings = {"$0", "(($0 + $1) * 0.5)", "gelu_tanh(sqrt(($0 / -1.0E9)))", "neg(neg($3))", "(1.5 - $0)"})
  void expressionsPrintAsTheyParse(String text) {
    assertEquals(text, ElementwiseExpr.print(ElementwiseExpr.parse(text)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "$", "($0 + $1", "$0 + $1", "softmax($0)", "($0 ^ $1)", "foo", "(($0))"})
  void badExpressionsSayWhere(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ElementwiseExpr.parse(text));
    assertTrue(e.getMessage().contains("at column"), e.getMessage());
  }

  @Test
  void typesAreCheckedWithReasons() {
    String bad = """
        %x = input {name = "x"} : f32[batch, seq, 9]
        %o = mha(%x, %x, %x) {heads = 2, scale = 0.5}
        output o = %o
        """;
    Graph g = IrParser.parse("graph T {\n" + bad + "\n}\n", "t.ir");
    ShapeError e = assertThrows(ShapeError.class, () -> new InferShapes().run(g, new PassStats()));
    assertTrue(e.getMessage().contains("divisible by 2 heads"), e.getMessage());
    String slice = """
        %x = input {name = "x"} : f32[batch, 4]
        %o = slice(%x) {axis = 1, start = 2, end = 6}
        output o = %o
        """;
    Graph s = IrParser.parse("graph T {\n" + slice + "\n}\n", "t.ir");
    ShapeError e2 = assertThrows(ShapeError.class, () -> new InferShapes().run(s, new PassStats()));
    assertTrue(e2.getMessage().contains("[2, 6)"), e2.getMessage());
    // The text form round-trips with the new ops in it.
    Graph q = graph(QKV_INPUTS + "%o = mha(%q, %k, %v, %mask) {heads = 2, scale = 0.5} : f32[batch, seq, 8]\noutput o = %o\n");
    assertEquals(IrPrinter.print(q), IrPrinter.print(IrParser.parse(IrPrinter.print(q), "again.ir")));
  }
}
