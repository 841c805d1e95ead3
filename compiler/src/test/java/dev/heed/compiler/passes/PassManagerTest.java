package dev.heed.compiler.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.IrParser;
import dev.heed.compiler.ir.IrPrinter;
import dev.heed.compiler.ir.IrVerifyException;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.TensorType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PassManagerTest {
  private static final String SRC = """
      graph G {
        %x = input {name = "x"} : f32[2, 2]
        %one = constant {value = 1.0}
        %y = mul(%x, %one)
        %z = relu(%y)
        %dead = exp(%z)
        output z = %z
      }
      """;

  private static Graph src() { return IrParser.parse(SRC, "src.ir"); }

  private static final List<String> STANDARD = List.of("infer-shapes", "constant-fold", "cse", "fuse-attention", "fuse-qkv", "fuse-heads", "fuse-epilogue", "fuse-add-norm",
        "fuse-elementwise", "dce");

  @Test
  void standardPipelineIsInferFoldCseFuseDce() {
    assertEquals(STANDARD, PassManager.standard().passes().stream().map(Pass::name).toList());
    assertEquals(STANDARD, PassManager.standardPasses().stream().map(Pass::name).toList());
  }

  @Test
  void portablePipelineStopsAtAttention() {
    assertEquals(List.of("infer-shapes", "constant-fold", "cse", "fuse-attention", "dce"),
        PassManager.portable().passes().stream().map(Pass::name).toList());
  }

  @Test
  void passesHaveKebabCaseNamesAndOneLineSummaries() {
    Pattern kebab = Pattern.compile("[a-z]+(-[a-z]+)*");
    for (Pass p : PassManager.standardPasses()) {
      assertTrue(kebab.matcher(p.name()).matches(), p.name());
      assertTrue(!p.summary().isBlank() && !p.summary().contains("\n"), p.summary());
      assertEquals(p.name(), PassManager.byName(p.name()).name());
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PassManager.byName("fold"));
    assertTrue(e.getMessage().contains("constant-fold"), e.getMessage());
  }

  @Test
  void runsPassesInOrderAndReportsStats() {
    PassManager.Result r = PassManager.standard().verifyEachPass(true).runWithStats(src());
    assertEquals("""
        graph G {
          %x = input {name = "x"} : f32[2, 2]
          %z = relu(%x) : f32[2, 2]
          output z = %z
        }
        """, IrPrinter.print(r.graph()));
    assertEquals(STANDARD, r.runs().stream().map(PassManager.PassRun::pass).toList());
    assertEquals("types inferred: 4, types checked: 0", r.runs().get(0).stats().toString());
    assertEquals(1, r.runs().get(1).stats().get("identities simplified"));
    assertEquals(2, r.runs().get(9).stats().get("nodes removed"));
  }

  @Test
  void printIrAfterOnePass() {
    List<String> log = new ArrayList<>();
    PassManager.standard().printIrAfter("cse", log::add).run(src());
    assertEquals(1, log.size());
    assertTrue(log.get(0).startsWith("// ----- IR after cse -----\ngraph G {\n"), log.get(0));
  }

  @Test
  void printIrAfterAll() {
    List<String> log = new ArrayList<>();
    PassManager.standard().printIrAfter("all", log::add).run(src());
    assertEquals(10, log.size());
    assertTrue(log.get(9).startsWith("// ----- IR after dce -----\n"));
    // The printed IR parses back.
    IrParser.parse(log.get(3), "log");
  }

  @Test
  void printIrAfterUnknownPassListsTheValidNames() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PassManager.standard().printIrAfter("cse2", s -> {}));
    assertTrue(e.getMessage().contains("'cse2'"), e.getMessage());
    assertTrue(e.getMessage().contains("infer-shapes, constant-fold, cse, fuse-attention, fuse-qkv, fuse-heads, "
        + "fuse-epilogue, fuse-add-norm, fuse-elementwise, dce"), e.getMessage());
  }

  @Test
  void dumpIrDirWritesNumberedFiles(@TempDir Path dir) throws IOException {
    Path out = dir.resolve("ir");
    Graph result = PassManager.standard().dumpIrDir(out).run(src());
    try (Stream<Path> s = Files.list(out)) {
      assertEquals(List.of("00_input.ir", "01_infer-shapes.ir", "02_constant-fold.ir", "03_cse.ir", "04_fuse-attention.ir",
          "05_fuse-qkv.ir", "06_fuse-heads.ir", "07_fuse-epilogue.ir", "08_fuse-add-norm.ir", "09_fuse-elementwise.ir",
          "10_dce.ir"), s.map(p -> p.getFileName().toString()).sorted().toList());
    }
    assertEquals(IrPrinter.print(src()), Files.readString(out.resolve("00_input.ir")));
    assertEquals(IrPrinter.print(result), Files.readString(out.resolve("10_dce.ir")));
    // Written like any other file (the umask's permissions), not as an owner-only temporary file.
    Path plain = Files.writeString(dir.resolve("plain.txt"), "x");
    assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(out.resolve("00_input.ir")));
  }

  /** A pass that breaks the IR: gives the first non-source node a wrong type. */
  private static final class Breaker implements Pass {
    @Override public String name() { return "breaker"; }

    @Override public String summary() { return "breaks types"; }

    @Override public Graph run(Graph g, PassStats stats) {
      List<Node> nodes = new ArrayList<>(g.nodes());
      for (int i = 0; i < nodes.size(); i++) {
        if (nodes.get(i).op().irName().equals("relu")) nodes.set(i, nodes.get(i).withType(TensorType.f32()));
      }
      return g.withNodes(nodes);
    }
  }

  @Test
  void verifyEachPassNamesTheGuiltyPass() {
    PassManager pm = new PassManager(List.of(new InferShapes(), new Breaker(), new DeadCodeElimination())).verifyEachPass(true);
    IrVerifyException e = assertThrows(IrVerifyException.class, () -> pm.run(src()));
    assertTrue(e.getMessage().contains("after pass 'breaker'"), e.getMessage());
    assertTrue(e.getMessage().contains("%z: declared type f32[] but its operands give f32[2, 2]"), e.getMessage());
  }

  @Test
  void withoutVerificationABrokenPassGoesUnnoticed() {
    PassManager pm = new PassManager(List.of(new InferShapes(), new Breaker()));
    pm.run(src());
  }

  @Test
  void unchangedGraphIsReturnedAsIs() {
    Graph g = new InferShapes().run(src(), new PassStats());
    Graph again = new CommonSubexpressionElimination().run(g, new PassStats());
    assertSame(g, again);
  }

  @Test
  void statsLine() {
    PassStats s = new PassStats();
    assertEquals("nothing counted", s.toString());
    s.add("nodes removed", 3).increment("constants folded").increment("constants folded").add("nodes removed", 0);
    assertEquals("nodes removed: 3, constants folded: 2", s.toString());
    assertEquals(0, s.get("other"));
  }
}
