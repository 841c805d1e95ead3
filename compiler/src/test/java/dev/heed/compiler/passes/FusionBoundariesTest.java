package dev.heed.compiler.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.compiler.inspect.FusionBoundaries;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.IrParser;
import dev.heed.compiler.ir.Node;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** "Why not fused": every kernel-to-kernel edge left after the standard passes has a specific reason. */
class FusionBoundariesTest {
  /** Every edge of every example: between two kernels, once per pair, with a reason from a rule (not the fallback). */
  @TestFactory
  Stream<DynamicTest> everyEdgeOfEveryExampleHasAReason() {
    return ExampleSpecs.specs().stream().map(spec -> DynamicTest.dynamicTest(ExampleSpecs.shortName(spec), () -> {
      PassManager.Result r = PassManager.standard().runWithStats(ExampleSpecs.lower(spec));
      Graph g = r.graph();
      Set<String> kernels = new HashSet<>();
      for (Node n : KernelPlan.kernels(g)) kernels.add(n.name());
      List<FusionBoundaries.Boundary> bs = FusionBoundaries.of(g, Map.of(), FusionBoundaries.declined(r.runs()));
      assertFalse(bs.isEmpty());
      Set<String> pairs = new HashSet<>();
      for (FusionBoundaries.Boundary b : bs) {
        String edge = "%" + b.producer() + " → %" + b.consumer() + ": ";
        assertTrue(kernels.contains(b.producer()) && kernels.contains(b.consumer()), edge + "both ends are kernels");
        assertTrue(pairs.add(b.producer() + " " + b.consumer()), edge + "listed once");
        assertFalse(b.reason().isBlank(), edge + "has a reason");
        assertFalse(b.reason().contains("no fusion rule"), edge + b.reason());
        assertFalse(b.reason().contains("would fuse this pair"), edge + b.reason());
      }
      assertEquals(edges(g, kernels), pairs, "every kernel-to-kernel edge, through views");
    }));
  }

  /** The kernel pairs of g, computed independently: producer kernel reached from each operand through non-kernels with one operand. */
  private static Set<String> edges(Graph g, Set<String> kernels) {
    Map<String, Node> byName = g.byName();
    Set<String> loadTime = KernelPlan.loadTimeValues(g);
    Set<String> out = new HashSet<>();
    for (Node c : g.nodes()) {
      if (!kernels.contains(c.name())) continue;
      for (String o : c.operands()) {
        Node p = byName.get(o);
        while (!kernels.contains(p.name()) && !KernelPlan.isSource(p) && !loadTime.contains(p.name())) {
          p = byName.get(p.operands().get(0));
        }
        if (kernels.contains(p.name())) out.add(p.name() + " " + c.name());
      }
    }
    return out;
  }

  private static final String DECLINED = """
      graph G {
        %x = input {name = "x"} : f32[seq, 4]
        %v = input {name = "v"} : f32[4]
        %w = param {init = "uniform", name = "w"} : f32[4, 4]
        %g = param {init = "ones", name = "g"} : f32[4]
        %y = linear(%x, %w) : f32[seq, 4]
        %a = relu(%y) : f32[seq, 4]
        %s = add(%y, %a) : f32[seq, 4]
        %n = layer_norm(%s, %g, %g) {eps = 1.0E-5} : f32[seq, 4]
        %y2 = linear(%n, %w) : f32[seq, 4]
        %b = add(%y2, %v) : f32[seq, 4]
        %e = exp(%b) : f32[seq, 4]
        %t = tanh(%e) : f32[seq, 4]
        output s = %s
        output a = %a
        output b = %b
        output e = %e
        output t = %t
      }
      """;

  @Test
  void reasonsAreThePassesOwnAnswers() {
    PassManager.Result r = PassManager.standard().runWithStats(IrParser.parse(DECLINED, "d.ir"));
    Map<String, String> why = new java.util.HashMap<>();
    for (FusionBoundaries.Boundary b : FusionBoundaries.of(r.graph(), Map.of("y", "linear0"),
        FusionBoundaries.declined(r.runs()))) {
      why.put(b.producer() + " " + b.consumer(), b.reason());
      if (b.producer().equals("y")) assertEquals("linear0", b.producerKernel());
      if (b.consumer().equals("a")) assertEquals("relu", b.consumerKernel(), "a kernel missing from the map: its op");
    }
    assertEquals("linear → relu: fuse-epilogue declined: the linear's result has another user or is an output",
        why.get("y a"));
    assertEquals("linear → add: fuse-epilogue declined the residual add: the linear's result has another user or is an output",
        why.get("y s"));
    assertEquals("add → layer_norm: fuse-add-norm declined: the add has another user or is an output", why.get("s n"));
    assertEquals("linear → add: fuse-epilogue declined the residual add: the add broadcasts the residual (it must have "
        + "the result's type)", why.get("y2 b"));
    assertEquals("add → exp: fuse-elementwise declined: the intermediate has another user or is an output, so it is "
        + "stored anyway", why.get("b e"));
    assertEquals("relu → add: fuse-elementwise declined: the intermediate has another user or is an output, so it is "
        + "stored anyway", why.get("a s"));
    assertTrue(why.get("e t").startsWith("exp → tanh: fuse-elementwise declined: the intermediate has another user"),
        why.get("e t"));
    assertTrue(why.get("n y2").startsWith("layer_norm → linear: the GEMM reads its input from memory"), why.get("n y2"));
  }

  @Test
  void declinedCollectsEveryPassesNotFusedCounts() {
    PassManager.Result r = PassManager.standard().runWithStats(IrParser.parse(DECLINED, "d.ir"));
    Map<String, List<String>> d = FusionBoundaries.declined(r.runs());
    assertEquals(List.of("fuse-epilogue", "fuse-add-norm", "fuse-elementwise"), List.copyOf(d.keySet()));
    assertTrue(d.get("fuse-add-norm").contains("the add has another user or is an output"), d.toString());
    assertNull(d.get("fuse-attention"));
  }

  /** The signature InspectReport calls: fuse-attention's reasons only. */
  @Test
  void attentionReasonsGoToTheSoftmaxEdge() {
    Graph g = PassManager.standard().run(IrParser.parse("""
        graph G {
          %q = input {name = "q"} : f32[seq, 4]
          %c = constant {value = 0.5} : f32[]
          %kt = transpose(%q) {perm = [1, 0]} : f32[4, seq]
          %s = matmul(%q, %kt) : f32[seq, seq]
          %p = softmax(%s) {axis = -1} : f32[seq, seq]
          %o = matmul(%p, %q) : f32[seq, 4]
          output o = %o
        }
        """, "a.ir"));
    List<FusionBoundaries.Boundary> bs = FusionBoundaries.of(g, Map.of(), List.of("softmax input is not q·kᵀ times a constant"));
    assertEquals("softmax → matmul: fuse-attention declined this chain (softmax input is not q·kᵀ times a constant)",
        bs.stream().filter(b -> b.producer().equals("p")).findFirst().orElseThrow().reason());
  }
}
