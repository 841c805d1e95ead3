package dev.heed.compiler.ir;

/** Where in a spec an IR node comes from; {@link #UNKNOWN} for nodes made by passes from nothing. */
public record Loc(String file, int line, int col) {
  public static final Loc UNKNOWN = new Loc("", 0, 0);

  public boolean isKnown() { return line > 0; }

  /** {@code file:line:col} */
  @Override public String toString() { return isKnown() ? file + ":" + line + ":" + col : "<unknown>"; }
}
