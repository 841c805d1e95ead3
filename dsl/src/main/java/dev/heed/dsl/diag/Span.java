package dev.heed.dsl.diag;

/**
 * A place in a spec: 1-based line and column of the first character, and the length
 * in characters on that line (at least 1) that a caret underline covers.
 */
public record Span(SourceFile file, int line, int col, int length) {
  public Span {
    if (length < 1) length = 1;
  }

  /** {@code file:line:col}, the prefix of every diagnostic. */
  public String where() { return file.name() + ":" + line + ":" + col; }

  @Override public String toString() { return where(); }
}
