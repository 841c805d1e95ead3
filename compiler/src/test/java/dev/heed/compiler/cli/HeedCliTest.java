package dev.heed.compiler.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The command line itself: help, version, usage errors, file errors. */
class HeedCliTest {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"--help", "compile --help", "emit --help", "run --help", "help compile", "compile -h"})
  void helpExitsZero(String args) {
    Cli r = Cli.run(args.split(" "));
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().startsWith("Usage: heed"), r.toString());
    assertEquals("", r.err());
  }

  @Test
  void topHelpListsCommandsAndExitCodes() {
    String out = Cli.run("--help").out();
    for (String s : List.of("compile", "emit", "run", "Exit codes:", "--debug", "--version")) {
      assertTrue(out.contains(s), s + " in\n" + out);
    }
  }

  @Test
  void versionMatchesThePom() throws IOException {
    Cli r = Cli.run("--version");
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().startsWith("heed " + HeedVersion.VERSION + "\n"), r.out());
    String root = System.getProperty("heed.repoRoot");
    if (root != null) {
      String pom = Files.readString(Path.of(root, "pom.xml"));
      Matcher m = Pattern.compile("<artifactId>heed-parent</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
      assertTrue(m.find(), "root pom has no version");
      assertEquals(m.group(1), HeedVersion.VERSION, "update HeedVersion.VERSION to the pom's version");
    }
  }

  @Test
  void noCommandIsAUsageError() {
    Cli r = Cli.run();
    assertEquals(2, r.code());
    assertTrue(r.err().contains("Usage: heed"), r.toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"compile --frob x.heed -o x.jar", "--frob", "emit", "compile x.heed", "run", "frobnicate"})
  void usageErrorsExitTwoWithOneLine(String args) {
    Cli r = Cli.run(args.split(" "));
    assertEquals(2, r.code(), r.toString());
    assertEquals(1, r.errLines().length, r.toString());
    assertTrue(r.err().startsWith("heed: error: "), r.toString());
    assertTrue(r.err().contains("--help"), r.toString());
    assertEquals("", r.out());
  }

  @Test
  void misspelledCommandGetsASuggestion() {
    Cli r = Cli.run("compil", "x.heed");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("'compile'"), r.toString());
  }

  @Test
  void anUnknownTargetIsAUsageError() throws IOException {
    // --target tornadovm is tested in TornadoCliTest.
    Path spec = Files.writeString(dir.resolve("m.heed"), "model M {}\n");
    Cli r = Cli.run("compile", spec.toString(), "-o", dir.resolve("m.jar").toString(), "--target", "gpu");
    assertEquals(2, r.code(), r.toString());
    assertTrue(r.err().startsWith("heed: error: unknown target 'gpu' (supported: jvm, tornadovm)"), r.toString());
    assertFalse(Files.exists(dir.resolve("m.jar")));
  }

  @Test
  void badPackageAndEmbedWithoutWeightsAreUsageErrors() throws IOException {
    Path spec = Files.writeString(dir.resolve("m.heed"), "model M {}\n");
    String jar = dir.resolve("m.jar").toString();
    Cli r = Cli.run("compile", spec.toString(), "-o", jar, "--package", "com.1bad");
    assertEquals(2, r.code(), r.toString());
    assertTrue(r.err().contains("not a Java package name"), r.toString());
    r = Cli.run("compile", spec.toString(), "-o", jar, "--embed-weights");
    assertEquals(2, r.code(), r.toString());
    assertTrue(r.err().contains("--embed-weights needs --weights"), r.toString());
    assertNoFiles("m.heed");
  }

  @Test
  void missingSpecIsOneLine() {
    Cli r = Cli.run("compile", dir.resolve("nope.heed").toString(), "-o", dir.resolve("m.jar").toString());
    assertEquals(1, r.code(), r.toString());
    assertEquals(1, r.errLines().length, r.toString());
    assertTrue(r.err().startsWith("heed: error: spec ") && r.err().contains("nope.heed: no such file"), r.toString());
    assertNoFiles();
  }

  @Test
  void missingWeightsIsOneLine() throws IOException {
    Path spec = Files.writeString(dir.resolve("m.heed"), "model M {}\n");
    Cli r = Cli.run("compile", spec.toString(), "-o", dir.resolve("m.jar").toString(),
        "--weights", dir.resolve("w.safetensors").toString());
    assertEquals(1, r.code(), r.toString());
    assertEquals(1, r.errLines().length, r.toString());
    assertTrue(r.err().contains("weights ") && r.err().contains("no such file"), r.toString());
    assertNoFiles("m.heed");
  }

  @Test
  void emitRejectsUnknownStage() throws IOException {
    Path spec = Files.writeString(dir.resolve("m.heed"), "model M {}\n");
    Cli r = Cli.run("emit", spec.toString(), "--stage", "bytecode");
    assertEquals(2, r.code(), r.toString());
    assertTrue(r.err().contains("ast, ir, java"), r.toString());
  }

  @Test
  void unknownPassIsAUsageError() throws IOException {
    Path spec = Files.writeString(dir.resolve("m.heed"), "model M {}\n");
    Cli r = Cli.run("emit", spec.toString(), "--print-ir-after", "frob");
    assertEquals(2, r.code(), r.toString());
    assertTrue(r.err().contains("unknown pass 'frob'") && r.err().contains("dce"), r.toString());
  }

  @Test
  void specThatIsNotUtf8IsOneLine() throws IOException {
    Path spec = Files.write(dir.resolve("m.heed"), new byte[] {(byte) 0xff, (byte) 0xfe, 'm'});
    Cli r = Cli.run("compile", spec.toString(), "-o", dir.resolve("m.jar").toString());
    assertEquals(1, r.code(), r.toString());
    assertEquals(1, r.errLines().length, r.toString());
    assertTrue(r.err().contains("not UTF-8"), r.toString());
    assertNoFiles("m.heed");
  }

  @Test
  void outputThatIsAFolderIsOneLine() throws IOException {
    Path spec = Files.writeString(dir.resolve("m.heed"), "model M {}\n");
    Files.createDirectory(dir.resolve("out"));
    Cli r = Cli.run("compile", spec.toString(), "-o", dir.resolve("out").toString());
    assertEquals(1, r.code(), r.toString());
    assertEquals(1, r.errLines().length, r.toString());
    assertTrue(r.err().contains("is a folder"), r.toString());
  }

  @Test
  void emptyPathsAndSizesGivenTwiceAreUsageErrors() throws IOException {
    Path spec = Files.writeString(dir.resolve("m.heed"), "model M { input x: f32[batch, seq]; output y = relu(x); }\n");
    for (List<String> args : List.of(List.of("compile", spec.toString(), "-o", ""), List.of("compile", "", "-o", "x.jar"),
        List.of("inspect", spec.toString(), "-o", dir.resolve("r").toString(), "--seq", "4", "--dim", "seq=8"))) {
      Cli r = Cli.run(args.toArray(String[]::new));
      assertEquals(2, r.code(), r.toString());
      assertEquals(1, r.errLines().length, r.toString());
    }
    assertTrue(Cli.run("compile", spec.toString(), "-o", "").err().contains("not an empty string"));
    assertTrue(Cli.run("inspect", spec.toString(), "-o", dir.resolve("r").toString(), "--seq", "4", "--dim", "seq=8")
        .err().contains("--seq and --dim seq both set it"));
  }

  @Test
  void aFileInTheWayOfTheOutputFolderIsNamed() throws IOException {
    Path spec = Files.writeString(dir.resolve("m.heed"), "model M { input x: f32[b, 2]; output y = relu(x); }\n");
    Path blocker = Files.writeString(dir.resolve("afile"), "");
    for (List<String> args : List.of(
        List.of("compile", spec.toString(), "-o", blocker.resolve("x.jar").toString()),
        List.of("export", spec.toString(), "--onnx", blocker.resolve("x.onnx").toString(), "--random-weights", "1"),
        List.of("emit", spec.toString(), "--dump-ir", blocker.toString()))) {
      Cli r = Cli.run(args.toArray(String[]::new));
      assertEquals(1, r.code(), r.toString());
      assertEquals(1, r.errLines().length, r.toString());
      assertTrue(r.err().contains("a file stands where a folder is needed (" + blocker + ")"), r.toString());
    }
  }

  @Test
  void anOutputThatIsAnInputIsRefusedAndTheInputKept() throws IOException {
    String text = "model M { input x: f32[b, 2]; output y = relu(x); }\n";
    Path spec = Files.writeString(dir.resolve("m.heed"), text);
    // the same file under another name, too
    Path alias = dir.resolve("sub/../m.heed");
    Files.createDirectory(dir.resolve("sub"));
    for (List<String> args : List.of(
        List.of("compile", spec.toString(), "-o", spec.toString()),
        List.of("compile", spec.toString(), "-o", alias.toString()),
        List.of("export", spec.toString(), "--onnx", spec.toString(), "--random-weights", "1"))) {
      Cli r = Cli.run(args.toArray(String[]::new));
      assertEquals(2, r.code(), r.toString());
      assertEquals(1, r.errLines().length, r.toString());
      assertTrue(r.err().contains("writing it would destroy the input"), r.toString());
      assertEquals(text, Files.readString(spec), "the spec is untouched");
    }
  }

  private void assertNoFiles(String... expected) {
    try (Stream<Path> s = Files.list(dir)) {
      assertArrayEquals(expected, s.map(p -> p.getFileName().toString()).sorted().toArray(String[]::new));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
