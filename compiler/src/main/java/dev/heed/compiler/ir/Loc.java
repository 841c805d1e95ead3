package dev.heed.compiler.ir;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Where in a spec an IR node comes from; {@link #UNKNOWN} for nodes made by passes from nothing.
 * A node made inside a layer also records the call it was made for, {@code calledFrom}, and so
 * on out to the model: {@code LayerNorm}'s {@code layer_norm} in the standard layers is at
 * {@code heed/prelude.heed:22:10}, called from the spec's line 14, itself inside a layer called
 * from line 29. {@code calledFrom} is null for a node made in the model's own body.
 */
public record Loc(String file, int line, int col, Loc calledFrom) {
  public static final Loc UNKNOWN = new Loc("", 0, 0);

  public Loc(String file, int line, int col) {
    this(file, line, col, null);
  }

  public boolean isKnown() { return line > 0; }

  /** This location and the calls that led to it, innermost first. */
  public List<Loc> chain() {
    List<Loc> out = new ArrayList<>();
    for (Loc l = this; l != null; l = l.calledFrom) out.add(l);
    return out;
  }

  /** The innermost location of the chain whose file {@code inFile} accepts; null when there is none. */
  public Loc innermost(Predicate<String> inFile) {
    for (Loc l = this; l != null; l = l.calledFrom) if (l.isKnown() && inFile.test(l.file)) return l;
    return null;
  }

  /** {@code file:line:col}, then {@code " from file:line:col"} per call. */
  @Override public String toString() {
    if (!isKnown()) return "<unknown>";
    StringBuilder sb = new StringBuilder(file).append(':').append(line).append(':').append(col);
    for (Loc l = calledFrom; l != null; l = l.calledFrom) sb.append(" from ").append(l.file).append(':').append(l.line).append(':').append(l.col);
    return sb.toString();
  }
}
