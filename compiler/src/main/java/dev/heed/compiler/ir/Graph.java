package dev.heed.compiler.ir;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A model as a list of nodes in topological order (inputs and params are nodes too),
 * and its named outputs. Immutable: passes build new graphs.
 */
public record Graph(String name, List<Node> nodes, List<Output> outputs) {
  public Graph {
    nodes = List.copyOf(nodes);
    outputs = List.copyOf(outputs);
  }

  /** {@code output name = %value} */
  public record Output(String name, String value) {}

  public List<Node> inputs() { return nodes.stream().filter(n -> n.op() == Op.INPUT).toList(); }

  public List<Node> params() { return nodes.stream().filter(n -> n.op() == Op.PARAM).toList(); }

  /** Nodes by value name. */
  public Map<String, Node> byName() {
    Map<String, Node> m = new HashMap<>();
    for (Node n : nodes) m.put(n.name(), n);
    return m;
  }

  /** The names of the symbolic dimensions in the nodes' types ({@code batch}, {@code seq}, ...), sorted. */
  public SortedSet<String> symbols() {
    SortedSet<String> syms = new TreeSet<>();
    for (Node n : nodes) {
      if (n.type() == null) continue;
      for (Dim d : n.type().shape()) if (d instanceof Dim.Sym s) syms.add(s.name());
    }
    return syms;
  }

  /**
   * The names in {@code given} (sizes for symbolic dimensions, from a command line) that are not
   * symbols of this graph, with what it has: empty when every name is known, else one sentence.
   */
  public String unknownSymbols(Set<String> given) {
    SortedSet<String> syms = symbols();
    List<String> unknown = given.stream().filter(n -> !syms.contains(n)).sorted().toList();
    if (unknown.isEmpty()) return "";
    return (unknown.size() == 1 ? "no symbolic dimension '" + unknown.get(0) + "'" : "no symbolic dimensions "
        + String.join(", ", unknown.stream().map(u -> "'" + u + "'").toList())) + " in model " + name
        + (syms.isEmpty() ? " (all its dimensions are fixed)" : " (its symbols: " + String.join(", ", syms) + ")");
  }

  public Graph withNodes(List<Node> newNodes) { return new Graph(name, newNodes, outputs); }

  /**
   * The nodes in order, each one named in {@code replacements} replaced by its value there, the
   * ones named in {@code removed} left out: what a fusion pass keeps (a mutable list, for the
   * pass to prune further).
   */
  public List<Node> nodesReplacing(Map<String, Node> replacements, Set<String> removed) {
    List<Node> kept = new ArrayList<>();
    for (Node n : nodes) {
      if (!removed.contains(n.name())) kept.add(replacements.getOrDefault(n.name(), n));
    }
    return kept;
  }
}
