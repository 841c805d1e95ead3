package dev.heed.compiler.passes;

import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Loc;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The kernels a graph runs per call: the nodes that get code of their own and write a buffer.
 * Emitters generate exactly these; {@code heed inspect} and the kernel-count tests count them.
 *
 * <p>A node is a kernel unless it is
 * <ol>
 *   <li>a <b>source</b>: {@code input}, {@code param} or {@code constant};
 *   <li>a <b>load-time value</b> ({@link #isLoadTime}): a node with operands, each of them a
 *       {@code param}, a {@code constant} or itself a load-time value — e.g. the
 *       {@code concat} of the q, k and v weights that {@code fuse-qkv} makes. It depends on the
 *       weights only, so it is computed once, when the weights are loaded, not per call. (A node
 *       that reads an {@code input}, even only its shape, is never load-time.)
 *   <li>a <b>view</b> ({@link #isView}): a {@code reshape} (same elements, same order: its
 *       consumers read the operand's buffer), or a {@code slice} along the last axis whose every
 *       use is as q, k or v of an {@code mha} (the attention kernel reads those columns in
 *       place, with the row stride of the sliced tensor).
 * </ol>
 * Everything else is a kernel, in node order.
 */
public final class KernelPlan {
  private KernelPlan() {}

  /** One kernel: its node, op, fusion category and the spec location kernel comments quote. */
  public record Kernel(Node node, Op op, OpCategory category, Loc loc) {
    /** {@code %name = op [category] at file:line:col}. */
    @Override public String toString() {
      return "%" + node.name() + " = " + op.irName() + " [" + category.label() + "] at " + loc;
    }
  }

  /** The kernel nodes of {@code g}, in node order. */
  public static List<Node> kernels(Graph g) {
    Users users = Users.of(g);
    Set<String> loadTime = loadTimeValues(g);
    List<Node> out = new ArrayList<>();
    for (Node n : g.nodes()) {
      if (isKernel(n, users, loadTime)) out.add(n);
    }
    return out;
  }

  /** The kernels of {@code g} with their op, category and location, in node order. */
  public static List<Kernel> describe(Graph g) {
    Map<String, Node> byName = g.byName();
    Users users = Users.of(g);
    List<Kernel> out = new ArrayList<>();
    for (Node n : kernels(g)) out.add(new Kernel(n, n.op(), OpCategory.of(n, byName, users), n.loc()));
    return out;
  }

  /** {@link #describe} one kernel a line, for logs and test messages. */
  public static String table(Graph g) {
    StringBuilder sb = new StringBuilder();
    for (Kernel k : describe(g)) sb.append(k).append('\n');
    return sb.toString();
  }

  /** True when {@code n} is an input, a param or a constant. */
  public static boolean isSource(Node n) {
    return n.op() == Op.INPUT || n.op() == Op.PARAM || n.op() == Op.CONSTANT;
  }

  /**
   * True when {@code n} depends on the weights only: it has operands, and each is a param, a
   * constant or a load-time value. Such a value is computed once when the weights load.
   */
  public static boolean isLoadTime(Graph g, Node n) {
    return loadTimeValues(g).contains(n.name());
  }

  /**
   * True when {@code n} needs no kernel because its consumers read its operand's buffer: a
   * {@code reshape}, or a {@code slice} along the last axis used only as q, k or v of
   * {@code mha} nodes (and not an output).
   */
  public static boolean isView(Graph g, Node n) {
    return isView(n, Users.of(g));
  }

  /** The names of the load-time values of {@code g} (see {@link #isLoadTime}). */
  public static Set<String> loadTimeValues(Graph g) {
    Set<String> weights = new HashSet<>();
    Set<String> out = new HashSet<>();
    for (Node n : g.nodes()) {
      if (n.op() == Op.PARAM || n.op() == Op.CONSTANT) {
        weights.add(n.name());
        continue;
      }
      if (isSource(n) || n.operands().isEmpty()) continue;
      boolean all = true;
      for (String o : n.operands()) all &= weights.contains(o) || out.contains(o);
      if (all) out.add(n.name());
    }
    return out;
  }

  static boolean isKernel(Node n, Users users, Set<String> loadTime) {
    return !isSource(n) && !loadTime.contains(n.name()) && !isView(n, users);
  }

  static boolean isView(Node n, Users users) {
    return n.op() == Op.RESHAPE || n.op() == Op.SLICE && slicedInPlace(n, users);
  }

  /** A slice along the last axis whose every use is as operand 0, 1 or 2 (q, k, v) of an mha. */
  static boolean slicedInPlace(Node n, Users users) {
    if (n.op() != Op.SLICE || n.type() == null || users.isOutput(n.name()) || users.count(n.name()) == 0) return false;
    long axis = n.intAttr("axis");
    if (axis != -1 && axis != n.type().rank() - 1) return false;
    for (Node u : users.readers(n.name())) {
      if (u.op() != Op.MHA) return false;
      for (int i = 0; i < u.operands().size(); i++) {
        if (u.operands().get(i).equals(n.name()) && i > 2) return false;
      }
    }
    return true;
  }

  /**
   * Who reads each value of a graph: the consumer nodes (each once, in node order), how many
   * operand slots and outputs name it.
   */
  public static final class Users {
    private final Map<String, List<Node>> users = new HashMap<>();
    private final Map<String, Integer> counts = new HashMap<>();
    private final Set<String> outputs = new HashSet<>();

    private Users() {}

    /** The users of every value of {@code g}. */
    public static Users of(Graph g) {
      Users u = new Users();
      for (Node n : g.nodes()) {
        for (String o : new LinkedHashSet<>(n.operands())) u.users.computeIfAbsent(o, k -> new ArrayList<>()).add(n);
        for (String o : n.operands()) u.counts.merge(o, 1, Integer::sum);
      }
      for (Graph.Output o : g.outputs()) {
        u.counts.merge(o.value(), 1, Integer::sum);
        u.outputs.add(o.value());
      }
      return u;
    }

    /** The nodes that read {@code value}, each once, in node order. */
    public List<Node> readers(String value) { return Collections.unmodifiableList(users.getOrDefault(value, List.of())); }

    /** How many operand slots and outputs name {@code value}. */
    public int count(String value) { return counts.getOrDefault(value, 0); }

    /** True when {@code value} is a graph output. */
    public boolean isOutput(String value) { return outputs.contains(value); }

    /** True when exactly one operand slot, and no output, names {@code value}. */
    public boolean single(String value) { return count(value) == 1 && !isOutput(value); }
  }
}
