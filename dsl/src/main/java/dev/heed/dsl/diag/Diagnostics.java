package dev.heed.dsl.diag;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Collects the diagnostics of one compilation so that a pass can report every problem it
 * finds instead of stopping at the first.
 *
 * <p>{@link #list()} returns them in source order (file name, line, column; diagnostics at
 * the same place keep the order they were added in) and keeps at most {@value #MAX_ERRORS}
 * errors: when there are more, the next entry is an error saying
 * {@code "too many errors; stopping after 20"} located at the first error left out.
 */
public final class Diagnostics {
  /** The most errors {@link #list()} returns before it says it stopped. */
  public static final int MAX_ERRORS = 20;

  /** The message of the entry that ends a capped list. */
  public static final String TOO_MANY = "too many errors; stopping after " + MAX_ERRORS;

  private static final Comparator<Diagnostic> SOURCE_ORDER =
      Comparator.comparing((Diagnostic d) -> d.span().file().name())
          .thenComparingInt(d -> d.span().line())
          .thenComparingInt(d -> d.span().col());

  private final List<Diagnostic> diagnostics = new ArrayList<>();
  private int errors;

  /** Creates an empty collector. */
  public Diagnostics() {}

  /** Records {@code diagnostic}. */
  public void add(Diagnostic diagnostic) {
    diagnostics.add(diagnostic);
    if (diagnostic.severity() == Diagnostic.Severity.ERROR) errors++;
  }

  /** Records every diagnostic in {@code all}, e.g. those of a caught {@link HeedException}. */
  public void addAll(Iterable<Diagnostic> all) {
    for (Diagnostic d : all) add(d);
  }

  /** Records an error at {@code span}. */
  public void error(Span span, String message, Diagnostic.Note... notes) {
    add(Diagnostic.error(span, message, notes));
  }

  /** Records a warning at {@code span}; warnings alone do not make {@link #hasErrors()} true. */
  public void warning(Span span, String message, Diagnostic.Note... notes) {
    add(new Diagnostic(Diagnostic.Severity.WARNING, span, message, List.of(notes)));
  }

  /** Whether any error was recorded. */
  public boolean hasErrors() {
    return errors > 0;
  }

  /** How many errors were recorded (not capped). */
  public int errorCount() {
    return errors;
  }

  /**
   * The diagnostics in source order, capped at {@value #MAX_ERRORS} errors followed by a
   * {@link #TOO_MANY} error when more were recorded.
   */
  public List<Diagnostic> list() {
    List<Diagnostic> sorted = new ArrayList<>(diagnostics);
    sorted.sort(SOURCE_ORDER); // List.sort is stable
    List<Diagnostic> out = new ArrayList<>();
    int kept = 0;
    for (Diagnostic d : sorted) {
      if (d.severity() == Diagnostic.Severity.ERROR) {
        if (kept == MAX_ERRORS) {
          out.add(Diagnostic.error(d.span(), TOO_MANY));
          break;
        }
        kept++;
      }
      out.add(d);
    }
    return List.copyOf(out);
  }

  /** Throws a {@link HeedException} carrying {@link #list()} if any error was recorded. */
  public void throwIfErrors() {
    if (hasErrors()) throw new HeedException(list());
  }
}
