package dev.heed.compiler.passes;

import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Removes every node the outputs do not depend on, params and constants included. Inputs
 * always stay: they are the model's signature, used or not.
 */
public final class DeadCodeElimination implements Pass {
  @Override public String name() { return "dce"; }

  @Override public String summary() { return "removes nodes no output depends on (inputs always stay)"; }

  @Override public Graph run(Graph g, PassStats stats) {
    Set<String> live = new HashSet<>();
    for (Graph.Output o : g.outputs()) live.add(o.value());
    List<Node> kept = new ArrayList<>();
    for (int i = g.nodes().size() - 1; i >= 0; i--) {
      Node n = g.nodes().get(i);
      if (n.op() == Op.INPUT || live.contains(n.name())) {
        live.addAll(n.operands());
        kept.add(n);
      }
    }
    Collections.reverse(kept);
    stats.add("nodes removed", g.nodes().size() - kept.size());
    return kept.size() == g.nodes().size() ? g : g.withNodes(kept);
  }
}
