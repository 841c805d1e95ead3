package dev.heed.compiler.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.compiler.interp.Interpreter;
import dev.heed.compiler.interp.TestWeights;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.IrParser;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import dev.heed.runtime.DType;
import dev.heed.runtime.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** fuse-attention beyond the golden cases: why-not statistics, and fused ≈ unfused on every example (portable passes). */
class FuseAttentionTest {
  private static final String SHARED_SCORES = """
      graph G {
        %q = input {name = "q"} : f32[seq, 4]
        %c = constant {value = 0.5} : f32[]
        %kt = transpose(%q) {perm = [1, 0]} : f32[4, seq]
        %s = matmul(%q, %kt) : f32[seq, seq]
        %sc = mul(%s, %c) : f32[seq, seq]
        %p = softmax(%sc) {axis = -1} : f32[seq, seq]
        %o = matmul(%p, %q) : f32[seq, 4]
        %o2 = add(%o, %s) : f32[seq, 4]
        output o = %o2
      }
      """;

  @Test void countsWhyACandidateDidNotFuse() {
    Graph g = IrParser.parse(SHARED_SCORES, "shared.ir");
    PassStats stats = new PassStats();
    Graph out = new FuseAttention().run(g, stats);
    assertEquals(g, out, "nothing fused, graph unchanged");
    assertEquals(0, stats.get("attention fused"));
    assertEquals(1, stats.get("not fused: the matmul in the chain has another user or is an output"), stats.toString());
  }

  /** f32 inputs in [-2, 2), i64 inputs 0 or 1 (a valid id for every vocabulary, and a mix of padding); symbols = 5. */
  private static Map<String, Tensor> randomInputs(Graph g) {
    Random r = new Random(3);
    Map<String, Tensor> out = new HashMap<>();
    for (Node n : g.inputs()) {
      int[] shape = n.type().shape().stream().mapToInt(d -> d.isKnown() ? (int) d.size() : 5).toArray();
      int count = Arrays.stream(shape).reduce(1, (x, y) -> x * y);
      if (n.type().dtype() == DType.F32) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) v[i] = r.nextFloat() * 4 - 2;
        out.put(n.strAttr("name"), Tensor.ofFloats(v, shape));
      } else {
        long[] v = new long[count];
        for (int i = 0; i < count; i++) v[i] = r.nextInt(2);
        out.put(n.strAttr("name"), Tensor.ofLongs(v, shape));
      }
    }
    return out;
  }

  static List<Path> specs() throws IOException {
    Path root = Path.of(System.getProperty("heed.repoRoot", "..")).toAbsolutePath().normalize();
    try (Stream<Path> s = Files.walk(root.resolve("examples"))) {
      return s.filter(p -> p.toString().endsWith(".heed")).sorted().toList();
    }
  }

  /** Every attention() call in the examples fuses, and the interpreter gives the same outputs either way. */
  @TestFactory
  Stream<DynamicTest> fusedMatchesUnfusedOnEveryExample() throws IOException {
    return specs().stream().map(spec -> DynamicTest.dynamicTest(spec.getFileName().toString(), () -> {
      Graph lowered = ExampleSpecs.lower(spec);
      Graph fused = PassManager.portable().run(lowered);
      List<Pass> withoutFusion = PassManager.portable().passes().stream().filter(p -> !(p instanceof FuseAttention)).toList();
      Graph unfused = new PassManager(withoutFusion).run(lowered);
      long softmaxes = unfused.nodes().stream().filter(n -> n.op() == Op.SOFTMAX).count();
      long attentions = fused.nodes().stream().filter(n -> n.op() == Op.ATTENTION).count();
      assertEquals(softmaxes, attentions + fused.nodes().stream().filter(n -> n.op() == Op.SOFTMAX).count());
      // Two examples spell attention out by hand: additive (Bahdanau) scores, and a division by √d_k.
      boolean byHand = Set.of("additive.heed", "scaled_dot_product.heed").contains(spec.getFileName().toString());
      assertEquals(!byHand, attentions > 0, attentions + " attention ops in " + spec);
      Map<String, Tensor> inputs = randomInputs(unfused);
      TestWeights weights = TestWeights.random(11);
      Map<String, Tensor> want = Interpreter.run(unfused, inputs, weights);
      Map<String, Tensor> got = Interpreter.run(fused, inputs, weights);
      for (String k : want.keySet()) {
        float[] a = want.get(k).floats(), b = got.get(k).floats();
        assertEquals(a.length, b.length, k);
        for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-6 * Math.max(1, Math.abs(a[i])), k + "[" + i + "]");
      }
    }));
  }
}
