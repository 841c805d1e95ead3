package dev.heed.compiler.passes;

import dev.heed.compiler.ir.Attr;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.ir.TensorType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * Merges nodes that compute the same thing — same op, operands, attributes and type — into
 * the first of them, in one walk so chains of duplicates merge too. {@code add} and {@code mul}
 * match with their operands either way round (both are exactly commutative in IEEE arithmetic).
 * Inputs and params never merge: two inputs are two arguments, two params two checkpoint tensors.
 */
public final class CommonSubexpressionElimination implements Pass {
  /** What makes two nodes the same computation. */
  private record Key(Op op, List<String> operands, SortedMap<String, Attr> attrs, TensorType type) {}

  @Override public String name() { return "cse"; }

  @Override public String summary() { return "merges nodes with the same op, operands, attributes and type"; }

  @Override public Graph run(Graph g, PassStats stats) {
    Substitution subst = new Substitution();
    Map<Key, String> first = new HashMap<>();
    List<Node> kept = new ArrayList<>();
    long merged = 0;
    for (Node original : g.nodes()) {
      Node n = subst.apply(original);
      if (n.op() == Op.INPUT || n.op() == Op.PARAM) {
        kept.add(n);
        continue;
      }
      List<String> operands = n.operands();
      if (n.op() == Op.ADD || n.op() == Op.MUL) operands = operands.stream().sorted().toList();
      Key key = new Key(n.op(), operands, n.attrs(), n.type());
      String existing = first.putIfAbsent(key, n.name());
      if (existing != null) {
        subst.replace(n.name(), existing);
        merged++;
      } else {
        kept.add(n);
      }
    }
    stats.add("nodes merged", merged);
    if (merged == 0) return g;
    return new Graph(g.name(), kept, subst.apply(g.outputs()));
  }
}
