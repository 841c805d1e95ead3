package dev.heed.compiler.passes;

import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Node;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Values replaced by other values during a pass, applied to later operands and to the outputs. */
final class Substitution {
  private final Map<String, String> replacedBy = new HashMap<>();

  /** From now on, uses of {@code from} mean {@code to}. */
  void replace(String from, String to) {
    if (!from.equals(to)) replacedBy.put(from, to);
  }

  boolean isEmpty() { return replacedBy.isEmpty(); }

  /** The value that stands for {@code v} now. */
  String resolve(String v) {
    String r = v;
    for (String next = replacedBy.get(r); next != null; next = replacedBy.get(r)) r = next;
    return r;
  }

  /** {@code n} with its operands resolved; {@code n} itself when none changed. */
  Node apply(Node n) {
    List<String> ops = n.operands().stream().map(this::resolve).toList();
    return ops.equals(n.operands()) ? n : n.withOperands(ops);
  }

  /** The outputs, each naming the value that survives in place of the one it named. */
  List<Graph.Output> apply(List<Graph.Output> outputs) {
    List<Graph.Output> out = new ArrayList<>();
    for (Graph.Output o : outputs) out.add(new Graph.Output(o.name(), resolve(o.value())));
    return out;
  }
}
