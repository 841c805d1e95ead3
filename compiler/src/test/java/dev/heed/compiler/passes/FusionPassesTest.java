package dev.heed.compiler.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.compiler.inspect.FusionBoundaries;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.IrParser;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** The kernel-fusion passes beyond their golden cases: examples, statistics, locations, stability. */
class FusionPassesTest {
  private static final List<Pass> FUSIONS = List.of(new FuseQkv(), new FuseHeads(), new FuseEpilogue(), new FuseAddNorm(),
      new FuseElementwise());

  /** On every example: every node keeps a spec location, outputs keep their names, and a second run changes nothing. */
  @TestFactory
  Stream<DynamicTest> locationsNamesAndStability() {
    return ExampleSpecs.specs().stream().map(spec -> DynamicTest.dynamicTest(ExampleSpecs.shortName(spec), () -> {
      Graph lowered = ExampleSpecs.lower(spec);
      Graph g = PassManager.standard().run(lowered);
      for (Node n : g.nodes()) assertTrue(n.loc().isKnown(), "%" + n.name() + " has no location");
      assertEquals(lowered.outputs().stream().map(Graph.Output::name).toList(),
          g.outputs().stream().map(Graph.Output::name).toList());
      assertEquals(g, PassManager.standard().run(g), "the standard pipeline is stable");
      for (Pass p : FUSIONS) assertSame(g, p.run(g, new PassStats()), p.name() + " finds nothing more to fuse");
    }));
  }

  /** What the fusions made of the examples, and why they declined what they did. */
  @Test
  void whatTheExamplesFuseAndWhy() {
    Map<String, Map<String, Long>> made = new java.util.TreeMap<>();
    Map<String, Map<String, List<String>>> declined = new java.util.TreeMap<>();
    for (var spec : ExampleSpecs.specs()) {
      PassManager.Result r = PassManager.standard().runWithStats(ExampleSpecs.lower(spec));
      Map<String, Long> ops = new java.util.TreeMap<>();
      for (Node n : r.graph().nodes()) {
        if (n.op().kind() == Op.Kind.FUSED || n.op() == Op.SLICE) ops.merge(n.op().irName(), 1L, Long::sum);
      }
      made.put(ExampleSpecs.shortName(spec), ops);
      declined.put(ExampleSpecs.shortName(spec), FusionBoundaries.declined(r.runs()));
    }
    assertEquals(Map.of("elementwise", 1L, "fused_linear", 18L, "mha", 6L, "slice", 18L), made.get("minilm/minilm"));
    assertEquals(Map.of("elementwise", 2L, "fused_linear", 14L, "mha", 6L, "slice", 16L), made.get("seed/transformer"));
    assertEquals(Map.of("fused_linear", 6L, "mha", 2L, "slice", 6L), made.get("gpt/gpt"));
    assertEquals(Map.of("mha", 1L, "slice", 3L), made.get("attention/multi_head"));
    assertEquals(Map.of("elementwise", 1L), made.get("attention/additive"));
    // GPT is pre-norm: the sum feeds the next block's residual as well as its layer_norm, both
    // as an add (fuse-add-norm) and, once the add is in a GEMM, as that GEMM's result (fuse-epilogue).
    assertEquals(Map.of("fuse-add-norm", List.of("the add has another user or is an output"),
        "fuse-epilogue", List.of("the linear's result has another user or is an output")), declined.get("gpt/gpt"));
    // Without heads a merged projection's slices would be copies: q, k, v stay three GEMMs.
    assertEquals(Map.of("fuse-qkv", List.of("a projection is used other than by split_heads (its slice would be a copy, "
        + "not read in place by mha)")), declined.get("attention/self_attention"));
    // Additive scores are not a scaled q·kᵀ: the softmax stays (its reasons go to the boundary softmax → matmul).
    assertEquals(Map.of("fuse-attention", List.of("softmax input is an add without a scaled q·kᵀ")),
        declined.get("attention/additive"));
  }

  @Test
  void passesReturnTheGraphItselfWhenNothingFuses() {
    Graph g = new InferShapes().run(IrParser.parse("""
        graph G {
          %x = input {name = "x"} : f32[2, 4]
          %w = param {init = "uniform", name = "w"} : f32[4, 4]
          %y = linear(%x, %w)
          %e = exp(%y)
          output e = %e
          output y = %y
        }
        """, "g.ir"), new PassStats());
    for (Pass p : FUSIONS) {
      PassStats stats = new PassStats();
      assertSame(g, p.run(g, stats), p.name());
      assertTrue(!stats.isEmpty(), p.name() + " reports its counts even when zero");
    }
  }

  @Test
  void fusedNodesAreTypedLikeTheValuesTheyReplace() {
    Graph g = PassManager.standard().run(ExampleSpecs.lower(ExampleSpecs.root().resolve("examples/minilm/minilm.heed")));
    Map<String, Node> byName = g.byName();
    for (Node n : g.nodes()) {
      switch (n.op()) {
        case MHA -> {
          assertEquals(12, n.intAttr("heads"));
          assertEquals(4, n.operands().size());
          for (int i = 0; i < 3; i++) assertEquals(Op.SLICE, byName.get(n.operands().get(i)).op());
          assertEquals("f32[batch, 1, 1, seq]", byName.get(n.operands().get(3)).type().toString());
          assertEquals("f32[batch, seq, 384]", n.type().toString());
        }
        case SLICE -> {
          assertEquals(2, n.intAttr("axis"));
          assertEquals(Op.LINEAR, byName.get(n.operands().get(0)).op());
          assertEquals("f32[batch, seq, 1152]", byName.get(n.operands().get(0)).type().toString());
        }
        case CONCAT -> assertTrue(KernelPlan.isLoadTime(g, n), n.name());
        default -> { }
      }
    }
  }
}
