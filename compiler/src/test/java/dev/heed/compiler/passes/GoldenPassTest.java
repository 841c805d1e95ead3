package dev.heed.compiler.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.heed.compiler.interp.Interpreter;
import dev.heed.compiler.interp.TestWeights;
import dev.heed.compiler.ir.Dim;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.IrParser;
import dev.heed.compiler.ir.IrPrinter;
import dev.heed.compiler.ir.IrTestFiles;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Verifier;
import dev.heed.runtime.DType;
import dev.heed.runtime.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Golden tests from {@code src/test/resources/passes/<pass>.ir}: each case's input runs through
 * that one pass ({@code standard.ir}: the standard pipeline) and must print exactly as expected,
 * or fail with the expected error. When the input is valid IR, the output must be valid too and
 * must compute the same outputs as the input on random data (passes preserve meaning).
 */
class GoldenPassTest {

  @TestFactory
  Stream<DynamicNode> goldenCases() {
    List<Path> files = IrTestFiles.irFiles("passes");
    assertFalse(files.isEmpty(), "no golden files found");
    return files.stream().map(f -> DynamicContainer.dynamicContainer(f.getFileName().toString(),
        IrTestFiles.cases(f).stream().map(c -> DynamicTest.dynamicTest(c.displayName(), () -> check(f, c)))));
  }

  /** Every pass has a golden file with at least 4 cases, each with an expectation. */
  @Test
  void everyPassHasGoldenCases() {
    for (Pass p : PassManager.standardPasses()) {
      Path file = IrTestFiles.resourcesRoot().resolve("passes").resolve(p.name() + ".ir");
      List<IrTestFiles.Case> cases = IrTestFiles.cases(file);
      assertTrue(cases.size() >= 4, file + " has only " + cases.size() + " cases");
      for (IrTestFiles.Case c : cases) {
        assertTrue(c.expected() != null || c.expectedError() != null, c.displayName() + ": no expectation");
      }
    }
  }

  private static List<Pass> passesFor(Path file) {
    String name = file.getFileName().toString().replaceFirst("\\.ir$", "");
    return name.equals("standard") ? PassManager.standardPasses() : List.of(PassManager.byName(name));
  }

  private static void check(Path file, IrTestFiles.Case c) {
    Graph input = IrParser.parse(c.input(), c.sourceName());
    PassManager pm = new PassManager(passesFor(file));
    if (c.expectedError() != null) {
      try {
        Graph out = pm.run(input);
        fail("expected an error containing '" + c.expectedError() + "', but the pass succeeded:\n" + IrPrinter.print(out));
      } catch (RuntimeException e) {
        String msg = String.valueOf(e.getMessage());
        assertTrue(msg.contains(c.expectedError()), "expected an error containing\n  " + c.expectedError() + "\nbut got\n  " + msg);
      }
      return;
    }
    if (c.expected() == null) fail(c.displayName() + ": no expectation");
    Graph out = pm.run(input);
    assertEquals(c.expected(), IrPrinter.print(out), c.displayName());

    // A valid input must give a valid output that computes the same thing.
    Graph typedInput = input.nodes().stream().anyMatch(n -> n.type() == null)
        ? new InferShapes().run(input, new PassStats()) : input;
    if (Verifier.verify(typedInput).isEmpty()) {
      assertEquals(List.of(), Verifier.verify(out), "output of a valid input must verify");
      assertSameResults(typedInput, out);
    }
  }

  /** Runs both graphs on the same random inputs (every symbol = 3) and weights; outputs must be bit-identical. */
  static void assertSameResults(Graph before, Graph after) {
    Map<String, Tensor> inputs = randomInputs(before, 3, 42);
    TestWeights weights = TestWeights.random(7);
    Map<String, Tensor> a = Interpreter.run(before, inputs, weights);
    Map<String, Tensor> b = Interpreter.run(after, inputs, weights);
    assertEquals(a.keySet().stream().toList(), b.keySet().stream().toList(), "output names");
    for (String k : a.keySet()) {
      Tensor x = a.get(k), y = b.get(k);
      assertEquals(x.typeString(), y.typeString(), "output " + k);
      if (x.dtype() == DType.F32) assertTrue(Arrays.equals(x.floats(), y.floats()), "output " + k + " changed");
      else assertTrue(Arrays.equals(x.longs(), y.longs()), "output " + k + " changed");
    }
  }

  /** Random inputs: f32 in [-2, 2), i64 in [0, 3) (valid ids for any vocabulary of 3 or more, and a mix of padding). */
  static Map<String, Tensor> randomInputs(Graph g, int symbolSize, long seed) {
    Random r = new Random(seed);
    Map<String, Tensor> out = new HashMap<>();
    for (Node n : g.inputs()) {
      List<Integer> shape = new ArrayList<>();
      for (Dim d : n.type().shape()) shape.add(d.isKnown() ? (int) d.size() : symbolSize);
      int[] s = shape.stream().mapToInt(Integer::intValue).toArray();
      int count = shape.stream().reduce(1, (x, y) -> x * y);
      if (n.type().dtype() == DType.F32) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) v[i] = r.nextFloat() * 4 - 2;
        out.put(n.strAttr("name"), Tensor.ofFloats(v, s));
      } else {
        long[] v = new long[count];
        for (int i = 0; i < count; i++) v[i] = r.nextInt(3);
        out.put(n.strAttr("name"), Tensor.ofLongs(v, s));
      }
    }
    return out;
  }
}
