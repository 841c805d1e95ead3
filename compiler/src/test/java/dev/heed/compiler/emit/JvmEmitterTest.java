package dev.heed.compiler.emit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.compiler.HeedCompiler;
import dev.heed.compiler.SampleInputs;
import dev.heed.compiler.interp.Interpreter;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.jar.ClassBytesLoader;
import dev.heed.compiler.jar.InMemoryJavac;
import dev.heed.dsl.diag.SourceFile;
import dev.heed.runtime.HeedModel;
import dev.heed.runtime.HeedModelFactory;
import dev.heed.runtime.Tensor;
import dev.heed.runtime.io.RandomWeights;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The jvm emitter on a spec that uses every op: the Java compiles cleanly under
 * -Xlint:all -Werror, and computes what the reference interpreter computes.
 */
class JvmEmitterTest {
  static final String EVERY_OP = """
      const d = 8;
      model EveryOp {
        input x: f32[batch, seq, d];
        input y: f32[batch, seq, d];
        input ids: i64[batch, seq];
        input pad: i64[batch, seq];
        param table: [11, d];
        param w: [d, d];
        param b: [d];
        param g: [d] init ones;
        let e = embedding(ids, table) + sinusoidal(ids, d) + embedding(positions(ids), table);
        let a = relu(x) - tanh(y) * sigmoid(x) / (exp(-y) + 2.0);
        let h = gelu(a) + gelu(y, approximate = "tanh") + sqrt(exp(x));
        let n = rms_norm(layer_norm(h + e, g, b, eps = 1e-3), g);
        let q = split_heads(linear(n, w, b), 2);
        let k = split_heads(linear(n, w), 2);
        let att = attention(q, k, q, mask = padding_mask(pad) + causal_mask(ids));
        let m = merge_heads(att);
        let c = concat([m, n], axis = 2);                          // [batch, seq, 2d]
        let t = transpose(reshape(c, [batch, seq, 2, d]), 1, 2);   // [batch, 2, seq, d]
        let s = squeeze(unsqueeze(softmax(t, axis = 1), 0), 0);
        output out = s @ transpose(s) ;
        output scores = masked_softmax(m @ transpose(n), padding_mask(pad));
      }
      """;

  /** Compiles {@code spec} (package t.x) and makes the model with random weights. */
  private HeedModel model(String spec) {
    HeedCompiler.Result r = HeedCompiler.compile(new SourceFile("x.heed", spec), HeedCompiler.Options.defaults().withPackage("t.x"), s -> { });
    Map<String, byte[]> classes = InMemoryJavac.compile(r.javaSources());
    List<HeedModelFactory> f = new ClassBytesLoader(classes, getClass().getClassLoader()).factories(r.serviceEntries());
    return f.get(0).create(new RandomWeights(5));
  }

  @Test
  void everyOutputHasAnArrayOfItsOwn() {
    HeedModel m = model("""
        model Twice {
          input x: f32[batch, 4];
          param g: [4] init ones;
          output a = rms_norm(x, g);
          output b = rms_norm(x, g);
          output split = reshape(relu(x), [batch, 2, 2]);
          output lifted = unsqueeze(relu(x), 1);
          output same = x;
        }
        """);
    Tensor x = Tensor.ofFloats(new float[] {1, -2, 3, -4, 5, -6, 7, -8}, 2, 4);
    Map<String, Tensor> out = m.run(Map.of("x", x));
    List<float[]> arrays = new java.util.ArrayList<>(out.values().stream().map(Tensor::floats).toList());
    arrays.add(x.floats());
    for (int i = 0; i < arrays.size(); i++) {
      for (int j = i + 1; j < arrays.size(); j++) assertTrue(arrays.get(i) != arrays.get(j), i + " and " + j + " share an array");
    }
    float before = out.get("b").floats()[0];
    out.get("a").floats()[0] = 42;
    assertEquals(before, out.get("b").floats()[0]);
  }

  @Test
  void aNumberedKernelNameNeverSpellsAnotherKernelsName() {
    // Found by differential fuzzing: the second 6→1 linear kernel (other shapes) was numbered
    // linear6to1 + 2 = linear6to12, the 6→12 linear's name, and javac rejected the class.
    HeedModel m = model("""
        model K {
          input x: f32[batch, 6];
          input y: f32[batch, seq, 6];
          param a: [1, 6];
          param ab: [1];
          param b: [12, 6];
          param bb: [12];
          output p = linear(x, a, ab);
          output q = linear(y, a, ab);
          output r = linear(y, b, bb);
        }
        """);
    Map<String, Tensor> out = m.run(Map.of("x", Tensor.ofFloats(new float[6], 1, 6), "y", Tensor.ofFloats(new float[12], 1, 2, 6)));
    assertEquals(Set.of("p", "q", "r"), out.keySet());
  }

  @Test
  void aSequenceLongerThanTheLearnedPositionTableIsNamedAsSuch() {
    HeedModel m = model("""
        model Pos {
          input ids: i64[batch, seq];
          output y = LearnedPositions(ids, 4, 2) as "wpe";
        }
        """);
    assertEquals(List.of(4, 2), java.util.Arrays.stream(m.run(Map.of("ids", Tensor.ofLongs(new long[4], 1, 4))).get("y").shape())
        .boxed().toList());
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> m.run(Map.of("ids", Tensor.ofLongs(new long[5], 1, 5))));
    assertEquals("'seq' is 5, more than the 4 positions of the learned position table 'wpe.weight'", e.getMessage());
  }

  @Test
  void theStandardLayersDoNotSeeTheSpecsConstants() {
    // The standard layers' types bind d, d_in, q_seq, ...: a spec's constants of those names
    // must not make them required sizes.
    HeedModel m = model("""
        const d = 6;
        const d_in = 4;
        const q_seq = 3;
        model M {
          input x: f32[batch, seq, 8];
          let a = MultiHeadAttention(x, x, 2) as "a";
          let f = Linear(LayerNorm(x + a) as "ln", 5) as "fc";
          output y = f * d;
        }
        """);
    Tensor y = m.run(Map.of("x", Tensor.ofFloats(new float[2 * 7 * 8], 2, 7, 8))).get("y");
    assertArrayEquals(new int[] {2, 7, 5}, y.shape());
  }

  @Test
  void runRejectsAKeyThatIsNoInput() {
    HeedModel m = model("model Id { input x: f32[batch, 4]; output y = relu(x); }");
    Tensor x = Tensor.ofFloats(new float[4], 1, 4);
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> m.run(Map.of("x", x, "z", x)));
    assertEquals("unknown input 'z'; the model's inputs are x: f32[batch, 4]", e.getMessage());
    m.releaseWorkspaces(); // through the interface
  }

  @Test
  void everyOpCompilesAndMatchesTheInterpreter() throws Exception {
    HeedCompiler.Result r = HeedCompiler.compile(new SourceFile("every_op.heed", EVERY_OP),
        HeedCompiler.Options.defaults().withPackage("t.every"), s -> { });
    // The spec through the standard passes (kernel fusions included), and through the portable
    // passes only, where every plain op survives: together they use every op.
    Graph unfused = r.portableIr();
    Set<Op> used = EnumSet.noneOf(Op.class);
    for (Graph g : List.of(r.ir(), unfused)) for (var n : g.nodes()) used.add(n.op());
    Set<Op> missing = EnumSet.complementOf(EnumSet.copyOf(used));
    // neg is folded into constants or sub here. Which fused ops (and slices) the passes make of
    // this spec is theirs to decide; FusedOpsEmitTest emits every one of them from IR.
    missing.remove(Op.NEG);
    missing.remove(Op.SLICE);
    missing.removeIf(op -> op.kind() == Op.Kind.FUSED);
    assertEquals(Set.of(), missing, "the spec should exercise every op");
    assertTrue(r.ir().nodes().stream().anyMatch(n -> n.op() == Op.MHA), "the kernel fusions ran");

    for (Graph g : List.of(r.ir(), unfused)) {
      Map<String, String> java = JvmEmitter.emit(g, new JvmEmitter.Options("t.every", Map.of(), "every_op.heed"));
      Map<String, byte[]> classes = InMemoryJavac.compile(java);
      List<HeedModelFactory> factories = new ClassBytesLoader(classes, getClass().getClassLoader())
          .factories(JvmEmitter.serviceEntry(g, "t.every") + "\n");
      assertEquals(1, factories.size());
      RandomWeights weights = new RandomWeights(3);
      HeedModel model = factories.get(0).create(weights);
      for (int[] sz : new int[][] {{1, 1}, {2, 5}, {3, 4}, {2, 5}}) {
        Map<String, Tensor> inputs = SampleInputs.make(g, Map.of("batch", sz[0], "seq", sz[1]), 11 + sz[1]);
        Map<String, Tensor> want = Interpreter.run(g, inputs, weights);
        Map<String, Tensor> got = model.run(inputs);
        for (String name : want.keySet()) {
          assertArrayEquals(want.get(name).shape(), got.get(name).shape(), name);
          float[] a = want.get(name).floats(), b = got.get(name).floats();
          double worst = 0, scale = 1;
          for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(a[i]));
          }
          assertTrue(worst <= 1e-5 * scale, name + " at " + sz[0] + "x" + sz[1] + ": max abs diff " + worst);
        }
      }
    }
  }

  @Test
  void kernelsQuoteTheirSpecLinesAndSharedShapesShareAKernel() {
    HeedCompiler.Result r = HeedCompiler.compile(new SourceFile("every_op.heed", EVERY_OP),
        HeedCompiler.Options.defaults().withPackage("t.every"), s -> { });
    String java = r.javaSources().get("t.every.EveryOp");
    assertTrue(java.contains("every_op.heed:14: let n = rms_norm(layer_norm(h + e, g, b, eps = 1e-3), g);"), java);
    // Both projections are [batch, seq, 8] x [8, 8]: the one with bias and the one without differ.
    assertEquals(1, java.split("static void linear8to8\\(", -1).length - 1);
    assertEquals(1, java.split("static void linear8to8NoBias\\(", -1).length - 1);
  }

  /**
   * A kernel from a standard layer quotes the user's line that called it first (here inside a
   * layer of the spec, itself called in a loop), then the standard layer's own lines; the IR
   * keeps the whole chain of calls.
   */
  @Test
  void standardLayerKernelsQuoteTheCallingLineFirst() {
    String spec = """
        layer Block(x: f32[batch, seq, 8]) {
          let h = LayerNorm(x, 1e-5) as "ln";
          return x + MultiHeadAttention(h, h, 2) as "attn";
        }
        model M {
          input x: f32[batch, seq, 8];
          let y = x;
          for i in 0..2 {
            y = Block(y) as "b.{i}";
          }
          output out = y;
        }
        """;
    Graph lowered = dev.heed.compiler.lower.Lowering.lower(dev.heed.dsl.SpecParser.parse(new SourceFile("dir/m.heed", spec)));
    dev.heed.compiler.ir.Node norm = lowered.nodes().stream().filter(n -> n.op() == Op.LAYER_NORM).findFirst().orElseThrow();
    List<dev.heed.compiler.ir.Loc> chain = norm.loc().chain();
    assertEquals(3, chain.size(), norm.loc().toString());
    assertEquals(dev.heed.compiler.lower.Lowering.PRELUDE_NAME, chain.get(0).file());
    dev.heed.compiler.ir.Loc loop = new dev.heed.compiler.ir.Loc("dir/m.heed", 9, 9);
    assertEquals(new dev.heed.compiler.ir.Loc("dir/m.heed", 2, 11, loop), chain.get(1));
    assertEquals(loop, chain.get(2));
    // The IR text keeps the chain.
    assertEquals(lowered, dev.heed.compiler.ir.IrParser.parse(dev.heed.compiler.ir.IrPrinter.print(lowered), "m.ir"));

    HeedCompiler.Result r = HeedCompiler.compile(new SourceFile("dir/m.heed", spec), HeedCompiler.Options.defaults().withPackage("t.chain"), s -> { });
    String java = r.javaSources().get("t.chain.M");
    String normLine = "heed/prelude.heed:" + chain.get(0).line() + ": ";
    assertTrue(java.contains("      // m.heed:2: let h = LayerNorm(x, 1e-5) as \"ln\";\n      //   via " + normLine), java);
    // The fused Q, K, V projection: the spec's line, then the line of MultiHeadAttention each
    // projection comes from (the standard layer's own lines, not Linear's inside them).
    assertTrue(java.matches("(?s).*// m\\.heed:3: return x \\+ MultiHeadAttention\\(h, h, 2\\) as \"attn\";\n"
        + "      //   via heed/prelude\\.heed:\\d+: let q = split_heads\\(Linear\\(q_in, d\\) as \"q_proj\", heads\\);[^\n]*\n"
        + "      //   via heed/prelude\\.heed:\\d+: let k = split_heads\\(Linear\\(kv_in, d\\) as \"k_proj\", heads\\);[^\n]*\n"
        + "      //   via heed/prelude\\.heed:\\d+: let v = split_heads\\(Linear\\(kv_in, d\\) as \"v_proj\", heads\\);[^\n]*\n"
        + "      float\\[\\] \\w+ = \\w+;\n      linear8to24\\(.*"), java);
    // The kernel's Javadoc lists both calls of the shared layer-norm kernel.
    int doc = java.indexOf("* m.heed:2: let h = LayerNorm(x, 1e-5) as \"ln\";\n   *   via " + normLine);
    assertTrue(doc > 0, java);
  }

  /** A fused kernel quotes every line it computes: here three projections and a residual, norm and its linear. */
  @Test
  void fusedKernelsQuoteEveryLineTheyCompute() {
    String spec = """
        model F {
          input x: f32[batch, seq, 8];
          param wq: [8, 8];
          param wk: [8, 8];
          param wv: [8, 8];
          param wo: [8, 8];
          param g: [8] init ones;
          param b: [8] init zeros;
          let q = split_heads(linear(x, wq), 2);
          let k = split_heads(linear(x, wk), 2);
          let v = split_heads(linear(x, wv), 2);
          let a = merge_heads(attention(q, k, v));
          let y = x + linear(a, wo);
          output out = layer_norm(y, g, b);
        }
        """;
    HeedCompiler.Result r = HeedCompiler.compile(new SourceFile("f.heed", spec), HeedCompiler.Options.defaults().withPackage("t.fused"), s -> { });
    String java = r.javaSources().get("t.fused.F");
    assertTrue(java.contains("""
              // f.heed:9: let q = split_heads(linear(x, wq), 2);
              // f.heed:10: let k = split_heads(linear(x, wk), 2);
              // f.heed:11: let v = split_heads(linear(x, wv), 2);
              float[] qkv = \
        """), java);
    assertTrue(java.contains("""
              // f.heed:13: let y = x + linear(a, wo);
              // f.heed:14: output out = layer_norm(y, g, b);
              float[] out2 = new float[\
        """), java);
  }
}
