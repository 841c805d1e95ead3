package dev.heed.compiler.passes;

import dev.heed.compiler.interp.Scalars;
import dev.heed.compiler.ir.Attr;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.ir.TensorType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Folds and simplifies, in one walk:
 * <ul>
 *   <li>an elementwise op whose operands are all {@code constant}s (f32 scalars) becomes a
 *       constant with the same name, computed as the interpreter would ({@link Scalars}: in f32);
 *   <li>{@code x*1}, {@code 1*x}, {@code x/1}, {@code x+0}, {@code 0+x}, {@code x-0} become
 *       {@code x} when the result's type equals {@code x}'s (so no broadcast is lost); "0"
 *       and "1" are constants whose f32 value is 0 (either sign) or 1;
 *   <li>{@code neg(neg(x))} becomes {@code x}.
 * </ul>
 * Uses of a removed value (outputs too) are redirected to the value that replaces it.
 * Constants made here that end up unused are dropped; other dead nodes are left for {@code dce}.
 */
public final class ConstantFolding implements Pass {
  @Override public String name() { return "constant-fold"; }

  @Override public String summary() { return "evaluates ops on constant scalars; removes x*1, x+0, neg(neg(x)) and kin"; }

  @Override public Graph run(Graph g, PassStats stats) {
    Substitution subst = new Substitution();
    Map<String, Node> defs = new HashMap<>();
    Set<String> made = new HashSet<>();
    List<Node> kept = new ArrayList<>();
    long folded = 0, simplified = 0;
    for (Node original : g.nodes()) {
      Node n = subst.apply(original);
      Node constant = fold(n, defs);
      if (constant != null) {
        n = constant;
        made.add(n.name());
        folded++;
      } else {
        String same = simplify(n, defs);
        if (same != null) {
          subst.replace(n.name(), same);
          simplified++;
          continue;
        }
      }
      defs.put(n.name(), n);
      kept.add(n);
    }
    List<Graph.Output> outputs = subst.apply(g.outputs());

    // Drop constants made here that nothing uses any more (they were folded further).
    Set<String> used = new HashSet<>();
    for (Node n : kept) used.addAll(n.operands());
    for (Graph.Output o : outputs) used.add(o.value());
    int before = kept.size();
    kept.removeIf(n -> made.contains(n.name()) && !used.contains(n.name()));

    stats.add("constants folded", folded).add("identities simplified", simplified).add("dead constants removed", before - kept.size());
    if (folded == 0 && simplified == 0) return g;
    return new Graph(g.name(), kept, outputs);
  }

  /** A constant replacing {@code n} when it is elementwise on constants only; else null. */
  private static Node fold(Node n, Map<String, Node> defs) {
    if (n.op().kind() != Op.Kind.ELEMENTWISE || n.operands().isEmpty()) return null;
    List<Float> args = new ArrayList<>();
    for (String o : n.operands()) {
      Float v = constantValue(defs.get(o));
      if (v == null) return null;
      args.add(v);
    }
    float value;
    if (n.op().isBinaryElementwise() && args.size() == 2) value = Scalars.binary(n.op(), args.get(0), args.get(1));
    else if (n.op().isUnaryElementwise() && args.size() == 1) value = Scalars.unary(n.op(), args.get(0));
    else return null;
    return new Node(n.name(), Op.CONSTANT, List.of(), Map.of("value", new Attr.Float(value)), TensorType.f32(), n.loc());
  }

  /** The value {@code n} can be replaced by (an algebraic identity), or null. */
  private static String simplify(Node n, Map<String, Node> defs) {
    List<String> ops = n.operands();
    switch (n.op()) {
      case ADD -> {
        if (ops.size() != 2) return null;
        if (isConstant(defs.get(ops.get(1)), 0f) && sameType(n, defs.get(ops.get(0)))) return ops.get(0);
        if (isConstant(defs.get(ops.get(0)), 0f) && sameType(n, defs.get(ops.get(1)))) return ops.get(1);
      }
      case SUB -> {
        if (ops.size() == 2 && isConstant(defs.get(ops.get(1)), 0f) && sameType(n, defs.get(ops.get(0)))) return ops.get(0);
      }
      case MUL -> {
        if (ops.size() != 2) return null;
        if (isConstant(defs.get(ops.get(1)), 1f) && sameType(n, defs.get(ops.get(0)))) return ops.get(0);
        if (isConstant(defs.get(ops.get(0)), 1f) && sameType(n, defs.get(ops.get(1)))) return ops.get(1);
      }
      case DIV -> {
        if (ops.size() == 2 && isConstant(defs.get(ops.get(1)), 1f) && sameType(n, defs.get(ops.get(0)))) return ops.get(0);
      }
      case NEG -> {
        Node inner = ops.size() == 1 ? defs.get(ops.get(0)) : null;
        if (inner != null && inner.op() == Op.NEG && inner.operands().size() == 1) {
          String x = inner.operands().get(0);
          if (sameType(n, defs.get(x))) return x;
        }
      }
      default -> {}
    }
    return null;
  }

  /** The f32 value of a constant node, or null if {@code n} is not one. */
  private static Float constantValue(Node n) {
    if (n == null || n.op() != Op.CONSTANT) return null;
    Attr a = n.attrs().get("value");
    if (a instanceof Attr.Float f) return (float) f.value();
    if (a instanceof Attr.Int i) return (float) i.value();
    return null;
  }

  private static boolean isConstant(Node n, float value) {
    Float v = constantValue(n);
    return v != null && v == value; // 0f == -0f, as intended
  }

  private static boolean sameType(Node result, Node operand) {
    return operand != null && result.type() != null && result.type().equals(operand.type());
  }
}
