package dev.heed.compiler.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.heed.compiler.ir.Graph;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * How many kernels ({@link KernelPlan#kernels}) each example runs per call, after the portable
 * passes (what ONNX export reads: attention fused, nothing else) and after the standard
 * pipeline (the kernel fusions too):
 *
 * <pre>
 *   example                        portable  standard
 *   attention/additive                    9         8   tanh(qp + kp) one loop; score + mask stays (softmax reads rows)
 *   attention/cross_attention             5         5   q, k, v of two inputs, no heads: nothing to merge
 *   attention/multi_head                 10         4   qkv GEMM, mha, out GEMM, padding mask
 *   attention/residual_attention          2         2   attention, add
 *   attention/scaled_dot_product          7         6   (scores / 4) + mask one loop
 *   attention/self_attention              5         5   no heads: slices would be copies, q/k/v stay apart
 *   gpt/gpt                              39        20   per block 16 → 7, final norm into the last GEMM
 *   minilm/minilm                       104        37   per layer 16 → 5, embeddings 7 → 6
 *   seed/transformer                     97        36   encoder layer 16 → 5, decoder layer 27 → 8 (+1 shared k/v GEMM)
 * </pre>
 *
 * A MiniLM (BERT) layer before: linear q, k, v and their split_heads transposes (6), attention,
 * the merge_heads transpose, linear, add, layer_norm, linear, gelu, linear, add, layer_norm (16).
 * After: the qkv linear (its slices are views mha reads), mha, fused_linear
 * "bias,residual,layer_norm", fused_linear "bias,gelu", fused_linear "bias,residual,layer_norm"
 * (5). The embeddings lose one kernel (word + type + position is one elementwise loop). GPT's
 * pre-norm blocks keep their norms apart (the residual stream feeds both a layer_norm and the
 * next residual, so only the adds go into the GEMMs; the final norm, after the last block, goes
 * into its GEMM); the seed Transformer's decoder merges the cross-attention k and v projections
 * of both layers over the encoder output into one GEMM.
 */
class KernelCountTest {
  private record Counts(int portable, int standard) {}

  private static final Map<String, Counts> EXPECTED = new LinkedHashMap<>();

  static {
    EXPECTED.put("attention/additive", new Counts(9, 8));
    EXPECTED.put("attention/cross_attention", new Counts(5, 5));
    EXPECTED.put("attention/multi_head", new Counts(10, 4));
    EXPECTED.put("attention/residual_attention", new Counts(2, 2));
    EXPECTED.put("attention/scaled_dot_product", new Counts(7, 6));
    EXPECTED.put("attention/self_attention", new Counts(5, 5));
    EXPECTED.put("gpt/gpt", new Counts(39, 20));
    EXPECTED.put("minilm/minilm", new Counts(104, 37));
    EXPECTED.put("seed/transformer", new Counts(97, 36));
  }

  @Test
  void everyExampleHasACount() {
    assertEquals(List.copyOf(EXPECTED.keySet()), ExampleSpecs.specs().stream().map(ExampleSpecs::shortName).toList(),
        "add a row for each new example, to the table in the class comment too");
  }

  @TestFactory
  Stream<DynamicTest> kernelsPerExample() {
    return ExampleSpecs.specs().stream().map(spec -> DynamicTest.dynamicTest(ExampleSpecs.shortName(spec), () -> {
      Counts want = EXPECTED.get(ExampleSpecs.shortName(spec));
      Graph lowered = ExampleSpecs.lower(spec);
      Graph portable = PassManager.portable().run(lowered);
      Graph standard = PassManager.standard().run(lowered);
      assertEquals(want.portable(), KernelPlan.kernels(portable).size(), () -> "portable kernels:\n" + KernelPlan.table(portable));
      assertEquals(want.standard(), KernelPlan.kernels(standard).size(), () -> "standard kernels:\n" + KernelPlan.table(standard));
    }));
  }

  /** MiniLM's six layers are the same five kernels each, in this order. */
  @Test
  void aMiniLmLayerIsFiveKernels() {
    Graph g = PassManager.standard().run(ExampleSpecs.lower(ExampleSpecs.root().resolve("examples/minilm/minilm.heed")));
    List<String> kernels = KernelPlan.kernels(g).stream()
        .map(n -> n.op().irName() + (n.attrs().containsKey("epilogue") ? "(" + n.strAttr("epilogue") + ")" : "")).toList();
    List<String> layer = List.of("linear", "mha", "fused_linear(bias,residual,layer_norm)", "fused_linear(bias,gelu)",
        "fused_linear(bias,residual,layer_norm)");
    assertEquals(List.of("embedding", "embedding", "positions", "embedding", "elementwise", "layer_norm", "padding_mask"),
        kernels.subList(0, 7));
    for (int i = 0; i < 6; i++) assertEquals(layer, kernels.subList(7 + 5 * i, 12 + 5 * i), "layer " + i);
    assertEquals(37, kernels.size());
  }
}
