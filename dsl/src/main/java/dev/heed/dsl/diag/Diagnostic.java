package dev.heed.dsl.diag;

import java.util.List;

/**
 * One problem found in a spec. Printed as
 * <pre>
 * file:line:col: error: message
 *     let y = x + z;
 *             ^~~~~
 * file:line:col: note: ...
 * </pre>
 */
public record Diagnostic(Severity severity, Span span, String message, List<Note> notes) {
  public enum Severity { ERROR, WARNING }

  /** A secondary location, e.g. where the other side of a shape mismatch was defined. */
  public record Note(Span span, String message) {}

  public Diagnostic {
    notes = List.copyOf(notes);
  }

  public static Diagnostic error(Span span, String message, Note... notes) {
    return new Diagnostic(Severity.ERROR, span, message, List.of(notes));
  }

  /** The first line alone: {@code file:line:col: error: message}. */
  public String headline() {
    return span.where() + ": " + severity.name().toLowerCase() + ": " + message;
  }
}
