package dev.heed.compiler.passes;

import dev.heed.compiler.ir.Attr;
import dev.heed.compiler.ir.Epilogue;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Loc;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Moves what follows a linear into its GEMM's store (the epilogue): an activation,
 * <pre>
 *   %y = linear(%x, %w, %b)
 *   %h = gelu(%y)                     →   %h = fused_linear(%x, %w, %b) {epilogue = "bias,gelu"}
 * </pre>
 * and a residual add of a tensor of the result's type (on either side of the add),
 * <pre>
 *   %y = linear(%a, %w, %b)
 *   %s = add(%x, %y)                  →   %s = fused_linear(%a, %w, %b, %x) {epilogue = "bias,residual"}
 * </pre>
 * and both, in that order ({@code x + relu(linear(…))} becomes {@code "bias,relu,residual"}),
 * and then a layer or RMS norm of the result, over its rows,
 * <pre>
 *   %s = fused_linear(%a, %w, %b, %x) {epilogue = "bias,residual"}
 *   %y = layer_norm(%s, %g, %beta) {eps}  →   %y = fused_linear(%a, %w, %b, %x, %g, %beta)
 *                                                    {epilogue = "bias,residual,layer_norm", eps}
 * </pre>
 * which the kernel applies to each block of rows as soon as the block's last column is done,
 * while it is in cache, instead of in another pass over the result (the residual + norm of
 * every BERT-style layer). The activations are those a store can apply
 * ({@link Epilogue#ACTIVATIONS}: relu, gelu, gelu_tanh, tanh, sigmoid); the steps keep
 * {@link Epilogue}'s order bias, activation, residual, norm. The fused node takes the name, location and position of the node whose value it
 * replaces (the activation or the add): its operands all exist by then, the residual too,
 * since it is an operand of that add, so node order stays topological.
 *
 * <p>Fuses only when the linear's result has no other user and is no output, and the add does
 * not broadcast (residual, linear result and sum all of one type). When both operands of an
 * add could take it, the later GEMM does. Each candidate that does not fuse is counted as
 * {@code not fused: <reason>}.
 */
public final class FuseEpilogue implements Pass {
  @Override public String name() { return "fuse-epilogue"; }

  @Override public String summary() {
    return "fuses a linear's activation and residual add into its GEMM (fused_linear with an epilogue)";
  }

  @Override public Graph run(Graph g, PassStats stats) {
    Map<String, Node> byName = g.byName();
    Map<String, Integer> position = new HashMap<>();
    for (int i = 0; i < g.nodes().size(); i++) position.put(g.nodes().get(i).name(), i);
    KernelPlan.Users users = KernelPlan.Users.of(g);
    Map<String, Node> cur = new HashMap<>(byName); // definitions as rewritten so far
    Set<String> removed = new HashSet<>();
    long activations = 0, residuals = 0, norms = 0;
    for (Node n : g.nodes()) {
      if (Epilogue.NORMS.contains(n.op()) && !n.operands().isEmpty()) {
        Node p = cur.get(n.operands().get(0));
        if (!isLinear(p)) continue;
        String why = whyNotNorm(p, users);
        if (why != null) {
          stats.increment("not fused: " + why);
          continue;
        }
        cur.put(n.name(), withNorm(p, n));
        removed.add(p.name());
        norms++;
        continue;
      }
      if (Epilogue.ACTIVATIONS.contains(n.op()) && n.operands().size() == 1) {
        Node p = cur.get(n.operands().get(0));
        if (!isLinear(p)) continue;
        String why = whyNotActivation(p, n, users);
        if (why != null) {
          stats.increment("not fused: " + why);
          continue;
        }
        cur.put(n.name(), extend(p, n, n.op(), null));
        removed.add(p.name());
        activations++;
      } else if (n.op() == Op.ADD && n.operands().size() == 2 && n.type() != null) {
        String why = null;
        int pick = -1;
        for (int i = 0; i < 2; i++) {
          Node p = cur.get(n.operands().get(i));
          if (!isLinear(p)) continue;
          String w = whyNotResidual(p, n, cur.get(n.operands().get(1 - i)), users);
          if (w != null) {
            if (why == null) why = w;
          } else if (pick < 0 || position.get(p.name()) > position.get(n.operands().get(pick))) {
            pick = i;
          }
        }
        if (pick < 0) {
          if (why != null) stats.increment("not fused: " + why);
          continue;
        }
        Node p = cur.get(n.operands().get(pick));
        cur.put(n.name(), extend(p, n, null, n.operands().get(1 - pick)));
        removed.add(p.name());
        residuals++;
      }
    }
    stats.add("activations fused", activations).add("residual adds fused", residuals).add("norms fused", norms);
    if (removed.isEmpty()) return g;
    List<Node> nodes = new ArrayList<>();
    for (Node n : g.nodes()) {
      if (!removed.contains(n.name())) nodes.add(cur.get(n.name()));
    }
    return g.withNodes(nodes);
  }

  private static boolean isLinear(Node p) {
    return p != null && (p.op() == Op.LINEAR || p.op() == Op.FUSED_LINEAR) && p.type() != null;
  }

  /** The epilogue {@code p} (a linear or fused_linear) already has; null for a plain linear without bias. */
  private static Epilogue epilogue(Node p) {
    if (p.op() == Op.FUSED_LINEAR) return Epilogue.parse(p.strAttr("epilogue"));
    return p.operands().size() == 3 ? new Epilogue(true, null, false) : null;
  }

  /**
   * Why activation {@code act} of {@code p} (a linear or fused_linear) does not go into p's
   * epilogue; null when it can.
   */
  public static String whyNotActivation(Node p, Node act, KernelPlan.Users users) {
    if (!users.single(p.name())) return "the linear's result has another user or is an output";
    Epilogue e = epilogue(p);
    if (e != null && (e.residual() || e.norm() != null)) {
      return "an activation after the residual add or norm is not an epilogue step (bias, activation, residual, norm)";
    }
    if (e != null && e.activation() != null) return "the fused_linear already applies an activation";
    return null;
  }

  /**
   * Why {@code add} of {@code p} (a linear or fused_linear) and {@code other} does not go into
   * p's epilogue as a residual; null when it can.
   */
  public static String whyNotResidual(Node p, Node add, Node other, KernelPlan.Users users) {
    if (!users.single(p.name())) return "the linear's result has another user or is an output";
    Epilogue e = epilogue(p);
    if (e != null && e.residual()) return "the fused_linear already adds a residual";
    if (e != null && e.norm() != null) return "a residual add after the norm is not an epilogue step (bias, activation, residual, norm)";
    if (!p.type().equals(add.type())) return "the add broadcasts the linear's result";
    if (other == null || !add.type().equals(other.type())) return "the add broadcasts the residual (it must have the result's type)";
    return null;
  }

  /** Why a norm of {@code p}'s result (p a linear or fused_linear) does not go into p's epilogue; null when it can. */
  public static String whyNotNorm(Node p, KernelPlan.Users users) {
    if (!users.single(p.name())) return "the linear's result has another user or is an output";
    Epilogue e = epilogue(p);
    if (e != null && e.norm() != null) return "the fused_linear already normalises its rows";
    return null;
  }

  /** {@code p} followed by {@code norm} (a layer_norm or rms_norm of p's result), as one fused_linear named as the norm. */
  private static Node withNorm(Node p, Node norm) {
    Epilogue e = epilogue(p);
    Epilogue next = e == null ? new Epilogue(false, null, false, norm.op())
        : new Epilogue(e.bias(), e.activation(), e.residual(), norm.op());
    List<String> operands = new ArrayList<>(p.operands());
    operands.addAll(norm.operands().subList(1, norm.operands().size()));
    Map<String, Attr> attrs = new LinkedHashMap<>();
    attrs.put("epilogue", new Attr.Str(next.toString()));
    attrs.put("eps", norm.attrs().get("eps"));
    return new Node(norm.name(), Op.FUSED_LINEAR, operands, attrs, norm.type(), Loc.merge(p.loc(), norm.loc()));
  }

  /** {@code p} with {@code activation} or {@code residual} appended to its epilogue, as {@code n}. */
  private static Node extend(Node p, Node n, Op activation, String residual) {
    Epilogue e = epilogue(p);
    boolean bias = e != null && e.bias();
    Op act = activation != null ? activation : e == null ? null : e.activation();
    List<String> operands = new ArrayList<>(p.operands());
    if (residual != null) operands.add(residual);
    Epilogue next = new Epilogue(bias, act, residual != null);
    return new Node(n.name(), Op.FUSED_LINEAR, operands, Map.of("epilogue", new Attr.Str(next.toString())), n.type(),
        Loc.merge(p.loc(), n.loc()));
  }
}
