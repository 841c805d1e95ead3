package dev.heed.dsl;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.heed.dsl.diag.Diagnostic;
import dev.heed.dsl.diag.HeedException;
import dev.heed.dsl.diag.SourceFile;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Property-based fuzzing of {@link SpecParser} alone, on a thread with a 512 KiB stack:
 * token soup, mutations of every_construct.heed, and nesting far past the limits. It returns
 * a spec or throws a {@link HeedException} with located diagnostics, within seconds. (The
 * whole front end, lowering included, is fuzzed by the compiler's FrontEndFuzzTest.)
 */
class SpecParserFuzzTest {
  private static final String[] PIECES = {";", "(", ")", "{", "}", "[", "]", ",", "=", ":", "let", "for", "in",
      "model", "layer", "const", "input", "param", "init", "return", "output", "as", "none", "$", "\"s\"", "\"", "\\",
      "/*", "*/", "//", "1e", "1", "2.5", "..", "...", "x", "-", "+", "*", "@", "\n", " ", "\t", "\r", "\u03bb",
      "\uD83D\uDE00", "\u2028", "\u0000", "\"\u2028\"", "99999999999999999999", "1e999", "a".repeat(300)};
  private static final String BASE = TestFiles.read("every_construct.heed");
  private static final ExecutorService WORKER = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(null, r, "parser-fuzz", 512 * 1024);
    t.setDaemon(true);
    return t;
  });

  @Property
  void tokenSoup(@ForAll("soup") String text) {
    check(text);
  }

  @Property
  void mutations(@ForAll("mutants") String text) {
    check(text);
  }

  @Property(tries = 30)
  void nesting(@ForAll("deep") String text) {
    check(text);
  }

  @Provide
  Arbitrary<String> soup() {
    return Arbitraries.randomValue(r -> {
      StringBuilder sb = new StringBuilder();
      for (int n = r.nextInt(80), k = 0; k < n; k++) sb.append(PIECES[r.nextInt(PIECES.length)]).append(r.nextBoolean() ? " " : "");
      return sb.toString();
    });
  }

  @Provide
  Arbitrary<String> mutants() {
    return Arbitraries.randomValue(r -> {
      StringBuilder text = new StringBuilder(BASE);
      for (int e = 1 + r.nextInt(4); e > 0; e--) {
        int at = r.nextInt(text.length() + 1);
        if (r.nextBoolean()) text.insert(at, PIECES[r.nextInt(PIECES.length)]);
        else text.delete(at, Math.min(text.length(), at + 1 + r.nextInt(5)));
      }
      return text.toString();
    });
  }

  @Provide
  Arbitrary<String> deep() {
    return Arbitraries.randomValue(r -> {
      int n = List.of(99, 101, 255, 257, 5_000, 100_000).get(r.nextInt(6));
      String open = List.of("(", "[", "{", "f(", "-", "x + ", "x @ ").get(r.nextInt(7));
      String close = switch (open) {
        case "(", "f(" -> ")";
        case "[" -> "]";
        case "{" -> "}";
        default -> "";
      };
      return "model M { output y = " + open.repeat(n) + "x" + close.repeat(r.nextBoolean() ? n : n / 2) + "; }";
    });
  }

  private static void check(String text) {
    SourceFile file = new SourceFile("f.heed", text);
    Future<Throwable> f = WORKER.submit(() -> {
      try {
        AstPrinter.print(SpecParser.parse(file));
        return null;
      } catch (Throwable t) {
        return t;
      }
    });
    Throwable thrown;
    try {
      thrown = f.get(20, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("no answer within 20 s for " + text.length() + " characters", e);
    } catch (InterruptedException | ExecutionException e) {
      throw new AssertionError(e);
    }
    if (thrown == null) return;
    if (!(thrown instanceof HeedException e)) {
      fail("undocumented " + thrown + " for " + (text.length() > 2000 ? text.substring(0, 2000) + "..." : text), thrown);
      return;
    }
    assertFalse(e.diagnostics().isEmpty());
    for (Diagnostic d : e.diagnostics()) {
      int line = d.span().line();
      assertTrue(line >= 1 && line <= file.lineCount() && d.span().col() >= 1
          && d.span().col() <= file.line(line).length() + 1, d.headline());
    }
    e.render();
  }
}
