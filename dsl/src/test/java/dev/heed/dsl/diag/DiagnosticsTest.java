package dev.heed.dsl.diag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class DiagnosticsTest {
  private final SourceFile a = new SourceFile("a.heed", "one\ntwo\nthree\n");
  private final SourceFile b = new SourceFile("b.heed", "one\ntwo\n");

  @Test
  void listsInSourceOrderKeepingInsertionOrderAtOnePlace() {
    Diagnostics d = new Diagnostics();
    d.error(new Span(b, 1, 1, 1), "b1");
    d.error(new Span(a, 3, 2, 1), "a3:2");
    d.error(new Span(a, 1, 3, 1), "a1:3 first");
    d.error(new Span(a, 3, 1, 1), "a3:1");
    d.error(new Span(a, 1, 3, 1), "a1:3 second");
    d.error(new Span(a, 1, 1, 1), "a1:1");
    assertEquals(List.of("a1:1", "a1:3 first", "a1:3 second", "a3:1", "a3:2", "b1"),
        d.list().stream().map(Diagnostic::message).toList());
  }

  @Test
  void aLongLineIsShownAsAWindowAroundTheColumnWithTheCaretUnderIt() {
    String line = "x".repeat(1000) + "bad" + "y".repeat(1000);
    SourceFile f = new SourceFile("long.heed", line + "\n");
    String out = DiagnosticPrinter.render(List.of(new Diagnostic(Diagnostic.Severity.ERROR, new Span(f, 1, 1001, 3), "here",
        List.of())));
    List<String> lines = out.lines().toList();
    assertEquals(3, lines.size(), out);
    String shown = lines.get(1), carets = lines.get(2);
    assertTrue(shown.startsWith("    ...x") && shown.endsWith("y..."), shown);
    assertTrue(shown.length() <= 4 + 3 + DiagnosticPrinter.WIDTH + 3, "cut to the window: " + shown.length());
    int at = carets.indexOf('^');
    assertEquals("bad", shown.substring(at, at + 3), "the caret is under the token");
    assertEquals("^~~", carets.strip());

    // Near the start: no leading "...", the column as it is.
    String early = DiagnosticPrinter.render(List.of(new Diagnostic(Diagnostic.Severity.ERROR, new Span(f, 1, 2, 1), "here",
        List.of())));
    assertTrue(early.lines().toList().get(1).startsWith("    xx") && early.lines().toList().get(1).endsWith("..."), early);
    assertEquals(5, early.lines().toList().get(2).indexOf('^'));
    // A short line is shown whole.
    assertTrue(DiagnosticPrinter.render(List.of(new Diagnostic(Diagnostic.Severity.ERROR, new Span(a, 2, 2, 1), "m",
        List.of()))).contains("\n    two\n     ^\n"));
  }

  @Test
  void capsAtTwentyErrorsAndSaysSo() {
    Diagnostics d = new Diagnostics();
    for (int line = 25; line >= 1; line--) d.error(new Span(a, line, 1, 1), "e" + line);
    List<Diagnostic> list = d.list();
    assertEquals(21, list.size());
    assertEquals("e20", list.get(19).message());
    assertEquals("too many errors; stopping after 20", list.get(20).message());
    assertEquals(21, list.get(20).span().line(), "located at the first error left out");
    assertEquals(25, d.errorCount());
  }

  @Test
  void exactlyTwentyErrorsAreNotCapped() {
    Diagnostics d = new Diagnostics();
    for (int line = 1; line <= 20; line++) d.error(new Span(a, line, 1, 1), "e" + line);
    assertEquals(20, d.list().size());
    assertFalse(d.list().stream().anyMatch(x -> x.message().startsWith("too many")));
  }

  @Test
  void warningsDoNotCountAsErrors() {
    Diagnostics d = new Diagnostics();
    d.warning(new Span(a, 1, 1, 1), "just so you know");
    assertFalse(d.hasErrors());
    d.throwIfErrors(); // nothing to throw
    for (int i = 0; i < 20; i++) d.error(new Span(a, 2, 1 + i, 1), "e" + i);
    assertEquals(21, d.list().size(), "a warning is not one of the 20 errors");
  }

  @Test
  void throwIfErrorsCarriesTheSortedList() {
    Diagnostics d = new Diagnostics();
    d.error(new Span(a, 2, 1, 3), "second", new Diagnostic.Note(new Span(a, 1, 1, 3), "see here"));
    d.add(Diagnostic.error(new Span(a, 1, 1, 3), "first"));
    assertTrue(d.hasErrors());
    HeedException e = assertThrows(HeedException.class, d::throwIfErrors);
    assertEquals(List.of("first", "second"), e.diagnostics().stream().map(Diagnostic::message).toList());
    assertEquals("a.heed:1:1: error: first", e.getMessage());
    assertEquals("""
        a.heed:1:1: error: first
            one
            ^~~
        a.heed:2:1: error: second
            two
            ^~~
        a.heed:1:1: note: see here
            one
            ^~~
        """, e.render());
  }

  @Test
  void addAllTakesAnotherPassDiagnostics() {
    Diagnostics first = new Diagnostics();
    first.error(new Span(a, 1, 1, 1), "x");
    Diagnostics all = new Diagnostics();
    all.addAll(first.list());
    assertEquals(1, all.errorCount());
    assertSame(first.list().get(0), all.list().get(0));
  }
}
