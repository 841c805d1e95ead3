package dev.heed.compiler.passes;

import dev.heed.compiler.ir.Attr;
import dev.heed.compiler.ir.Dim;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Loc;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.ir.TensorType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Merges the projections of one input into one GEMM: two or more
 * <pre>
 *   %q = linear(%x, %wq, %bq)        // %wq : f32[nq, k], a param (or a load-time value)
 *   %k = linear(%x, %wk, %bk)        // %wk : f32[nk, k]
 *   %v = linear(%x, %wv, %bv)
 * </pre>
 * become
 * <pre>
 *   %qkv.weight = concat(%wq, %wk, %wv) {axis = 0}    // f32[nq+nk+nv, k], a load-time value
 *   %qkv.bias   = concat(%bq, %bk, %bv) {axis = 0}    // f32[nq+nk+nv]
 *   %qkv = linear(%x, %qkv.weight, %qkv.bias)         // [..., nq+nk+nv]
 *   %q = slice(%qkv) {axis = last, start = 0, end = nq}
 *   %k = slice(%qkv) {axis = last, start = nq, end = nq+nk}
 *   %v = slice(%qkv) {axis = last, start = nq+nk, end = nq+nk+nv}
 * </pre>
 * so x is read once and the GEMM is wider. The slices keep the names (and locations) of the
 * linears they replace, so later IR reads as before. The concats read only weights: they are
 * load-time values ({@link KernelPlan#isLoadTime}), computed once when the weights load, and the
 * weights and biases they read are moved before the merged linear if they were declared after
 * it. The new names are the weights' common prefix (up to a dot) followed by {@code qkv} when
 * three projections merge, {@code packed} otherwise, e.g. {@code %encoder.layer.0.attention.self.qkv}
 * and {@code %encoder.layer.0.attention.self.qkv.weight}; {@code _1}, {@code _2}, … make them unique.
 *
 * <p>Merges the linears of one input that all have a bias, or all have none, whose weights
 * (and biases) are params or load-time values, and whose every use is a {@code split_heads}
 * (a reshape to [b, s, h, d], then transpose [0, 2, 1, 3]). That last condition is what makes
 * the merge pay: {@code fuse-heads} then feeds the slices to {@code mha}, which reads them in
 * place ({@link KernelPlan#isView}); a slice with any other user would be a copy, one more
 * kernel than the GEMMs it saves. Each linear of a shared input that stays apart is counted
 * as {@code not fused: <reason>}; the merged ones as {@code linears merged}.
 */
public final class FuseQkv implements Pass {
  @Override public String name() { return "fuse-qkv"; }

  @Override public String summary() {
    return "merges linears of one input (q, k, v projections) into one GEMM on concatenated weights, sliced";
  }

  @Override public Graph run(Graph g, PassStats stats) {
    Map<String, Node> byName = g.byName();
    KernelPlan.Users users = KernelPlan.Users.of(g);
    Set<String> loadTime = KernelPlan.loadTimeValues(g);
    Map<String, List<Node>> byInput = new LinkedHashMap<>();
    for (Node n : g.nodes()) {
      if (n.op() == Op.LINEAR && n.type() != null) byInput.computeIfAbsent(n.operands().get(0), k -> new ArrayList<>()).add(n);
    }
    Set<String> taken = new HashSet<>(byName.keySet());
    Map<String, List<Node>> before = new HashMap<>(); // first linear of a group -> nodes that replace it (hoisted, concats, linear, slice)
    Map<String, Node> replaced = new HashMap<>();      // other linears of a group -> their slice
    long merged = 0;
    for (List<Node> group : byInput.values()) {
      if (group.size() < 2) continue;
      List<Node> withBias = new ArrayList<>(), withoutBias = new ArrayList<>();
      for (Node l : group) {
        String why = whyNot(l, byName, users, loadTime);
        if (why != null) {
          stats.increment("not fused: " + why);
        } else {
          (l.operands().size() == 3 ? withBias : withoutBias).add(l);
        }
      }
      for (List<Node> sub : List.of(withBias, withoutBias)) {
        if (sub.size() < 2) {
          if (sub.size() == 1 && withBias.size() + withoutBias.size() > 1) {
            stats.increment("not fused: some projections of the input have a bias and others do not");
          }
          continue;
        }
        merge(sub, g, byName, taken, before, replaced);
        merged += sub.size();
      }
    }
    stats.add("linears merged", merged);
    if (merged == 0) return g;
    List<Node> nodes = new ArrayList<>();
    Set<String> emitted = new HashSet<>();
    for (Node n : g.nodes()) {
      List<Node> head = before.get(n.name());
      if (head != null) {
        for (Node h : head) {
          if (emitted.add(h.name())) nodes.add(h);
        }
      } else if (replaced.containsKey(n.name())) {
        nodes.add(replaced.get(n.name()));
      } else if (emitted.add(n.name())) { // a weight moved up is already there
        nodes.add(n);
      }
    }
    return g.withNodes(nodes);
  }

  /** Why linear {@code l} cannot be merged with others of its input; null if it can. */
  private static String whyNot(Node l, Map<String, Node> byName, KernelPlan.Users users, Set<String> loadTime) {
    for (int i = 1; i < l.operands().size(); i++) {
      Node w = byName.get(l.operands().get(i));
      if (w.op() != Op.PARAM && !loadTime.contains(w.name())) {
        return "a projection's " + (i == 1 ? "weight" : "bias") + " is computed per call (not a param or load-time value)";
      }
    }
    if (!FuseHeads.onlySplitIntoHeads(l.name(), byName, users)) {
      return "a projection is used other than by split_heads (its slice would be a copy, not read in place by mha)";
    }
    return null;
  }

  private static void merge(List<Node> sub, Graph g, Map<String, Node> byName, Set<String> taken,
      Map<String, List<Node>> before, Map<String, Node> replaced) {
    Node first = sub.get(0);
    boolean bias = first.operands().size() == 3;
    List<String> ws = new ArrayList<>(), bs = new ArrayList<>();
    long total = 0;
    for (Node l : sub) {
      ws.add(l.operands().get(1));
      if (bias) bs.add(l.operands().get(2));
      total += byName.get(l.operands().get(1)).type().dim(0).size();
    }
    String base = commonPrefix(ws) + (sub.size() == 3 ? "qkv" : "packed");
    String yName = fresh(base, taken);
    String wName = fresh(base + ".weight", taken);
    String bName = bias ? fresh(base + ".bias", taken) : null;

    // Weights (and what computes them) declared after the first linear move up to it.
    int firstPos = g.nodes().indexOf(first);
    Set<String> need = new HashSet<>();
    for (String w : ws) closure(w, byName, need);
    for (String b : bs) closure(b, byName, need);
    List<Node> head = new ArrayList<>();
    for (int i = firstPos + 1; i < g.nodes().size(); i++) {
      Node n = g.nodes().get(i);
      if (need.contains(n.name())) head.add(n);
    }
    TensorType w0 = byName.get(ws.get(0)).type();
    // The merged nodes come from every projection's place.
    Loc loc = Loc.merge(sub.stream().map(Node::loc).toList());
    head.add(new Node(wName, Op.CONCAT, ws, Map.of("axis", new Attr.Int(0)), w0.withShape(List.of(Dim.of(total), w0.dim(1))),
        loc));
    List<String> operands = new ArrayList<>(List.of(first.operands().get(0), wName));
    if (bias) {
      head.add(new Node(bName, Op.CONCAT, bs, Map.of("axis", new Attr.Int(0)), w0.withShape(List.of(Dim.of(total))),
          loc));
      operands.add(bName);
    }
    TensorType t0 = first.type();
    List<Dim> yShape = new ArrayList<>(t0.shape());
    int axis = yShape.size() - 1;
    yShape.set(axis, Dim.of(total));
    head.add(new Node(yName, Op.LINEAR, operands, Map.of(), t0.withShape(yShape), loc));
    long start = 0;
    for (Node l : sub) {
      long end = start + l.type().last().size();
      Node slice = new Node(l.name(), Op.SLICE, List.of(yName),
          Map.of("axis", new Attr.Int(axis), "start", new Attr.Int(start), "end", new Attr.Int(end)), l.type(), l.loc());
      if (l == first) head.add(slice);
      else replaced.put(l.name(), slice);
      start = end;
    }
    before.put(first.name(), head);
  }

  /** {@code value} and every non-source value it is computed from, into {@code out}. */
  private static void closure(String value, Map<String, Node> byName, Set<String> out) {
    if (!out.add(value)) return;
    for (String o : byName.get(value).operands()) closure(o, byName, out);
  }

  /** The longest common prefix of the names that ends in '.', or "". */
  static String commonPrefix(List<String> names) {
    String p = names.get(0);
    for (String n : names) {
      int i = 0;
      while (i < p.length() && i < n.length() && p.charAt(i) == n.charAt(i)) i++;
      p = p.substring(0, i);
    }
    int dot = p.lastIndexOf('.');
    return dot < 0 ? "" : p.substring(0, dot + 1);
  }

  /** {@code base}, or {@code base_1}, {@code base_2}, … whichever is not taken yet; marks it taken. */
  static String fresh(String base, Set<String> taken) {
    String name = base;
    for (int i = 1; taken.contains(name); i++) name = base + "_" + i;
    taken.add(name);
    return name;
  }
}
