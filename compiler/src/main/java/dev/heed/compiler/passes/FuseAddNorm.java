package dev.heed.compiler.passes;

import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Loc;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Fuses a residual add into the norm that reads it:
 * <pre>
 *   %s = add(%a, %b)
 *   %y = layer_norm(%s, %g, %beta) {eps}     →   %y = add_layer_norm(%a, %b, %g, %beta) {eps}
 *   %z = rms_norm(%s2, %g) {eps}             →   %z = add_rms_norm(%a2, %b2, %g) {eps}
 * </pre>
 * so each row is summed and normalised in one pass, never stored as a sum. The fused node takes
 * the norm's name, location and position. Fuses only when the add has no other user and is no
 * output, and {@code a}, {@code b} and the sum have one type (no broadcasting); otherwise
 * counts {@code not fused: <reason>}.
 *
 * <p>It runs after {@code fuse-epilogue}, which already moves a residual add that follows a
 * linear into the GEMM; this fuses the adds that are left (e.g. a residual after attention
 * that was not a linear, or a sum of two norms' inputs).
 */
public final class FuseAddNorm implements Pass {
  @Override public String name() { return "fuse-add-norm"; }

  @Override public String summary() { return "fuses add → layer_norm / rms_norm into add_layer_norm / add_rms_norm"; }

  @Override public Graph run(Graph g, PassStats stats) {
    Map<String, Node> byName = g.byName();
    KernelPlan.Users users = KernelPlan.Users.of(g);
    Map<String, Node> replacements = new HashMap<>();
    Set<String> removed = new HashSet<>();
    for (Node n : g.nodes()) {
      if (n.op() != Op.LAYER_NORM && n.op() != Op.RMS_NORM || n.operands().isEmpty()) continue;
      Node s = byName.get(n.operands().get(0));
      if (s.op() != Op.ADD || s.operands().size() != 2) continue;
      String why = whyNot(s, byName, users);
      if (why != null) {
        stats.increment("not fused: " + why);
        continue;
      }
      List<String> operands = new ArrayList<>(s.operands());
      operands.addAll(n.operands().subList(1, n.operands().size()));
      Op op = n.op() == Op.LAYER_NORM ? Op.ADD_LAYER_NORM : Op.ADD_RMS_NORM;
      replacements.put(n.name(), new Node(n.name(), op, operands, n.attrs(), n.type(), Loc.merge(s.loc(), n.loc())));
      removed.add(s.name());
      stats.increment("norms fused");
    }
    stats.add("norms fused", 0);
    if (replacements.isEmpty()) return g;
    List<Node> nodes = g.nodesReplacing(replacements, removed);
    return g.withNodes(nodes);
  }

  /** Why {@code add} does not fuse into the norm that reads it; null when it can. */
  public static String whyNot(Node add, Map<String, Node> byName, KernelPlan.Users users) {
    if (!users.single(add.name())) return "the add has another user or is an output";
    Node a = byName.get(add.operands().get(0)), b = byName.get(add.operands().get(1));
    if (add.type() == null || a.type() == null || !add.type().equals(a.type()) || !add.type().equals(b.type())) {
      return "the add broadcasts (its operands must both have the sum's type)";
    }
    return null;
  }
}
