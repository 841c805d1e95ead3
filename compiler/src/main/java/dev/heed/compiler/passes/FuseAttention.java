package dev.heed.compiler.passes;

import dev.heed.compiler.ir.Attr;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Loc;
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
 * Rewrites the chain {@code attention()} lowers to,
 * <pre>
 *   %kt = transpose(%k) {perm = [..., r-1, r-2]}
 *   %s  = matmul(%q, %kt)
 *   %sc = mul(%s, %scale)            // %scale a constant
 *   %sm = add(%sc, %mask)            // optional; the mask must not grow the scores
 *   %p  = softmax(%sm) {axis = last}
 *   %o  = matmul(%p, %v)
 * </pre>
 * into {@code %o = attention(%q, %k, %v, %mask) {scale}}, so the kernel never holds the
 * [..., sq, sk] scores. Fuses only when the scores-sized intermediates ({@code %s, %sc, %sm,
 * %p}) have no other user and are no output; a candidate that does not fuse is counted as
 * {@code not fused: <reason>}. The transpose and the constant are removed when nothing else
 * uses them.
 */
public final class FuseAttention implements Pass {
  @Override public String name() { return "fuse-attention"; }

  @Override public String summary() {
    return "fuses transpose→matmul→mul(scale)→[add mask]→softmax→matmul into one attention op";
  }

  /** A matched chain, or why the candidate does not fuse. */
  private record Match(Node fused, List<String> intermediates, List<String> removable, String whyNot) {
    static Match no(String why) { return new Match(null, List.of(), List.of(), why); }
  }

  @Override public Graph run(Graph g, PassStats stats) {
    Map<String, Node> byName = g.byName();
    Map<String, Integer> uses = uses(g.nodes(), g.outputs());
    Map<String, Node> replacements = new HashMap<>();
    Set<String> removed = new HashSet<>();
    Set<String> maybeDead = new HashSet<>();
    for (Node n : g.nodes()) {
      if (n.op() != Op.MATMUL) continue;
      Node p = byName.get(n.operands().get(0));
      if (p.op() != Op.SOFTMAX) continue; // not a candidate: only softmax·v chains are
      Match m = match(n, p, byName, uses);
      if (m.fused() == null) {
        stats.increment("not fused: " + m.whyNot());
        continue;
      }
      replacements.put(n.name(), m.fused());
      removed.addAll(m.intermediates());
      maybeDead.addAll(m.removable());
      stats.increment("attention fused");
    }
    stats.add("attention fused", 0);
    if (replacements.isEmpty()) return g;

    List<Node> nodes = g.nodesReplacing(replacements, removed);
    // The transposes and scale constants of fused chains go when nothing else reads them.
    Map<String, Integer> left = uses(nodes, g.outputs());
    nodes.removeIf(n -> maybeDead.contains(n.name()) && left.getOrDefault(n.name(), 0) == 0);
    stats.add("nodes removed", g.nodes().size() - nodes.size());
    return g.withNodes(nodes);
  }

  private static Match match(Node out, Node p, Map<String, Node> byName, Map<String, Integer> uses) {
    TensorType pt = p.type();
    if (pt == null) return Match.no("untyped IR (run infer-shapes first)");
    long axis = p.intAttr("axis");
    if (axis != -1 && axis != pt.rank() - 1) return Match.no("softmax not over the last axis");
    Node s = byName.get(p.operands().get(0));
    String mask = null;
    Node masked = null;
    if (s.op() == Op.ADD) {
      masked = s;
      Node left = byName.get(s.operands().get(0)), right = byName.get(s.operands().get(1));
      if (isScale(left, byName)) {
        s = left;
        mask = right.name();
      } else if (isScale(right, byName)) {
        s = right;
        mask = left.name();
      } else {
        return Match.no("softmax input is an add without a scaled q·kᵀ");
      }
      if (!masked.type().equals(s.type())) return Match.no("the mask grows the scores");
      if (byName.get(mask).op() == Op.CONSTANT) return Match.no("the mask is a constant");
    }
    if (!isScale(s, byName)) return Match.no("softmax input is not q·kᵀ times a constant");
    Node scaled = s;
    boolean constLeft = byName.get(scaled.operands().get(0)).op() == Op.CONSTANT;
    Node constant = byName.get(scaled.operands().get(constLeft ? 0 : 1));
    Node scores = byName.get(scaled.operands().get(constLeft ? 1 : 0));
    if (!scaled.type().equals(scores.type())) return Match.no("the scale grows the scores");
    Node kt = byName.get(scores.operands().get(1));
    if (kt.op() != Op.TRANSPOSE || !swapsLastTwo(kt.intsAttr("perm"))) {
      return Match.no("scores are not q·kᵀ with kᵀ a transpose of the last two axes");
    }
    List<String> intermediates = new ArrayList<>(List.of(scores.name(), scaled.name()));
    if (masked != null) intermediates.add(masked.name());
    intermediates.add(p.name());
    for (String v : intermediates) {
      if (uses.getOrDefault(v, 0) != 1) {
        return Match.no("the " + byName.get(v).op().irName() + " in the chain has another user or is an output");
      }
    }
    List<String> operands = new ArrayList<>(List.of(scores.operands().get(0), kt.operands().get(0), out.operands().get(1)));
    if (mask != null) operands.add(mask);
    // The fused node comes from the places of every op of the chain, in graph order.
    List<Loc> places = new ArrayList<>(List.of(kt.loc(), scores.loc(), constant.loc(), scaled.loc()));
    if (masked != null) places.add(masked.loc());
    places.add(p.loc());
    places.add(out.loc());
    Node fused = new Node(out.name(), Op.ATTENTION, operands, Map.of("scale", new Attr.Float(constant.floatAttr("value"))),
        out.type(), Loc.merge(places));
    return new Match(fused, intermediates, List.of(kt.name(), constant.name()), null);
  }

  /** True for {@code mul(x, constant)} or {@code mul(constant, x)} with x a matmul. */
  private static boolean isScale(Node n, Map<String, Node> byName) {
    if (n.op() != Op.MUL) return false;
    Node a = byName.get(n.operands().get(0)), b = byName.get(n.operands().get(1));
    return a.op() == Op.MATMUL && b.op() == Op.CONSTANT || b.op() == Op.MATMUL && a.op() == Op.CONSTANT;
  }

  private static boolean swapsLastTwo(List<Long> perm) {
    int r = perm.size();
    if (r < 2) return false;
    for (int i = 0; i < r - 2; i++) if (perm.get(i) != i) return false;
    return perm.get(r - 2) == r - 1 && perm.get(r - 1) == r - 2;
  }

  private static Map<String, Integer> uses(List<Node> nodes, List<Graph.Output> outputs) {
    Map<String, Integer> uses = new HashMap<>();
    for (Node n : nodes) for (String o : n.operands()) uses.merge(o, 1, Integer::sum);
    for (Graph.Output o : outputs) uses.merge(o.value(), 1, Integer::sum);
    return uses;
  }
}
