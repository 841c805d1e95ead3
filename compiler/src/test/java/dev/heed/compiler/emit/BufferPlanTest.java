package dev.heed.compiler.emit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.IrParser;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.ir.Verifier;
import dev.heed.runtime.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Liveness-based buffer planning: slots are shared only by buffers whose lifetimes do not overlap. */
class BufferPlanTest {
  /** Checks every rule a plan must keep, whatever the graph. */
  static void assertValid(BufferPlan plan) {
    List<BufferPlan.Buffer> bs = new ArrayList<>(plan.buffers().values());
    for (BufferPlan.Buffer b : bs) {
      assertTrue(b.lastUse() >= b.kernel(), b.toString());
      if (b.home() == BufferPlan.Home.OUTPUT) {
        assertEquals(-1, b.slot(), b.value() + " is an output: it is the caller's, never in a reused slot");
        assertNull(plan.slotOf(b.value()));
        continue;
      }
      BufferPlan.Slot s = plan.slotOf(b.value());
      assertEquals(b.dtype(), s.dtype(), b.value());
      assertTrue(s.buffers().contains(b.value()), b.value());
      // The slot holds the buffer at any sizes of the symbols.
      for (long size : new long[] {1, 3, 64, 1000}) {
        assertTrue(s.elements(sym -> size) >= b.size().eval(sym -> size), b.value() + " in " + s.label());
        assertTrue(s.elements(sym -> sym.hashCode() % 2 == 0 ? size : 7) >= b.size().eval(sym -> sym.hashCode() % 2 == 0 ? size : 7));
      }
    }
    for (int i = 0; i < bs.size(); i++) {
      for (int j = i + 1; j < bs.size(); j++) {
        BufferPlan.Buffer a = bs.get(i), b = bs.get(j);
        if (a.home() != BufferPlan.Home.SLOT || b.home() != BufferPlan.Home.SLOT || a.dtype() != b.dtype() || a.slot() != b.slot()) {
          continue;
        }
        boolean overlap = a.kernel() <= b.lastUse() && b.kernel() <= a.lastUse();
        assertTrue(!overlap, a.value() + " [" + a.kernel() + ", " + a.lastUse() + "] and " + b.value() + " [" + b.kernel() + ", "
            + b.lastUse() + "] share slot " + a.slot() + " but are live at once");
      }
    }
    // No kernel writes the slot of one of its own inputs.
    for (Node k : plan.kernels()) {
      BufferPlan.Slot out = plan.slotOf(k.name());
      if (out == null) continue;
      for (String o : k.operands()) {
        String r = plan.root(o);
        if (plan.role(r) != BufferPlan.Role.KERNEL) continue;
        assertNotEquals(out, plan.slotOf(r), k.name() + " writes the slot of its input " + o);
      }
    }
  }

  private static Graph graph(String body) {
    Graph g = IrParser.parse("graph T {\n" + body + "}\n", "t.ir");
    Verifier.verifyOrThrow(g);
    return g;
  }

  @Test
  void aChainOfSameSizeOpsUsesTwoSlots() {
    StringBuilder sb = new StringBuilder("%t0 = input {name = \"x\"} : f32[batch, 16]\n");
    int n = 40;
    for (int i = 1; i <= n; i++) sb.append("%t").append(i).append(" = ").append(i % 2 == 0 ? "relu" : "tanh").append("(%t")
        .append(i - 1).append(") : f32[batch, 16]\n");
    sb.append("output y = %t").append(n).append('\n');
    BufferPlan plan = BufferPlan.of(graph(sb.toString()));
    assertValid(plan);
    assertEquals(n, plan.kernels().size());
    assertTrue(plan.slots().size() <= 3, plan.slots().toString());
    assertEquals(2, plan.slots().size(), "each op reads the one before: two slots alternate");
    assertEquals(BufferPlan.Home.OUTPUT, plan.buffer("t" + n).home());
    assertEquals(2 * 4 * 16 * 8L, plan.workspaceBytes(s -> 8));
    assertEquals((long) n * 4 * 16 * 8, plan.unplannedBytes(s -> 8));
    assertEquals("4·(2·batch·16)", plan.formula());
  }

  @Test
  void outputsAreNeverReusedAndLongsHaveTheirOwnSlots() {
    BufferPlan plan = BufferPlan.of(graph("""
        %x = input {name = "x"} : f32[batch, seq, 4]
        %a = relu(%x) : f32[batch, seq, 4]
        %b = tanh(%a) : f32[batch, seq, 4]
        %p = positions(%x) {axis = 1} : i64[seq]
        %c = sigmoid(%b) : f32[batch, seq, 4]
        %d = exp(%c) : f32[batch, seq, 4]
        %e = add(%d, %a) : f32[batch, seq, 4]
        output b = %b
        output e = %e
        output p = %p
        """));
    assertValid(plan);
    assertEquals(BufferPlan.Home.OUTPUT, plan.buffer("b").home());
    assertEquals(BufferPlan.Home.OUTPUT, plan.buffer("p").home());
    assertEquals(BufferPlan.Home.SLOT, plan.buffer("a").home());
    // When d runs, a (read last by e), c (its input) and d are live: three slots.
    assertEquals(3, plan.slots(DType.F32).size(), plan.slots().toString());
    assertEquals(List.of("a"), plan.slotOf("a").buffers());
    assertEquals(0, plan.slots(DType.I64).size());
  }

  @Test
  void slotsPreferMatchingSizesAndGrowRatherThanMultiply() {
    BufferPlan plan = BufferPlan.of(graph("""
        %x = input {name = "x"} : f32[batch, seq, 4]
        %m = input {name = "m"} : i64[batch, seq]
        %w = param {name = "w", init = "uniform"} : f32[16, 4]
        %w2 = param {name = "w2", init = "uniform"} : f32[4, 16]
        %pm = padding_mask(%m) : f32[batch, 1, seq]
        %a = relu(%x) : f32[batch, seq, 4]
        %h = linear(%a, %w) : f32[batch, seq, 16]
        %b = linear(%h, %w2) : f32[batch, seq, 4]
        %c = tanh(%b) : f32[batch, seq, 4]
        %h2 = linear(%c, %w) : f32[batch, seq, 16]
        %d = linear(%h2, %w2) : f32[batch, seq, 4]
        %pr = reshape(%pm) {shape = dims[batch, seq, 1]} : f32[batch, seq, 1]
        %e = add(%d, %pr) : f32[batch, seq, 4]
        output e = %e
        """));
    assertValid(plan);
    // The mask lives throughout and is small: it gets its own slot rather than a big one.
    BufferPlan.Slot mask = plan.slotOf("pm");
    assertEquals(List.of(new BufferPlan.Size(1, List.of("batch", "seq"))), mask.sizes());
    // h and h2 share a slot sized batch·seq·16, which the [batch, seq, 4] buffers do not take
    // (they would use a quarter of it, and h2 would then need a second big one): they share
    // two small slots.
    assertEquals(plan.slotOf("h"), plan.slotOf("h2"));
    assertEquals(List.of(new BufferPlan.Size(16, List.of("batch", "seq"))), plan.slotOf("h").sizes());
    assertEquals(4, plan.slots().size(), plan.slots().toString());
    long bytes = plan.workspaceBytes(s -> s.equals("batch") ? 2 : 10);
    assertEquals(4L * (2 * 10 + 2 * 10 * 16 + 2 * 2 * 10 * 4), bytes);
    assertEquals("4·(batch·seq + 2·batch·seq·4 + batch·seq·16)", plan.formula());
  }

  @Test
  void viewsKeepTheirRootAlive() {
    BufferPlan plan = BufferPlan.of(graph("""
        %x = input {name = "x"} : f32[batch, seq, 8]
        %y = relu(%x) : f32[batch, seq, 24]
        %q = slice(%y) {axis = 2, start = 0, end = 8} : f32[batch, seq, 8]
        %k = slice(%y) {axis = 2, start = 8, end = 16} : f32[batch, seq, 8]
        %v = slice(%y) {axis = 2, start = 16, end = 24} : f32[batch, seq, 8]
        %a = tanh(%x) : f32[batch, seq, 8]
        %o = mha(%q, %k, %v) {heads = 2, scale = 0.5} : f32[batch, seq, 8]
        %r = reshape(%o) {shape = dims[batch, seq, 2, 4]} : f32[batch, seq, 2, 4]
        %s = sigmoid(%r) : f32[batch, seq, 2, 4]
        output s = %s
        """.replace("relu(%x) : f32[batch, seq, 24]", "concat(%x, %x, %x) {axis = 2} : f32[batch, seq, 24]")));
    assertValid(plan);
    assertEquals(BufferPlan.Role.VIEW, plan.role("q"));
    assertEquals(BufferPlan.Role.VIEW, plan.role("r"));
    assertEquals("o", plan.root("r"));
    // y is read through its slices by o: live until then, so a may not take its slot.
    assertEquals(plan.kernels().indexOf(plan.graph().byName().get("o")), plan.buffer("y").lastUse());
    assertNotEquals(plan.slotOf("y"), plan.slotOf("a"));
  }

  @Test
  void randomGraphsGetValidPlans() {
    SplittableRandom rnd = new SplittableRandom(42);
    String[] shapes = {"[batch, 8]", "[batch, 8]", "[batch, 8]", "[1, 8]", "[8]"};
    for (int trial = 0; trial < 200; trial++) {
      StringBuilder sb = new StringBuilder("%v0 = input {name = \"x\"} : f32[batch, 8]\n");
      List<String> values = new ArrayList<>(List.of("v0"));
      int n = 5 + rnd.nextInt(30);
      for (int i = 1; i <= n; i++) {
        String a = values.get(rnd.nextInt(values.size())), b = values.get(rnd.nextInt(values.size()));
        String op = switch (rnd.nextInt(4)) {
          case 0 -> "relu(%" + a + ")";
          case 1 -> "exp(%" + a + ")";
          case 2 -> "add(%" + a + ", %" + b + ")";
          default -> "mul(%" + a + ", %" + b + ")";
        };
        sb.append("%v").append(i).append(" = ").append(op).append(" : f32").append(shapes[0]).append('\n');
        values.add("v" + i);
      }
      int outs = 1 + rnd.nextInt(3);
      for (int o = 0; o < outs; o++) sb.append("output o").append(o).append(" = %").append(values.get(1 + rnd.nextInt(n))).append('\n');
      BufferPlan plan = BufferPlan.of(graph(sb.toString()));
      assertValid(plan);
      for (Node k : plan.kernels()) assertTrue(k.op() != Op.INPUT);
      assertTrue(plan.workspaceBytes(s -> 4) <= plan.unplannedBytes(s -> 4));
    }
  }

  @Test
  void describeListsSlotsKernelsAndPeak() {
    BufferPlan plan = BufferPlan.of(graph("""
        %x = input {name = "x"} : f32[batch, 16]
        %a = relu(%x) : f32[batch, 16]
        %b = tanh(%a) : f32[batch, 16]
        %c = exp(%b) : f32[batch, 16]
        output c = %c
        """));
    String text = plan.describe(KernelNames.of(plan), s -> 8, "batch = 8");
    assertTrue(text.contains("f0   float[batch·16] = 512 B, holds %a"), text);
    assertTrue(text.contains("workspace 1.00 KiB = 4·(2·batch·16) bytes"), text);
    assertTrue(text.contains("without the plan (a buffer per kernel, outputs included): 1.50 KiB"), text);
    assertTrue(text.contains("relu"), text);
    assertEquals(Map.of("a", "relu", "b", "tanh", "c", "exp"), KernelNames.of(plan));
  }
}
