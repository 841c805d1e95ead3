package dev.heed.compiler.fuzz;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.dsl.diag.Diagnostic;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Property-based fuzzing of heed's front end, parse → lower → passes → emit, through
 * {@link dev.heed.compiler.HeedCompiler#compile}: random token soup, mutations of the specs in
 * examples/, deep nesting and huge numbers. See {@link SpecChecks} for what must hold.
 *
 * <p>Tries per property: {@code jqwik.tries.default} in junit-platform.properties, overridden
 * with {@code -Djqwik.tries.default=100000} for a long campaign.
 */
class FrontEndFuzzTest {
  /** Tokens and fragments: keywords, punctuation, built-ins, broken lexemes, odd characters. */
  static final String[] PIECES = {";", "(", ")", "{", "}", "[", "]", ",", "=", ":", "let", "for", "in", "model",
      "layer", "const", "input", "param", "init", "return", "output", "as", "none", "x", "y", "d", "batch", "seq",
      "f32", "i64", "\"w\"", "\"l.{i}\"", "\"", "\\", "/*", "*/", "//", "1e", "1", "0", "-1", "2.5", "..", "...",
      "-", "+", "*", "/", "@", "\n", " ", "\t", "\r", "\u03bb", "\uD83D\uDE00", "\u0000", "linear", "softmax",
      "attention", "reshape", "transpose", "split_heads", "merge_heads", "concat", "embedding", "Linear",
      "MultiHeadAttention", "layer_norm", "causal_mask", "9007199254740993", "1e400", "2147483648",
      "1099511627776", "65536", "uniform", "zeros", "model M { input x: f32[b, 4]; output y = x; }"};

  static final List<String> EXAMPLES = examples();

  private static List<String> examples() {
    Path root = Path.of("..", "examples");
    try (Stream<Path> files = Files.walk(root)) {
      List<String> texts = files.filter(p -> p.toString().endsWith(".heed")).sorted().map(p -> {
        try {
          return Files.readString(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }).toList();
      assertFalse(texts.isEmpty(), "examples/*.heed found");
      return texts;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Property
  void tokenSoup(@ForAll("soup") String text) {
    SpecChecks.compile("soup.heed", text);
  }

  @Property
  void mutatedExamples(@ForAll("mutants") String text) {
    SpecChecks.compile("mutant.heed", text);
  }

  @Property(tries = 40)
  void deepNesting(@ForAll("deep") String text) {
    SpecChecks.compile("deep.heed", text);
  }

  @Property
  void hugeNumbers(@ForAll("huge") String text) {
    SpecChecks.compile("huge.heed", text);
  }

  @Example
  void everyExampleCompiles() {
    for (String text : EXAMPLES) assertTrue(SpecChecks.compile("example.heed", text).isEmpty(), text);
  }

  @Provide
  Arbitrary<String> soup() {
    return Arbitraries.randomValue(r -> {
      StringBuilder sb = new StringBuilder();
      int n = r.nextInt(80);
      for (int i = 0; i < n; i++) sb.append(PIECES[r.nextInt(PIECES.length)]).append(r.nextBoolean() ? " " : "");
      return sb.toString();
    });
  }

  @Provide
  Arbitrary<String> mutants() {
    return Arbitraries.randomValue(r -> mutate(EXAMPLES.get(r.nextInt(EXAMPLES.size())), r));
  }

  /** One to four edits: insert a piece, delete a few characters, swap two lines, duplicate a line. */
  static String mutate(String base, Random r) {
    StringBuilder text = new StringBuilder(base);
    int edits = 1 + r.nextInt(4);
    for (int e = 0; e < edits; e++) {
      int at = r.nextInt(text.length() + 1);
      switch (r.nextInt(5)) {
        case 0, 1 -> text.insert(at, PIECES[r.nextInt(PIECES.length)]);
        case 2 -> text.delete(at, Math.min(text.length(), at + 1 + r.nextInt(6)));
        case 3 -> { // replace a number with another
          String s = text.toString();
          int d = s.indexOf(Character.forDigit(r.nextInt(10), 10), at);
          if (d >= 0) text.replace(d, d + 1, List.of("0", "1", "3", "7", "64", "65536", "2147483647", "-1").get(r.nextInt(8)));
        }
        default -> { // duplicate a line
          String[] lines = text.toString().split("\n", -1);
          int l = r.nextInt(lines.length);
          text.insert(Math.min(at, text.length()), "\n" + lines[l] + "\n");
        }
      }
    }
    return text.toString();
  }

  /** Nesting far deeper than any spec: parentheses, brackets, negations, operator chains, blocks. */
  @Provide
  Arbitrary<String> deep() {
    return Arbitraries.randomValue(r -> {
      int n = List.of(50, 500, 5_000, 50_000).get(r.nextInt(4));
      String expr = switch (r.nextInt(6)) {
        case 0 -> "(".repeat(n) + "x" + ")".repeat(r.nextBoolean() ? n : n / 2);
        case 1 -> "[".repeat(n) + "1" + "]".repeat(n);
        case 2 -> "-".repeat(n) + "x";
        case 3 -> "x" + " + x".repeat(n);
        case 4 -> "relu(".repeat(n) + "x" + ")".repeat(n);
        default -> "x" + " @ x".repeat(n);
      };
      String body = r.nextInt(4) == 0
          ? "for i in 0..2 {".repeat(Math.min(n, 5_000)) + "x = x;" + "}".repeat(Math.min(n, 5_000))
          : "let y = " + expr + ";\n  output o = y;";
      return "model M {\n  input x: f32[4, 4];\n  " + body + "\n  output z = x;\n}\n";
    });
  }

  /** Dimensions and constants at and past every limit: int, long, 2^53, array sizes, overflowing products. */
  @Provide
  Arbitrary<String> huge() {
    List<String> numbers = List.of("0", "1", "2147483647", "2147483648", "4294967296", "1099511627776",
        "9007199254740992", "9007199254740993", "9223372036854775807", "99999999999999999999", "1e308", "1e309",
        "65536", "46341", "100000", "3037000500");
    return Arbitraries.randomValue(r -> {
      String a = numbers.get(r.nextInt(numbers.size()));
      String b = numbers.get(r.nextInt(numbers.size()));
      String c = numbers.get(r.nextInt(numbers.size()));
      return switch (r.nextInt(6)) {
        case 0 -> "const seq = " + a + ";\nmodel M {\n  input x: f32[b, 4];\n  param w: [seq, 4];\n  output y = x;\n}\n";
        case 1 -> "model M {\n  input x: f32[b, 4];\n  param w: [" + a + ", " + b + ", " + c + "];\n  output y = x;\n}\n";
        case 2 -> "model M {\n  input x: f32[" + a + ", " + b + "];\n  output y = x + 1;\n}\n";
        case 3 -> "model M {\n  input x: f32[b, " + a + "];\n  param w: [" + b + ", " + a + "];\n  output y = linear(x, w);\n}\n";
        case 4 -> "const n = " + a + " * " + b + ";\nmodel M {\n  input x: f32[2, 2];\n  let y = reshape(x, [n, " + c + "]);\n"
            + "  for i in 0.." + a + " { }\n  output z = y;\n}\n";
        default -> "model M {\n  input x: f32[b, s, " + a + "];\n  output y = concat([x, x, x], axis = " + b + ") * " + c + ";\n}\n";
      };
    });
  }

  @Example
  void absurdDimensionsAreRejectedNamingTheLimit() {
    List<Diagnostic> ds = SpecChecks.compile("limits.heed",
        "const seq = 1099511627776;\nmodel M {\n  input x: f32[b, 4];\n  param w: [seq, 4];\n  output y = x;\n}\n");
    assertTrue(ds.stream().anyMatch(d -> d.span().line() == 4 && d.message().contains("2147483647")), ds.toString());
    ds = SpecChecks.compile("limits.heed",
        "model M {\n  input x: f32[b, 4];\n  param w: [65536, 65536];\n  output y = x;\n}\n");
    assertTrue(ds.stream().anyMatch(d -> d.span().line() == 3 && d.message().contains("elements")), ds.toString());
  }

  @Example
  void nestingAndChainsJustUnderTheLimitsCompileOnASmallStack() {
    String chain = "x" + " + x".repeat(255);
    String parens = "(".repeat(98) + "x" + ")".repeat(98);
    String negations = "-".repeat(255) + "x";
    for (String e : List.of(chain, parens, negations)) {
      assertTrue(SpecChecks.compile("limits.heed", "model M {\n  input x: f32[4, 4];\n  output y = " + e + ";\n}\n").isEmpty(), e);
    }
  }

  @Example
  void pastTheLimitsIsOneLocatedError() {
    List<Diagnostic> ds = SpecChecks.compile("limits.heed", "model M {\n  input x: f32[4, 4];\n  output y = x" + " + x".repeat(300) + ";\n}\n");
    assertTrue(ds.size() == 1 && ds.get(0).message().contains("256 operators") && ds.get(0).span().line() == 3, ds.toString());
    ds = SpecChecks.compile("limits.heed", "model M {\n  input x: f32[4, 4];\n  output y = " + "(".repeat(200) + "x" + ")".repeat(200) + ";\n}\n");
    assertTrue(ds.size() == 1 && ds.get(0).message().contains("deeper than 100") && ds.get(0).span().line() == 3, ds.toString());
  }

  @Example
  void unrollingIsBounded() {
    String nested = "for i in 0..9 {".repeat(8) + " x = x + 1; " + "}".repeat(8);
    List<Diagnostic> ds = SpecChecks.compile("unroll.heed", "model M {\n  input x: f32[4];\n  " + nested + "\n  output y = x;\n}\n");
    assertTrue(ds.stream().anyMatch(d -> d.message().contains("more than 200000 statements")), ds.toString());
    ds = SpecChecks.compile("unroll.heed", "model M {\n  input x: f32[4];\n  for i in -9007199254740992..9007199254740992 { }\n  output y = x;\n}\n");
    assertTrue(ds.stream().anyMatch(d -> d.message().contains("at most 10000 unrolled iterations")), ds.toString());
  }
}
