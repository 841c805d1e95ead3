package dev.heed.compiler.ir;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Where in a spec an IR node comes from; {@link #UNKNOWN} for nodes made by passes from nothing.
 *
 * <p>A node made inside a layer also records the call it was made for, {@code calledFrom}, and
 * so on out to the model: {@code LayerNorm}'s {@code layer_norm} in the standard layers is at
 * {@code heed/prelude.heed:22:10}, called from the spec's line 14, itself inside a layer called
 * from line 29. {@code calledFrom} is null for a node made in the model's own body.
 *
 * <p>A node a fusion pass made from several nodes comes from all their places: the first is
 * this location's own ({@code file}, {@code line}, {@code col}, {@code calledFrom}), the others
 * are {@code also}, in the order of the nodes in the graph ({@link #merge}).
 */
public record Loc(String file, int line, int col, Loc calledFrom, List<Loc> also) {
  public static final Loc UNKNOWN = new Loc("", 0, 0);

  public Loc {
    also = List.copyOf(also);
    for (Loc a : also) {
      if (!a.also.isEmpty()) throw new IllegalArgumentException("a place of a fused node is one place: " + a);
    }
  }

  public Loc(String file, int line, int col, Loc calledFrom) {
    this(file, line, col, calledFrom, List.of());
  }

  public Loc(String file, int line, int col) {
    this(file, line, col, null);
  }

  /**
   * One location for a node made from nodes at {@code locs} (in graph order): every known place
   * once, the first as the location's own. A place on the line of an earlier one, reached by the
   * same calls, adds nothing (a fused residual add and its norm on one line are one place).
   * {@link #UNKNOWN} when none is known.
   */
  public static Loc merge(List<Loc> locs) {
    Set<Loc> lines = new HashSet<>();
    List<Loc> all = new ArrayList<>();
    for (Loc l : locs) {
      for (Loc p : l.places()) {
        if (p.isKnown() && lines.add(new Loc(p.file, p.line, 0, p.calledFrom))) all.add(p);
      }
    }
    if (all.isEmpty()) return UNKNOWN;
    Loc first = all.get(0);
    return new Loc(first.file, first.line, first.col, first.calledFrom, all.subList(1, all.size()));
  }

  /** {@link #merge} of these. */
  public static Loc merge(Loc... locs) {
    return merge(List.of(locs));
  }

  public boolean isKnown() { return line > 0; }

  /** Each place the node comes from, without {@code also}: this one, then {@code also}. */
  public List<Loc> places() {
    if (also.isEmpty()) return List.of(this);
    List<Loc> out = new ArrayList<>();
    out.add(new Loc(file, line, col, calledFrom));
    out.addAll(also);
    return out;
  }

  /** This place and the calls that led to it, innermost first (without {@code also}). */
  public List<Loc> chain() {
    List<Loc> out = new ArrayList<>();
    out.add(also.isEmpty() ? this : new Loc(file, line, col, calledFrom));
    for (Loc l = calledFrom; l != null; l = l.calledFrom) out.add(l);
    return out;
  }

  /**
   * The innermost location of this place's chain whose file {@code inFile} accepts; null when
   * there is none.
   */
  public Loc innermost(Predicate<String> inFile) {
    for (Loc l : chain()) if (l.isKnown() && inFile.test(l.file)) return l;
    return null;
  }

  /** {@code file:line:col}, then {@code " from file:line:col"} per call; the places in {@code also} after {@code ", "}. */
  @Override public String toString() {
    if (!isKnown()) return "<unknown>";
    StringBuilder sb = new StringBuilder();
    for (Loc p : places()) {
      if (!sb.isEmpty()) sb.append(", ");
      List<Loc> chain = p.chain();
      for (int i = 0; i < chain.size(); i++) {
        Loc l = chain.get(i);
        if (i > 0) sb.append(" from ");
        sb.append(l.file).append(':').append(l.line).append(':').append(l.col);
      }
    }
    return sb.toString();
  }
}
