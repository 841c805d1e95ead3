package dev.heed.compiler.passes;

import dev.heed.compiler.ir.Attr;
import dev.heed.compiler.ir.Dim;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.ir.ShapeError;
import dev.heed.compiler.ir.ShapeRules;
import dev.heed.compiler.ir.TensorType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites multi-head attention on split heads, as {@code split_heads}, {@code attention} and
 * {@code merge_heads} lower,
 * <pre>
 *   %rq = reshape(%xq) {shape = dims[b, sq, h, d]}      // split_heads(%xq, h), %xq : f32[b, sq, h·d]
 *   %q  = transpose(%rq) {perm = [0, 2, 1, 3]}          //   → [b, h, sq, d]
 *   %rk = reshape(%xk) …  %k = transpose(%rk) …         // the same for k (and v)
 *   %o  = attention(%q, %k, %v, %mask) {scale}          // [b, h, sq, dv]
 *   %t  = transpose(%o) {perm = [0, 2, 1, 3]}           // merge_heads: [b, sq, h, dv]
 *   %a  = reshape(%t) {shape = dims[b, sq, h·dv]}       //   → [b, sq, h·dv]
 * </pre>
 * into {@code %a = mha(%xq, %xk, %xv, %mask) {heads = h, scale}}, whose kernel reads each head's
 * columns of the packed rows in place and writes them in place: no transposes. The mask is
 * passed as it is (attention's typing already made it broadcast to [b, h, sq, sk]: a padding
 * mask reshaped to [b, 1, 1, sk], a causal mask [sq, sk], or their sum).
 *
 * <p>Fuses only when every intermediate (the reshapes and transposes of split_heads, the
 * attention, merge_heads' transpose) has no user outside the chain and is no output, q, k and
 * v are split into the same number of heads and have the same batch dimension. The
 * {@code mha} takes the name of merge_heads' reshape (the value it replaces) and the location
 * of the {@code attention} (the spec line that asked for attention; the splits and merge are
 * layout). A candidate that does not fuse is counted as {@code not fused: <reason>}.
 */
public final class FuseHeads implements Pass {
  @Override public String name() { return "fuse-heads"; }

  @Override public String summary() {
    return "fuses split_heads → attention → merge_heads into one mha op on packed rows";
  }

  /** A matched chain, or why the candidate does not fuse. */
  private record Match(Node fused, Node replaced, Set<String> intermediates, String whyNot) {
    static Match no(String why) { return new Match(null, null, Set.of(), why); }
  }

  @Override public Graph run(Graph g, PassStats stats) {
    Map<String, Node> byName = g.byName();
    KernelPlan.Users users = KernelPlan.Users.of(g);
    Map<String, Node> replacements = new HashMap<>();
    Set<String> removed = new HashSet<>();
    for (Node n : g.nodes()) {
      if (n.op() != Op.ATTENTION || n.type() != null && n.type().rank() != 4) continue; // not on heads: no candidate
      Match m = match(n, byName, users);
      if (m.fused() == null) {
        stats.increment("not fused: " + m.whyNot());
        continue;
      }
      replacements.put(m.replaced().name(), m.fused());
      removed.addAll(m.intermediates());
      stats.increment("heads fused");
    }
    stats.add("heads fused", 0);
    if (replacements.isEmpty()) return g;
    List<Node> nodes = g.nodesReplacing(replacements, removed);
    stats.add("nodes removed", g.nodes().size() - nodes.size());
    return g.withNodes(nodes);
  }

  private static Match match(Node att, Map<String, Node> byName, KernelPlan.Users users) {
    if (att.type() == null) return Match.no("untyped IR (run infer-shapes first)");
    String[] roles = {"q", "k", "v"};
    List<String> packed = new ArrayList<>();
    Set<String> intermediates = new LinkedHashSet<>();
    long heads = -1;
    Dim batch = null;
    for (int i = 0; i < 3; i++) {
      Node t = byName.get(att.operands().get(i));
      Node r = splitHeadsReshape(t, byName);
      if (r == null) {
        return Match.no(roles[i] + " is not split_heads of a [batch, seq, heads·d] tensor (a reshape to "
            + "[batch, seq, heads, d], then transpose [0, 2, 1, 3])");
      }
      for (Node u : users.readers(t.name())) {
        if (!u.name().equals(att.name())) return Match.no("the split_heads transpose of " + roles[i] + " has another user");
      }
      if (users.isOutput(t.name())) return Match.no("the split_heads transpose of " + roles[i] + " is an output");
      if (!users.single(r.name())) return Match.no("the split_heads reshape of " + roles[i] + " has another user or is an output");
      long h = r.dimsAttr("shape").get(2).size();
      if (heads >= 0 && h != heads) return Match.no("q, k and v are split into different numbers of heads");
      heads = h;
      Node x = byName.get(r.operands().get(0));
      if (batch != null && !batch.equals(x.type().dim(0))) return Match.no("q, k and v differ in their batch dimension");
      batch = x.type().dim(0);
      packed.add(x.name());
      intermediates.add(t.name());
      intermediates.add(r.name());
    }
    if (!users.single(att.name())) return Match.no("the attention's result has another user or is an output");
    Node t = users.readers(att.name()).get(0);
    if (t.op() != Op.TRANSPOSE || !t.intsAttr("perm").equals(List.of(0L, 2L, 1L, 3L))) {
      return Match.no("the attention's result is not merged by merge_heads (transpose [0, 2, 1, 3], then reshape to "
          + "[batch, seq, heads·d])");
    }
    if (!users.single(t.name())) return Match.no("the merge_heads transpose has another user or is an output");
    Node m = users.readers(t.name()).get(0);
    TensorType tt = t.type();
    if (m.op() != Op.RESHAPE || m.type() == null || tt == null || !tt.last().isKnown() || !m.type().shape().equals(
        List.of(tt.dim(0), tt.dim(1), Dim.of(tt.dim(2).size() * tt.last().size())))) {
      return Match.no("the attention's result is not merged by merge_heads (transpose [0, 2, 1, 3], then reshape to "
          + "[batch, seq, heads·d])");
    }
    List<String> operands = new ArrayList<>(packed);
    if (att.operands().size() == 4) operands.add(att.operands().get(3));
    Map<String, Attr> attrs = Map.of("heads", new Attr.Int(heads), "scale", att.attrs().get("scale"));
    List<TensorType> in = new ArrayList<>();
    for (String o : operands) in.add(byName.get(o).type());
    try {
      if (!ShapeRules.infer(Op.MHA, in, attrs).equals(m.type())) return Match.no("mha would have another type");
    } catch (ShapeError e) {
      return Match.no("mha does not accept these operands (" + e.getMessage() + ")");
    }
    intermediates.add(att.name());
    intermediates.add(t.name());
    return new Match(new Node(m.name(), Op.MHA, operands, attrs, m.type(), att.loc()), m, intermediates, null);
  }

  /**
   * The reshape of {@code split_heads(x, h)} when {@code t} is its transpose: {@code t} is
   * {@code transpose{perm = [0, 2, 1, 3]}} of a reshape of x [b, s, h·d] to [b, s, h, d]
   * (known h and d); else null. Says nothing about other users.
   */
  static Node splitHeadsReshape(Node t, Map<String, Node> byName) {
    if (t == null || t.op() != Op.TRANSPOSE || !t.intsAttr("perm").equals(List.of(0L, 2L, 1L, 3L))) return null;
    Node r = byName.get(t.operands().get(0));
    if (r == null || r.op() != Op.RESHAPE) return null;
    Node x = byName.get(r.operands().get(0));
    if (x == null || x.type() == null || x.type().rank() != 3 || !x.type().last().isKnown()) return null;
    List<Dim> shape = r.dimsAttr("shape");
    if (shape.size() != 4 || !shape.get(0).equals(x.type().dim(0)) || !shape.get(1).equals(x.type().dim(1))) return null;
    if (!shape.get(2).isKnown() || !shape.get(3).isKnown() || shape.get(2).size() <= 0
        || shape.get(2).size() * shape.get(3).size() != x.type().last().size()) {
      return null;
    }
    return r;
  }

  /**
   * True when every use of {@code value} is a split_heads (a reshape to [b, s, h, d] whose one
   * user is transpose [0, 2, 1, 3]) and it is no output: what {@code fuse-heads} can turn into
   * {@code mha} operands read in place.
   */
  static boolean onlySplitIntoHeads(String value, Map<String, Node> byName, KernelPlan.Users users) {
    if (users.isOutput(value) || users.count(value) == 0) return false;
    for (Node r : users.readers(value)) {
      if (r.op() != Op.RESHAPE || !users.single(r.name())) return false;
      if (splitHeadsReshape(users.readers(r.name()).get(0), byName) != r) return false;
    }
    return true;
  }
}
