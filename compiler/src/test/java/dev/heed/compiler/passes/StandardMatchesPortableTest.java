package dev.heed.compiler.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.compiler.SampleInputs;
import dev.heed.compiler.interp.Interpreter;
import dev.heed.compiler.interp.TestWeights;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Verifier;
import dev.heed.runtime.DType;
import dev.heed.runtime.Tensor;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The kernel fusions preserve meaning on every example: the standard pipeline's IR (with
 * slices, mha, fused_linear, add_layer_norm and elementwise nodes) computes, in the reference
 * interpreter, exactly the outputs of the portable IR (plain ops and attention), at three sizes,
 * on random weights and sample inputs (padding included). Each fused op is defined as the chain
 * it replaces, evaluated in the same order, so the outputs are bit-identical, not just close.
 */
class StandardMatchesPortableTest {
  /** (batch, seq) pairs; the other sequence symbols get lengths from seq up, see {@link ExampleSpecs#sizes}. */
  private static final List<int[]> SIZES = List.of(new int[] {1, 1}, new int[] {2, 5}, new int[] {3, 12});

  @TestFactory
  Stream<DynamicTest> standardIrComputesWhatPortableIrComputes() {
    return ExampleSpecs.specs().stream().map(spec -> DynamicTest.dynamicTest(ExampleSpecs.shortName(spec), () -> check(spec)));
  }

  private static void check(Path spec) {
    Graph lowered = ExampleSpecs.lower(spec);
    Graph portable = PassManager.portable().run(lowered);
    Graph standard = PassManager.standard().verifyEachPass(true).run(lowered);
    assertEquals(List.of(), Verifier.verify(standard));
    assertEquals(portable.outputs().stream().map(Graph.Output::name).toList(),
        standard.outputs().stream().map(Graph.Output::name).toList(), "output names");
    assertEquals(portable.inputs(), standard.inputs(), "inputs");
    TestWeights weights = TestWeights.random(17);
    for (int[] bs : SIZES) {
      Map<String, Integer> sizes = ExampleSpecs.sizes(lowered, bs[0], bs[1]);
      Map<String, Tensor> inputs = SampleInputs.make(lowered, sizes, 5 + bs[1]);
      Map<String, Tensor> want = Interpreter.run(portable, inputs, weights);
      Map<String, Tensor> got = Interpreter.run(standard, inputs, weights);
      assertEquals(want.keySet(), got.keySet());
      for (String k : want.keySet()) {
        Tensor a = want.get(k), b = got.get(k);
        String where = ExampleSpecs.shortName(spec) + " " + sizes + " output " + k;
        assertEquals(a.typeString(), b.typeString(), where);
        if (a.dtype() == DType.F32) {
          float[] x = a.floats(), y = b.floats();
          for (int i = 0; i < x.length; i++) {
            if (Float.floatToIntBits(x[i]) != Float.floatToIntBits(y[i])) {
              throw new AssertionError(where + "[" + i + "]: portable " + x[i] + ", standard " + y[i]
                  + " (the fused ops must compute the same bits as the chains they replace)");
            }
          }
        } else {
          assertTrue(Arrays.equals(a.longs(), b.longs()), where);
        }
      }
    }
  }
}
