package dev.heed.compiler.passes;

import dev.heed.compiler.ir.AttrRules;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.ir.ShapeError;
import dev.heed.compiler.ir.ShapeRules;
import dev.heed.compiler.ir.TensorType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Computes every node's type with {@link ShapeRules}, in order. An untyped node gets the
 * inferred type; a typed one must already have it. Inputs and params must declare theirs.
 * Fails with a {@link ShapeError} naming the node.
 */
public final class InferShapes implements Pass {
  @Override public String name() { return "infer-shapes"; }

  @Override public String summary() { return "computes each node's type from its operands; checks declared types"; }

  @Override public Graph run(Graph g, PassStats stats) {
    Map<String, TensorType> types = new HashMap<>();
    List<Node> out = new ArrayList<>();
    long inferred = 0, checked = 0;
    for (Node n : g.nodes()) {
      TensorType t;
      if (n.op() == Op.INPUT || n.op() == Op.PARAM) {
        if (n.type() == null) throw error(n, n.op().irName() + " must declare its type");
        t = n.type();
      } else {
        List<TensorType> in = new ArrayList<>();
        for (String o : n.operands()) {
          TensorType ot = types.get(o);
          if (ot == null) throw error(n, "operand %" + o + " is not defined before this node");
          in.add(ot);
        }
        List<String> attrProblems = AttrRules.check(n);
        if (!attrProblems.isEmpty()) throw error(n, String.join("; ", attrProblems));
        try {
          t = ShapeRules.infer(n.op(), in, n.attrs());
        } catch (ShapeError e) {
          throw error(n, e.getMessage());
        }
        if (n.type() == null) {
          inferred++;
        } else if (!n.type().equals(t)) {
          throw error(n, "declared type " + n.type() + " but its operands give " + t);
        } else {
          checked++;
        }
      }
      types.put(n.name(), t);
      out.add(t.equals(n.type()) ? n : n.withType(t));
    }
    stats.add("types inferred", inferred).add("types checked", checked);
    return g.withNodes(out);
  }

  private static ShapeError error(Node n, String message) {
    return new ShapeError("infer-shapes: %" + n.name() + " (" + n.op().irName() + (n.loc().isKnown() ? " at " + n.loc() : "")
        + "): " + message);
  }
}
