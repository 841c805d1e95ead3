package dev.heed.compiler.emit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.compiler.SampleInputs;
import dev.heed.compiler.interp.Interpreter;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.IrParser;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.ir.Verifier;
import dev.heed.compiler.jar.ClassBytesLoader;
import dev.heed.compiler.jar.InMemoryJavac;
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
 * The ops kernel fusions make, emitted from IR: each form (mha reading q, k, v in place from
 * one QKV product, with a padding or causal mask or none; every fused_linear epilogue, packed
 * and not, row norms included; the fused norms; elementwise loops with broadcast operands and constants; a copied
 * slice; a concat of weights computed at load time) compiles under -Xlint:all -Werror and
 * computes what the reference interpreter computes, call after call on the same instance
 * (so workspace slots are reused with stale contents in between).
 */
class FusedOpsEmitTest {
  static final String IR = """
      graph Fused {
        %x = input {name = "x"} : f32[batch, seq, 8]
        %m = input {name = "m"} : i64[batch, seq]
        %wi = input {name = "wi"} : f32[8, 8]
        %pm = padding_mask(%m) : f32[batch, 1, seq]
        %mask = reshape(%pm) {shape = dims[batch, 1, 1, seq]} : f32[batch, 1, 1, seq]
        %cm = causal_mask(%x) {axis = 1} : f32[seq, seq]
        %wq = param {name = "wq", init = "uniform"} : f32[8, 8]
        %wk = param {name = "wk", init = "uniform"} : f32[8, 8]
        %wv = param {name = "wv", init = "uniform"} : f32[8, 8]
        %bq = param {name = "bq", init = "uniform"} : f32[8]
        %bk = param {name = "bk", init = "uniform"} : f32[8]
        %bv = param {name = "bv", init = "uniform"} : f32[8]
        %g = param {name = "g", init = "uniform"} : f32[8]
        %w = concat(%wq, %wk, %wv) {axis = 0} : f32[24, 8]
        %b = concat(%bq, %bk, %bv) {axis = 0} : f32[24]
        %y = linear(%x, %w, %b) : f32[batch, seq, 24]
        %q = slice(%y) {axis = 2, start = 0, end = 8} : f32[batch, seq, 8]
        %k = slice(%y) {axis = 2, start = 8, end = 16} : f32[batch, seq, 8]
        %v = slice(%y) {axis = -1, start = 16, end = 24} : f32[batch, seq, 8]
        %o = mha(%q, %k, %v, %mask) {heads = 2, scale = 0.5} : f32[batch, seq, 8]
        %o2 = mha(%x, %k, %v) {heads = 4, scale = 0.3} : f32[batch, seq, 8]
        %o3 = mha(%o, %o2, %x, %cm) {heads = 2, scale = 0.25} : f32[batch, seq, 8]
        %f1 = fused_linear(%o3, %wq, %bq) {epilogue = "bias,gelu"} : f32[batch, seq, 8]
        %f2 = fused_linear(%f1, %wk, %x) {epilogue = "relu,residual"} : f32[batch, seq, 8]
        %f3 = fused_linear(%f2, %wi, %bv, %o) {epilogue = "bias,tanh,residual"} : f32[batch, seq, 8]
        %f4 = fused_linear(%f3, %w, %b) {epilogue = "bias,sigmoid"} : f32[batch, seq, 24]
        %f5 = fused_linear(%f3, %wv) {epilogue = "gelu_tanh"} : f32[batch, seq, 8]
        %n1 = add_layer_norm(%f5, %x, %g, %bk) {eps = 1.0E-5} : f32[batch, seq, 8]
        %n2 = add_rms_norm(%n1, %f2, %g) {eps = 1.0E-6} : f32[batch, seq, 8]
        %f6 = fused_linear(%n2, %wq, %bq, %x, %g) {epilogue = "bias,residual,rms_norm", eps = 1.0E-6} : f32[batch, seq, 8]
        %f7 = fused_linear(%f6, %wi, %g, %bk) {epilogue = "layer_norm", eps = 1.0E-5} : f32[batch, seq, 8]
        %f8 = fused_linear(%f7, %wk, %bk, %g, %bq) {epilogue = "bias,gelu,layer_norm", eps = 1.0E-12} : f32[batch, seq, 8]
        %pe = sinusoidal(%x) {axis = 1, dim = 8} : f32[seq, 8]
        %col = slice(%f4) {axis = 2, start = 3, end = 4} : f32[batch, seq, 1]
        %mid = slice(%y) {axis = 2, start = 4, end = 12} : f32[batch, seq, 8]
        %c = constant {value = 0.25} : f32[]
        %e = elementwise(%n2, %pe, %c, %col, %mid, %bq) {expr = "((sigmoid((($0 * $1) + $2)) - neg($3)) + (($4 / 2.0) * $5))"} : f32[batch, seq, 8]
        %r = reshape(%n1) {shape = dims[batch, seq, 2, 4]} : f32[batch, seq, 2, 4]
        output e = %e
        output n1 = %r
        output mid = %mid
        output wv = %wv
        output f8 = %f8
      }
      """;

  @Test
  void everyFusedOpCompilesAndMatchesTheInterpreter() throws Exception {
    Graph g = IrParser.parse(IR, "fused.ir");
    Verifier.verifyOrThrow(g);
    Set<Op> used = EnumSet.noneOf(Op.class);
    for (var n : g.nodes()) used.add(n.op());
    assertTrue(used.containsAll(Set.of(Op.MHA, Op.FUSED_LINEAR, Op.ADD_LAYER_NORM, Op.ADD_RMS_NORM, Op.ELEMENTWISE,
        Op.SLICE, Op.CONCAT)), used.toString());

    String java = JvmEmitter.emit(g, new JvmEmitter.Options("t.fused", Map.of(), "fused.ir")).get("t.fused.Fused");
    // q, k and v are read in place from the QKV product: columns 0, 8 and 16 of rows of 24.
    assertTrue(java.contains("q, 0, seq * 24, 4, 24,"), java);
    assertTrue(java.contains("k, 8, seq * 24, 4, 24,"), java);
    assertTrue(java.contains("v, 16, seq * 24, 4, 24,"), java);
    // The padding mask [batch, 1, 1, seq] and the causal mask [seq, seq] broadcast by strides.
    assertTrue(java.contains("mask, 0, seq, 0, 0, 1,"), java);
    assertTrue(java.contains("mask, 0, 0, 0, seq, 1,"), java);
    // The weights joined at load time, packed once; a weight that is an input is not packed.
    assertTrue(java.contains("computed once at load time"), java);
    assertTrue(java.contains("PackedLinear.of("), java);
    assertTrue(java.contains("Fused: linear + bias + gelu"), java);
    assertTrue(java.contains("Fused: linear + bias + tanh + residual add"), java);
    // Row norms in the GEMM's store with a packed weight; after the product with an input weight.
    assertTrue(java.contains("Gemm.linearRmsNorm(x, w, bias, Activation.NONE, residual, gamma, 1.0E-6f, out,"), java);
    assertTrue(java.contains("Gemm.linearLayerNorm(x, w, bias, Activation.GELU, null, gamma, beta, 1.0E-12f, out,"), java);
    assertTrue(java.contains("Norms.layerNorm(out, gamma, beta, out,"), java);
    assertTrue(java.contains("i % (seq * 8)"), "[seq, 8] against [batch, seq, 8]:\n" + java);
    assertTrue(java.contains("i / 8"), "[batch, seq, 1] against [batch, seq, 8]:\n" + java);
    assertFalse(java.contains("transpose("), "no transposes:\n" + java);

    Map<String, byte[]> classes = InMemoryJavac.compile(Map.of("t.fused.Fused", java));
    List<HeedModelFactory> factories = new ClassBytesLoader(classes, getClass().getClassLoader())
        .factories(JvmEmitter.serviceEntry(g, "t.fused") + "\n");
    RandomWeights weights = new RandomWeights(5);
    HeedModel model = factories.get(0).create(weights);
    for (int[] sz : new int[][] {{2, 5}, {1, 1}, {3, 7}, {2, 5}, {3, 700}}) {
      Map<String, Tensor> inputs = SampleInputs.make(g, Map.of("batch", sz[0], "seq", sz[1]), 3 + sz[0] * sz[1]);
      Map<String, Tensor> want = Interpreter.run(g, inputs, weights);
      Map<String, Tensor> got = model.run(inputs);
      assertEquals(want.keySet(), got.keySet());
      for (String name : want.keySet()) {
        assertArrayEquals(want.get(name).shape(), got.get(name).shape(), name);
        float[] a = want.get(name).floats(), b = got.get(name).floats();
        double worst = 0, scale = 1;
        for (int i = 0; i < a.length; i++) {
          worst = Math.max(worst, Math.abs(a[i] - b[i]));
          scale = Math.max(scale, Math.abs(a[i]));
        }
        assertTrue(worst <= 2e-5 * scale, name + " at " + sz[0] + "x" + sz[1] + ": max abs diff " + worst);
      }
      // Outputs are the caller's: a later call must not write into them, nor into the weights.
      got.get("wv").floats()[0] = 42f;
    }
    Map<String, Tensor> again = model.run(SampleInputs.make(g, Map.of("batch", 1, "seq", 2), 1));
    assertTrue(again.get("wv").floats()[0] != 42f, "an output that is a weight is a copy");
  }

  @Test
  void thePlanKeepsOutputsOutOfSlotsAndInputsApartFromOutputs() {
    Graph g = IrParser.parse(IR, "fused.ir");
    BufferPlan plan = BufferPlan.of(g);
    assertEquals(BufferPlan.Role.LOAD_TIME, plan.role("w"));
    assertEquals(BufferPlan.Role.VIEW, plan.role("q"));
    assertEquals(BufferPlan.Role.KERNEL, plan.role("mid"), "a slice read by something other than mha is copied");
    assertEquals("y", plan.root("q"));
    assertEquals(BufferPlan.Home.OUTPUT, plan.buffer("n1").home(), "n1 is an output through a reshape");
    assertEquals(BufferPlan.Home.OUTPUT, plan.buffer("mid").home());
    BufferPlanTest.assertValid(plan);
  }
}
