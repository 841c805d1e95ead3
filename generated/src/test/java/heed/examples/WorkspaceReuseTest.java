package heed.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
 * One instance of every checked-in model, called with growing, shrinking and repeated sizes:
 * its workspace slots are reused with what the previous call left in them, and every result
 * still matches the reference interpreter. Outputs from earlier calls are left as they were.
 */
class WorkspaceReuseTest {
  @TestFactory
  Stream<DynamicTest> reusedWorkspacesGiveTheInterpretersResults() {
    List<HeedModelFactory> factories = HeedModels.all(getClass().getClassLoader());
    return Examples.specs().stream().map(spec -> DynamicTest.dynamicTest(spec, () -> {
      HeedCompiler.Result r = Examples.compile(spec);
      HeedModelFactory f = factories.stream().filter(x -> x.name().equals(r.ir().name())).findFirst().orElseThrow();
      RandomWeights weights = new RandomWeights(11);
      HeedModel model = f.create(weights);
      Map<String, Tensor> first = null, firstCopy = null;
      int[][] sizes = {{2, 5, 3}, {3, 9, 11}, {1, 2, 2}, {3, 9, 11}, {2, 6, 4}};
      for (int[] sz : sizes) {
        Map<String, Integer> s = new HashMap<>();
        s.put("batch", sz[0]);
        for (String n : List.of("seq", "q_seq", "tgt_seq")) s.put(n, sz[1]);
        for (String n : List.of("k_seq", "src_seq")) s.put(n, sz[2]);
        Map<String, Tensor> inputs = SampleInputs.make(r.ir(), s, 5 + sz[1]);
        Map<String, Tensor> got = model.run(inputs);
        Map<String, Tensor> want = Interpreter.run(r.ir(), inputs, weights);
        assertEquals(want.keySet(), got.keySet());
        for (String name : want.keySet()) {
          GeneratedModelsTest.assertClose(spec + " " + java.util.Arrays.toString(sz) + " output " + name, want.get(name),
              got.get(name));
        }
        if (first == null) {
          first = got;
          firstCopy = new HashMap<>();
          for (var e : got.entrySet()) firstCopy.put(e.getKey(), Tensor.ofFloats(e.getValue().floats().clone(), e.getValue().shape()));
        }
      }
      for (String name : first.keySet()) {
        GeneratedModelsTest.assertClose(spec + ": output " + name + " of the first call, after later calls",
            firstCopy.get(name), first.get(name));
      }
    }));
  }
}
