package dev.heed.dsl.diag;

import java.util.List;

/** Thrown when a spec has errors; carries every diagnostic found (capped), in source order. */
public final class HeedException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient List<Diagnostic> diagnostics;

  public HeedException(List<Diagnostic> diagnostics) {
    super(diagnostics.isEmpty() ? "spec has errors" : diagnostics.get(0).headline());
    this.diagnostics = List.copyOf(diagnostics);
  }

  public HeedException(Diagnostic diagnostic) {
    this(List.of(diagnostic));
  }

  public List<Diagnostic> diagnostics() { return diagnostics; }

  /** All diagnostics rendered with source lines and carets, as the CLI prints them. */
  public String render() { return DiagnosticPrinter.render(diagnostics); }
}
