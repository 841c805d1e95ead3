package dev.heed.compiler.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.IrParser;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Verifier;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** OpCategory and KernelPlan on small graphs: categories, sources, load-time values, views, kernels. */
class KernelPlanTest {
  private static final String G = """
      graph G {
        %x = input {name = "x"} : f32[batch, seq, 4]
        %pad = input {name = "pad"} : i64[batch, seq]
        %wq = param {init = "uniform", name = "wq"} : f32[4, 4]
        %wk = param {init = "uniform", name = "wk"} : f32[4, 4]
        %gm = param {init = "ones", name = "gm"} : f32[4]
        %c = constant {value = 0.5} : f32[]
        %wks = mul(%wk, %c) : f32[4, 4]
        %w = concat(%wq, %wks) {axis = 0} : f32[8, 4]
        %wr = reshape(%w) {shape = dims[4, 8]} : f32[4, 8]
        %y = linear(%x, %w) : f32[batch, seq, 8] loc("m.heed":3:5)
        %q = slice(%y) {axis = 2, end = 4, start = 0} : f32[batch, seq, 4]
        %k = slice(%y) {axis = -1, end = 8, start = 4} : f32[batch, seq, 4]
        %m = padding_mask(%pad) : f32[batch, 1, seq]
        %m4 = reshape(%m) {shape = dims[batch, 1, 1, seq]} : f32[batch, 1, 1, seq]
        %a = mha(%q, %k, %k, %m4) {heads = 2, scale = 0.5} : f32[batch, seq, 4] loc("m.heed":4:5)
        %s = add(%a, %x) : f32[batch, seq, 4]
        %b = add(%s, %c) : f32[batch, seq, 4]
        %r = relu(%b) : f32[batch, seq, 4]
        %n = layer_norm(%r, %gm, %gm) {eps = 1.0E-5} : f32[batch, seq, 4]
        %k2 = slice(%y) {axis = 2, end = 8, start = 4} : f32[batch, seq, 4]
        %e = elementwise(%k2, %n) {expr = "($0 * $1)"} : f32[batch, seq, 4]
        %f = elementwise(%e, %c) {expr = "($0 - $1)"} : f32[batch, seq, 4]
        %t = transpose(%f) {perm = [0, 2, 1]} : f32[batch, 4, seq]
        output t = %t
        output wr = %wr
      }
      """;

  private static Graph g() {
    Graph g = IrParser.parse(G, "g.ir");
    Verifier.verifyOrThrow(g);
    return g;
  }

  @Test
  void categories() {
    Map<String, OpCategory> c = OpCategory.all(g());
    assertEquals(OpCategory.SOURCE, c.get("x"));
    assertEquals(OpCategory.SOURCE, c.get("wq"));
    assertEquals(OpCategory.SOURCE, c.get("c"));
    assertEquals(OpCategory.BROADCAST, c.get("wks"), "a scalar constant is stretched");
    assertEquals(OpCategory.OPAQUE, c.get("w"));
    assertEquals(OpCategory.VIEW, c.get("wr"));
    assertEquals(OpCategory.GEMM, c.get("y"));
    assertEquals(OpCategory.VIEW, c.get("q"), "a slice only mha reads");
    assertEquals(OpCategory.VIEW, c.get("k"), "axis -1 is the last axis");
    assertEquals(OpCategory.OPAQUE, c.get("k2"), "a slice an elementwise loop reads is a copy");
    assertEquals(OpCategory.OPAQUE, c.get("m"));
    assertEquals(OpCategory.OPAQUE, c.get("a"));
    assertEquals(OpCategory.ELEMENTWISE, c.get("s"));
    assertEquals(OpCategory.BROADCAST, c.get("b"));
    assertEquals(OpCategory.ELEMENTWISE, c.get("r"));
    assertEquals(OpCategory.REDUCTION, c.get("n"));
    assertEquals(OpCategory.ELEMENTWISE, c.get("e"));
    assertEquals(OpCategory.BROADCAST, c.get("f"));
    assertEquals(OpCategory.OPAQUE, c.get("t"));
    Graph g = g();
    assertEquals(OpCategory.GEMM, OpCategory.of(g, g.byName().get("y")));
  }

  @Test
  void loadTimeValuesDependOnWeightsOnly() {
    Graph g = g();
    assertEquals(Set.of("wks", "w", "wr"), KernelPlan.loadTimeValues(g));
    assertTrue(KernelPlan.isLoadTime(g, g.byName().get("w")));
    assertFalse(KernelPlan.isLoadTime(g, g.byName().get("wq")), "a param is a source, not a load-time value");
    assertFalse(KernelPlan.isLoadTime(g, g.byName().get("m")), "padding_mask reads an input");
    assertFalse(KernelPlan.isLoadTime(g, g.byName().get("b")), "reads a constant and a per-call value");
  }

  @Test
  void viewsAreReshapesAndSlicesThatOnlyMhaReads() {
    Graph g = g();
    Map<String, Node> n = g.byName();
    assertTrue(KernelPlan.isView(g, n.get("m4")));
    assertTrue(KernelPlan.isView(g, n.get("q")));
    assertTrue(KernelPlan.isView(g, n.get("k")));
    assertFalse(KernelPlan.isView(g, n.get("k2")));
    assertFalse(KernelPlan.isView(g, n.get("y")));
  }

  @Test
  void kernelsAreEverythingElseInNodeOrder() {
    Graph g = g();
    assertEquals(List.of("y", "m", "a", "s", "b", "r", "n", "k2", "e", "f", "t"),
        KernelPlan.kernels(g).stream().map(Node::name).toList());
    List<KernelPlan.Kernel> d = KernelPlan.describe(g);
    assertEquals("%y = linear [gemm] at m.heed:3:5", d.get(0).toString());
    assertEquals(OpCategory.OPAQUE, d.get(2).category());
    assertEquals("m.heed", d.get(2).loc().file());
    assertTrue(KernelPlan.table(g).startsWith("%y = linear [gemm] at m.heed:3:5\n%m = padding_mask [opaque] at <unknown>\n"),
        KernelPlan.table(g));
  }

  @Test
  void aSliceThatIsAnOutputOrTheMaskIsACopy() {
    Graph g = IrParser.parse("""
        graph G {
          %x = input {name = "x"} : f32[1, 4, 8]
          %q = slice(%x) {axis = 2, end = 4, start = 0} : f32[1, 4, 4]
          %k = slice(%x) {axis = 2, end = 8, start = 4} : f32[1, 4, 4]
          %mm = input {name = "mm"} : f32[1, 2, 4, 4]
          %mk = slice(%mm) {axis = 3, end = 2, start = 0} : f32[1, 2, 4, 2]
          %m = slice(%mm) {axis = 1, end = 1, start = 0} : f32[1, 1, 4, 4]
          %a = mha(%q, %q, %k, %m) {heads = 2, scale = 1.0} : f32[1, 4, 4]
          output a = %a
          output k = %k
          output mk = %mk
        }
        """, "s.ir");
    Verifier.verifyOrThrow(g);
    assertEquals(List.of("k", "mk", "m", "a"), KernelPlan.kernels(g).stream().map(Node::name).toList());
  }

  @Test
  void usersCountSlotsAndOutputs() {
    Graph g = g();
    KernelPlan.Users u = KernelPlan.Users.of(g);
    assertEquals(List.of("q", "k", "k2"), u.readers("y").stream().map(Node::name).toList());
    assertEquals(2, u.count("k"), "k is read twice by one mha");
    assertEquals(List.of("a"), u.readers("k").stream().map(Node::name).toList());
    assertEquals(3, u.count("c"));
    assertTrue(u.isOutput("wr"));
    assertEquals(1, u.count("wr"));
    assertFalse(u.single("wr"), "an output is not a single use");
    assertTrue(u.single("q"));
    assertEquals(1, u.count("t"));
  }
}
