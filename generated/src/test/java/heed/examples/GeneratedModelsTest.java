package heed.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.compiler.HeedCompiler;
import dev.heed.compiler.SampleInputs;
import dev.heed.compiler.interp.Interpreter;
import dev.heed.runtime.HeedModel;
import dev.heed.runtime.HeedModelFactory;
import dev.heed.runtime.HeedModels;
import dev.heed.runtime.Tensor;
import dev.heed.runtime.io.RandomWeights;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every checked-in model, compiled by javac as part of this module, against the
 * reference interpreter: random weights, random inputs with padded rows, several shapes.
 */
class GeneratedModelsTest {
  /** |generated - reference| ≤ TOLERANCE · max(1, max |reference|). */
  static final double TOLERANCE = 1e-5;

  @TestFactory
  Stream<DynamicTest> generatedCodeMatchesTheInterpreter() {
    List<HeedModelFactory> factories = HeedModels.all(getClass().getClassLoader());
    return Examples.specs().stream().flatMap(spec -> {
      HeedCompiler.Result r = Examples.compile(spec);
      HeedModelFactory f = factories.stream().filter(x -> x.name().equals(r.ir().name())).findFirst()
          .orElseThrow(() -> new AssertionError("no compiled model " + r.ir().name() + " in generated/; run bin/regenerate"));
      return Stream.of(new int[] {1, 1, 1}, new int[] {2, 5, 3}, new int[] {3, 7, 9}).map(sz -> DynamicTest.dynamicTest(
          spec + " sizes " + java.util.Arrays.toString(sz), () -> {
            Map<String, Integer> sizes = new HashMap<>();
            for (String s : List.of("batch")) sizes.put(s, sz[0]);
            for (String s : List.of("seq", "q_seq", "tgt_seq")) sizes.put(s, sz[1]);
            for (String s : List.of("k_seq", "src_seq")) sizes.put(s, sz[2]);
            Map<String, Tensor> inputs = SampleInputs.make(r.ir(), sizes, 42 + sz[1]);
            RandomWeights weights = new RandomWeights(7);
            HeedModel model = f.create(weights);
            Map<String, Tensor> got = model.run(inputs);
            Map<String, Tensor> want = Interpreter.run(r.ir(), inputs, weights);
            assertEquals(want.keySet(), got.keySet());
            for (String name : want.keySet()) assertClose(spec + " output " + name, want.get(name), got.get(name));
          }));
    });
  }

  static void assertClose(String what, Tensor want, Tensor got) {
    assertArrayEquals(want.shape(), got.shape(), what + ": shape");
    float[] a = want.floats(), b = got.floats();
    double scale = 1;
    for (float v : a) scale = Math.max(scale, Math.abs(v));
    double worst = 0;
    for (int i = 0; i < a.length; i++) {
      assertTrue(Float.isFinite(b[i]), what + ": element " + i + " is " + b[i]);
      worst = Math.max(worst, Math.abs(a[i] - b[i]));
    }
    assertTrue(worst <= TOLERANCE * scale, what + ": max abs diff " + worst + " exceeds " + TOLERANCE * scale);
  }
}
