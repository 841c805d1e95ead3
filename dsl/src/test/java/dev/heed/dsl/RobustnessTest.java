package dev.heed.dsl;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.heed.dsl.diag.Diagnostic;
import dev.heed.dsl.diag.HeedException;
import dev.heed.dsl.diag.SourceFile;
import java.util.Arrays;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Whatever the input, parsing returns a spec or throws a {@link HeedException} whose
 * diagnostics are capped, located inside the file, and make sense.
 */
class RobustnessTest {
  private static final String[] PIECES = {";", "(", ")", "{", "}", "[", "]", ",", "=", ":", "let", "for",
      "in", "model", "layer", "const", "input", "param", "init", "return", "output", "as", "none", "$",
      "\"s\"", "\"", "\\", "/*", "*/", "//", "1e", "1", "2.5", "..", "...", "x", "-", "+", "*", "@", "\n",
      " ", "\t", "\u03bb", "\uD83D\uDE00"};
  private static final Pattern UNEXPECTED = Pattern.compile("unexpected (?:keyword )?('[^']*'), expecting: (.*)");

  @Test
  void randomTokenSoup() {
    Random random = new Random(1);
    for (int i = 0; i < 1500; i++) {
      StringBuilder text = new StringBuilder();
      int n = random.nextInt(60);
      for (int k = 0; k < n; k++) text.append(PIECES[random.nextInt(PIECES.length)]).append(random.nextBoolean() ? " " : "");
      check(text.toString());
    }
  }

  @Test
  void mutationsOfAValidSpec() {
    String base = TestFiles.read("every_construct.heed");
    Random random = new Random(2);
    for (int i = 0; i < 1500; i++) {
      StringBuilder text = new StringBuilder(base);
      int at = random.nextInt(text.length());
      if (random.nextBoolean()) {
        text.insert(at, PIECES[random.nextInt(PIECES.length)]);
      } else {
        text.delete(at, Math.min(text.length(), at + 1 + random.nextInt(3)));
      }
      check(text.toString());
    }
  }

  private static void check(String text) {
    SourceFile file = new SourceFile("r.heed", text);
    try {
      AstPrinter.print(SpecParser.parse(file));
    } catch (HeedException e) {
      assertFalse(e.diagnostics().isEmpty(), text);
      assertTrue(e.diagnostics().size() <= 21, text);
      for (Diagnostic d : e.diagnostics()) {
        String where = d.headline() + "\nin:\n" + text;
        assertTrue(d.span().line() >= 1 && d.span().line() <= file.lineCount() && d.span().col() >= 1, where);
        assertFalse(d.message().contains("<INVALID>") || d.message().contains("null")
            || d.message().endsWith(": "), where);
        Matcher m = UNEXPECTED.matcher(d.message());
        if (m.matches()) {
          assertFalse(Arrays.asList(m.group(2).split(", ")).contains(m.group(1)), "expects what it got: " + where);
        }
      }
      e.render();
    } catch (RuntimeException e) {
      fail("crashed on:\n" + text, e);
    }
  }
}
