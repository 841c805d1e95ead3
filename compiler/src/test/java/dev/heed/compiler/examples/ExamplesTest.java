package dev.heed.compiler.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.compiler.HeedCompiler;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.IrParser;
import dev.heed.compiler.ir.IrPrinter;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.ir.Verifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Every spec under examples/: its IR verifies, round-trips through text, and passes shrink it. */
class ExamplesTest {
  static Path root() {
    return Path.of(System.getProperty("heed.repoRoot", "..")).toAbsolutePath().normalize();
  }

  static List<Path> specs() throws IOException {
    try (Stream<Path> s = Files.walk(root().resolve("examples"))) {
      return s.filter(p -> p.toString().endsWith(".heed")).sorted().toList();
    }
  }

  @TestFactory
  Stream<DynamicTest> irOfEveryExampleRoundTripsThroughText() throws IOException {
    return specs().stream().map(spec -> DynamicTest.dynamicTest(root().relativize(spec).toString(), () -> {
      HeedCompiler.Result r = HeedCompiler.compile(spec, HeedCompiler.Options.defaults(), s -> { });
      for (Graph g : List.of(r.loweredIr(), r.ir())) {
        assertEquals(List.of(), Verifier.verify(g));
        String text = IrPrinter.print(g);
        Graph back = IrParser.parse(text, "roundtrip.ir");
        assertEquals(g, back, "parse(print(g)) must equal g");
        assertEquals(text, IrPrinter.print(back));
      }
    }));
  }

  @TestFactory
  Stream<DynamicTest> standardPassesNeverGrowTheGraphAndKeepTheSignature() throws IOException {
    return specs().stream().map(spec -> DynamicTest.dynamicTest(root().relativize(spec).toString(), () -> {
      HeedCompiler.Result r = HeedCompiler.compile(spec, HeedCompiler.Options.defaults(), s -> { });
      assertTrue(r.ir().nodes().size() <= r.loweredIr().nodes().size());
      assertEquals(r.loweredIr().inputs(), r.ir().inputs());
      assertEquals(r.loweredIr().outputs().stream().map(Graph.Output::name).toList(),
          r.ir().outputs().stream().map(Graph.Output::name).toList());
      assertTrue(r.ir().nodes().stream().noneMatch(n -> n.op() == Op.CONSTANT
          && r.ir().nodes().stream().filter(m -> m.operands().contains(n.name())).count() == 0
          && r.ir().outputs().stream().noneMatch(o -> o.value().equals(n.name()))), "dce leaves no unused constant");
    }));
  }
}
