package dev.heed.compiler.passes;

import dev.heed.compiler.ir.Attr;
import dev.heed.compiler.ir.ElementwiseExpr;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Loc;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.ir.ShapeError;
import dev.heed.compiler.ir.ShapeRules;
import dev.heed.compiler.ir.TensorType;
import dev.heed.runtime.DType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Fuses trees of elementwise ops into one loop:
 * <pre>
 *   %s = add(%word, %type)                  // f32[batch, seq, 384]
 *   %x = add(%s, %pos)                      // %pos : f32[seq, 384], stretched over batch
 *        →   %x = elementwise(%word, %type, %pos) {expr = "(($0 + $1) + $2)"}
 *
 *   %c = constant {value = 8.0}
 *   %m = mul(%e, %c)
 *   %y = add(%m, %pe)
 *        →   %y = elementwise(%e, %pe) {expr = "(($0 * 8.0) + $1)"}
 * </pre>
 * The ops are the unary ones (neg, relu, gelu, gelu_tanh, tanh, sigmoid, exp, sqrt), add, sub,
 * mul, div, and {@code elementwise} nodes themselves (their expressions are inlined). An op is
 * absorbed into the op that reads it when its result has no other user, is no output, and has
 * the reader's shape: so every element of every op is computed exactly once (an op whose result
 * is stretched by its reader stays apart rather than being recomputed per copy). Constant
 * operands become literals ({@link ElementwiseExpr.Constant}), and the constant nodes go when
 * nothing else reads them; the remaining operands are
 * numbered {@code $0, $1, …} in the order the expression first reads them, each value once.
 * The node takes the name, type, location and position of the tree's root. A tree of one op
 * stays as it is. Each elementwise edge left apart is counted as {@code not fused: <reason>}.
 *
 * <p>Every step is the op of the same name evaluated in the same order, so the result is
 * bit-identical to the ops it replaces.
 */
public final class FuseElementwise implements Pass {
  @Override public String name() { return "fuse-elementwise"; }

  @Override public String summary() {
    return "fuses trees of single-use elementwise ops (constants as literals) into one elementwise loop";
  }

  @Override public Graph run(Graph g, PassStats stats) {
    Map<String, Node> byName = g.byName();
    KernelPlan.Users users = KernelPlan.Users.of(g);
    Set<String> absorbed = new HashSet<>();
    for (Node c : g.nodes()) {
      if (!fusible(c)) continue;
      for (String o : new HashSet<>(c.operands())) {
        Node p = byName.get(o);
        if (!fusible(p)) continue;
        String why = whyNot(p, c, users);
        if (why == null) absorbed.add(p.name());
        else stats.increment("not fused: " + why);
      }
    }
    Map<String, Node> replacements = new HashMap<>();
    Set<String> removed = new HashSet<>();
    Map<String, Integer> position = new HashMap<>();
    for (Node n : g.nodes()) position.put(n.name(), position.size());
    long ops = 0;
    for (Node root : g.nodes()) {
      if (!fusible(root) || absorbed.contains(root.name())) continue;
      Tree t = new Tree(byName, absorbed);
      ElementwiseExpr e = t.expr(root.name(), true);
      if (t.inlined.size() < 2 || t.operands.isEmpty()) continue; // one op alone, or constants only
      // Number the operands in the order the expression first reads them.
      List<Integer> order = e.operands();
      List<ElementwiseExpr> renumbered = new ArrayList<>();
      List<String> operands = new ArrayList<>();
      for (int i = 0; i < t.operands.size(); i++) renumbered.add(new ElementwiseExpr.Operand(order.indexOf(i)));
      for (int i : order) operands.add(t.operands.get(i));
      e = Tree.substitute(e, renumbered);
      List<TensorType> in = new ArrayList<>();
      for (String o : operands) in.add(byName.get(o).type());
      String text = ElementwiseExpr.print(e);
      Map<String, Attr> attrs = Map.of("expr", new Attr.Str(text));
      try {
        if (!ShapeRules.infer(Op.ELEMENTWISE, in, attrs).equals(root.type())) continue;
      } catch (ShapeError ex) {
        continue;
      }
      // The kernel comes from the places of every op it computes, in graph order.
      List<String> inlined = new ArrayList<>(new java.util.LinkedHashSet<>(t.inlined));
      inlined.sort(java.util.Comparator.comparing(position::get));
      Loc loc = Loc.merge(inlined.stream().map(v -> byName.get(v).loc()).toList());
      replacements.put(root.name(), new Node(root.name(), Op.ELEMENTWISE, operands, attrs, root.type(), loc));
      for (String v : t.inlined) if (!v.equals(root.name())) removed.add(v);
      ops += t.opCount;
      stats.increment("elementwise kernels made");
    }
    stats.add("elementwise kernels made", 0).add("ops fused", ops);
    if (replacements.isEmpty()) return g;
    List<Node> nodes = g.nodesReplacing(replacements, removed);
    // Constants that became literals go when nothing else reads them.
    Set<String> read = new HashSet<>();
    for (Node n : nodes) read.addAll(n.operands());
    for (Graph.Output o : g.outputs()) read.add(o.value());
    nodes.removeIf(n -> n.op() == Op.CONSTANT && !read.contains(n.name()) && users.count(n.name()) > 0);
    stats.add("nodes removed", g.nodes().size() - nodes.size());
    return g.withNodes(nodes);
  }

  /** True for the ops this pass fuses: typed f32 unary and binary elementwise ops, and elementwise nodes. */
  static boolean fusible(Node n) {
    if (n == null || n.type() == null || n.type().dtype() != DType.F32) return false;
    return n.op().kind() == Op.Kind.ELEMENTWISE || n.op() == Op.ELEMENTWISE;
  }

  /** Why elementwise op {@code p} is not computed inside its reader {@code c}; null when it is. */
  public static String whyNot(Node p, Node c, KernelPlan.Users users) {
    if (!users.single(p.name())) return "the intermediate has another user or is an output, so it is stored anyway";
    if (!p.type().shape().equals(c.type().shape())) {
      return "the intermediate is stretched by its reader (fusing would recompute it for every copy)";
    }
    return null;
  }

  /** Builds one fused tree's expression: operands in first-read order, constants as literals. */
  private static final class Tree {
    private final Map<String, Node> byName;
    private final Set<String> absorbed;
    final List<String> operands = new ArrayList<>();
    final List<String> inlined = new ArrayList<>();
    int opCount;

    Tree(Map<String, Node> byName, Set<String> absorbed) {
      this.byName = byName;
      this.absorbed = absorbed;
    }

    ElementwiseExpr expr(String value, boolean root) {
      Node n = byName.get(value);
      if (root || absorbed.contains(value)) {
        inlined.add(value);
        List<ElementwiseExpr> args = new ArrayList<>();
        for (String o : n.operands()) args.add(expr(o, false));
        if (n.op() == Op.ELEMENTWISE) {
          ElementwiseExpr inner = ElementwiseExpr.parse(n.strAttr("expr"));
          opCount += inner.opCount();
          return substitute(inner, args);
        }
        opCount++;
        return n.op().isBinaryElementwise() ? new ElementwiseExpr.Binary(n.op(), args.get(0), args.get(1))
            : new ElementwiseExpr.Unary(n.op(), args.get(0));
      }
      if (n.op() == Op.CONSTANT) return new ElementwiseExpr.Constant((float) n.floatAttr("value"));
      int i = operands.indexOf(value);
      if (i < 0) {
        i = operands.size();
        operands.add(value);
      }
      return new ElementwiseExpr.Operand(i);
    }

    /** {@code e} with {@code $i} replaced by {@code args[i]}. */
    static ElementwiseExpr substitute(ElementwiseExpr e, List<ElementwiseExpr> args) {
      return switch (e) {
        case ElementwiseExpr.Operand o -> args.get(o.index());
        case ElementwiseExpr.Constant c -> c;
        case ElementwiseExpr.Unary u -> new ElementwiseExpr.Unary(u.op(), substitute(u.x(), args));
        case ElementwiseExpr.Binary b -> new ElementwiseExpr.Binary(b.op(), substitute(b.a(), args), substitute(b.b(), args));
      };
    }
  }
}
