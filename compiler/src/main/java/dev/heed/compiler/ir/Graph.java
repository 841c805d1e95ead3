package dev.heed.compiler.ir;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
