package dev.heed.compiler.passes;

import dev.heed.compiler.ir.Graph;

/** A graph-to-graph transformation. Graphs are immutable: a pass returns a new one (or the same if nothing changed). */
public interface Pass {
  /** Kebab-case, as in {@code --print-ir-after cse}. */
  String name();

  /** One line saying what the pass does. */
  String summary();

  /** Transforms {@code g}, counting what it did in {@code stats}. */
  Graph run(Graph g, PassStats stats);
}
