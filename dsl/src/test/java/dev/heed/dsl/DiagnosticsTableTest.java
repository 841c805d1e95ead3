package dev.heed.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.dsl.diag.HeedException;
import dev.heed.dsl.diag.SourceFile;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Broken (and a few valid) inputs with the exact diagnostics the CLI prints for them, from
 * {@code diagnostics.txt}: each case is {@code === title}, the spec, {@code ---}, then the
 * rendered diagnostics (nothing for a valid spec). Each spec is parsed as {@code case.heed}.
 */
class DiagnosticsTableTest {
  record Case(String title, String input, String expected) {}

  static List<Case> cases() {
    List<Case> cases = new ArrayList<>();
    String title = null;
    StringBuilder input = null;
    StringBuilder expected = null;
    for (String line : (TestFiles.read("diagnostics.txt") + "=== end\n").split("\n", -1)) {
      if (line.startsWith("=== ")) {
        if (title != null) cases.add(new Case(title, input.toString(), expected.toString()));
        title = line.substring(4);
        input = new StringBuilder();
        expected = null;
      } else if (line.equals("---") && expected == null) {
        expected = new StringBuilder();
      } else if (title != null && !(line.isEmpty() && expected != null)) {
        (expected != null ? expected : input).append(line).append('\n');
      }
    }
    return cases;
  }

  @TestFactory
  Stream<DynamicTest> rendersExactDiagnostics() {
    return cases().stream().map(c -> DynamicTest.dynamicTest(c.title(), () -> {
      String actual;
      try {
        SpecParser.parse(new SourceFile("case.heed", c.input()));
        actual = "";
      } catch (HeedException e) {
        actual = e.render();
      }
      assertEquals(c.expected(), actual, c.title());
    }));
  }

  @Test
  void tableIsLargeAndCoversValidAndBrokenInputs() {
    List<Case> cases = cases();
    assertTrue(cases.size() >= 15, "cases: " + cases.size());
    assertTrue(cases.stream().anyMatch(c -> c.expected().isEmpty()), "a valid input");
    assertTrue(cases.stream().anyMatch(c -> c.expected().contains("too many errors; stopping after 20")));
  }
}
