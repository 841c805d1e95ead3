package dev.heed.compiler.inspect;

import dev.heed.compiler.ir.Epilogue;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.passes.FuseAddNorm;
import dev.heed.compiler.passes.FuseElementwise;
import dev.heed.compiler.passes.FuseEpilogue;
import dev.heed.compiler.passes.KernelPlan;
import dev.heed.compiler.passes.OpCategory;
import dev.heed.compiler.passes.PassManager;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The edges between two kernels of the final graph, each with why heed keeps the two sides
 * apart: a tensor written to memory by one kernel and read back by the next. Kernels are
 * {@link KernelPlan}'s: an edge runs through views (reshape, slices read in place by
 * {@code mha}) to the kernel that wrote the buffer; values computed at load time and sources
 * are no kernels, so edges from them are not boundaries.
 *
 * <p>Where a fusion pass has a rule for the pair, the reason is the pass's own answer for
 * why it declined (the same check the pass runs: {@code fuse-epilogue} for a linear followed
 * by an activation or an add, {@code fuse-add-norm} for an add before a norm,
 * {@code fuse-elementwise} for two elementwise ops, {@code fuse-attention} for softmax·v, with
 * the reasons it counted). Otherwise the reason names the fusion rule heed would need.
 */
public final class FusionBoundaries {
  /**
   * An edge from the kernel computing {@code producer} to the one computing {@code consumer};
   * {@code viaView} is the first view in between (a reshape or a slice), or null.
   */
  public record Boundary(String producer, String producerKernel, String consumer, String consumerKernel, String viaView,
      String reason) {}

  private FusionBoundaries() {}

  /**
   * Every kernel-to-kernel edge of {@code g}, in consumer order, one per producer-consumer pair.
   *
   * @param kernels kernel method by node name ({@code KernelNames.of}); a kernel missing from
   *     it is shown by its op's name
   * @param declined the reasons fuse-attention gave for candidates it did not fuse (its
   *     {@code not fused: ...} statistics, without the prefix)
   */
  public static List<Boundary> of(Graph g, Map<String, String> kernels, List<String> declined) {
    return of(g, kernels, Map.of("fuse-attention", declined));
  }

  /**
   * Every kernel-to-kernel edge of {@code g}, as {@link #of(Graph, Map, List)}, with every
   * pass's declined candidates at hand ({@link #declined}).
   *
   * @param declinedByPass the {@code not fused: ...} statistics of each pass, without the prefix
   */
  public static List<Boundary> of(Graph g, Map<String, String> kernels, Map<String, List<String>> declinedByPass) {
    Map<String, Node> byName = g.byName();
    KernelPlan.Users users = KernelPlan.Users.of(g);
    Map<String, OpCategory> categories = OpCategory.all(g);
    List<Node> kernelNodes = KernelPlan.kernels(g);
    Set<String> isKernel = new HashSet<>();
    for (Node n : kernelNodes) isKernel.add(n.name());
    List<String> attentionDeclined = declinedByPass.getOrDefault("fuse-attention", List.of());
    List<Boundary> out = new ArrayList<>();
    for (Node c : kernelNodes) {
      Set<String> seen = new HashSet<>();
      for (String o : c.operands()) {
        Node p = byName.get(o);
        String view = null;
        while (categories.get(p.name()) == OpCategory.VIEW && !isKernel.contains(p.name())) {
          view = view == null ? p.name() : view;
          p = byName.get(p.operands().get(0));
        }
        if (!isKernel.contains(p.name()) || !seen.add(p.name())) continue;
        out.add(new Boundary(p.name(), kernels.getOrDefault(p.name(), p.op().irName()), c.name(),
            kernels.getOrDefault(c.name(), c.op().irName()), view,
            reason(p, c, view, byName, users, categories, attentionDeclined)));
      }
    }
    return out;
  }

  /** The {@code not fused: ...} statistics of each pass, without the prefix, by pass name, in pass order. */
  public static Map<String, List<String>> declined(List<PassManager.PassRun> runs) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (PassManager.PassRun r : runs) {
      r.stats().counts().forEach((k, v) -> {
        if (k.startsWith("not fused: ") && v > 0) {
          out.computeIfAbsent(r.pass(), x -> new ArrayList<>()).add(k.substring("not fused: ".length()));
        }
      });
    }
    return out;
  }

  static String reason(Node p, Node c, String view, Map<String, Node> byName, KernelPlan.Users users,
      Map<String, OpCategory> cat, List<String> attentionDeclined) {
    boolean viaSlice = view != null && byName.get(view).op() == Op.SLICE;
    String pair = p.op().irName() + " → " + c.op().irName() + ": ";
    int n = users.count(p.name());
    String shared = n > 1 ? " (and %" + p.name() + " has " + n + " users, so it is stored anyway)" : "";
    OpCategory pc = cat.get(p.name()), cc = cat.get(c.name());
    boolean pLinear = p.op() == Op.LINEAR || p.op() == Op.FUSED_LINEAR;
    boolean pElementwise = pc == OpCategory.ELEMENTWISE || pc == OpCategory.BROADCAST;
    boolean cElementwise = cc == OpCategory.ELEMENTWISE || cc == OpCategory.BROADCAST;

    if (p.op() == Op.SOFTMAX && c.op() == Op.MATMUL) {
      if (n > 1) return pair + "the softmax has another user, so fuse-attention keeps the scores";
      return pair + "fuse-attention declined this chain"
          + (attentionDeclined.isEmpty() ? "" : " (" + String.join("; ", attentionDeclined) + ")");
    }
    if (view != null && (pLinear && (Epilogue.ACTIVATIONS.contains(c.op()) || c.op() == Op.ADD)
        || pElementwise && (cElementwise || c.op() == Op.LAYER_NORM || c.op() == Op.RMS_NORM))) {
      String pass = pLinear ? "fuse-epilogue" : cElementwise ? "fuse-elementwise" : "fuse-add-norm";
      return pair + pass + " fuses a value's direct reader only, not one that reads it through a "
          + byName.get(view).op().irName() + " (%" + view + ", a view)" + shared;
    }
    if (pLinear && Epilogue.ACTIVATIONS.contains(c.op())) {
      return pair + "fuse-epilogue declined: " + orElse(FuseEpilogue.whyNotActivation(p, c, users),
          "it would fuse this pair; the graph was not run through the standard passes");
    }
    if (pLinear && c.op() == Op.ADD && c.operands().size() == 2) {
      String other = c.operands().get(0).equals(p.name()) ? c.operands().get(1) : c.operands().get(0);
      return pair + "fuse-epilogue declined the residual add: " + orElse(
          FuseEpilogue.whyNotResidual(p, c, byName.get(other), users),
          "it would fuse this pair; the graph was not run through the standard passes");
    }
    if (p.op() == Op.MATMUL && cElementwise) {
      return pair + "epilogue fusion is implemented for linear (x·wᵀ with a weight), not for a matmul of two "
          + "activations" + shared;
    }
    if (pc == OpCategory.GEMM && cElementwise) {
      return pair + "epilogue fusion takes a bias, one of relu/gelu/gelu_tanh/tanh/sigmoid, a residual add of the "
          + "result's type and a layer or RMS norm; " + describe(c) + " is not such a step" + shared;
    }
    if ((c.op() == Op.LAYER_NORM || c.op() == Op.RMS_NORM) && p.op() == Op.ADD && p.operands().size() == 2) {
      return pair + "fuse-add-norm declined: " + orElse(FuseAddNorm.whyNot(p, byName, users),
          "it would fuse this pair; the graph was not run through the standard passes");
    }
    if (c.op() == Op.SOFTMAX) {
      if (pc == OpCategory.GEMM) {
        return pair + "softmax needs whole rows of the product; scores fuse only as the whole attention chain "
            + "(q·kᵀ → scale → mask → softmax → ·v, fuse-attention)" + shared;
      }
      return pair + "softmax reads whole rows; computing " + describe(p) + " while it reads them (prologue fusion, "
          + "e.g. of a mask add) is not implemented" + shared;
    }
    if (pLinear && (c.op() == Op.LAYER_NORM || c.op() == Op.RMS_NORM)) {
      return pair + "fuse-epilogue declined the norm: " + orElse(FuseEpilogue.whyNotNorm(p, users),
          "it would fuse this pair; the graph was not run through the standard passes");
    }
    if (cc == OpCategory.REDUCTION && pc == OpCategory.GEMM) {
      return pair + "a norm fuses into a linear's epilogue (fuse-epilogue), not into a matmul of two activations"
          + shared;
    }
    if (cc == OpCategory.REDUCTION && pElementwise) {
      return pair + "only an add of two tensors of one type fuses into a norm (fuse-add-norm); computing "
          + describe(p) + " while the norm reads its row (prologue fusion) is not implemented" + shared;
    }
    if (pElementwise && cElementwise) {
      return pair + "fuse-elementwise declined: " + orElse(FuseElementwise.whyNot(p, c, users),
          "it would fuse this pair; the graph was not run through the standard passes");
    }
    boolean pLayout = p.op() == Op.TRANSPOSE || p.op() == Op.CONCAT || p.op() == Op.SLICE;
    boolean cLayout = c.op() == Op.TRANSPOSE || c.op() == Op.CONCAT || c.op() == Op.SLICE;
    if (pLayout || cLayout) {
      return pair + "a " + (pLayout ? p : c).op().irName() + " here is a copy into a new layout; folding it into its "
          + "neighbour's indexing is not implemented (reshapes, and slices that mha reads, are views)" + shared;
    }
    if (c.op() == Op.MHA && pc == OpCategory.GEMM && viaSlice) {
      return pair + "mha reads q, k and v in place from the merged projection (the slices are views), but only once "
          + "the GEMM has written every row: each query needs all keys" + shared;
    }
    if (c.op() == Op.MHA || c.op() == Op.ATTENTION) {
      return pair + "the attention kernel reads q, k, v and the mask from memory, and needs every key before it "
          + "can finish a row; fusing their producers into it (prologue fusion) is not implemented" + shared;
    }
    if (p.op() == Op.MHA || p.op() == Op.ATTENTION) {
      return pair + "the attention kernel writes its whole output; epilogue fusion after attention is not implemented"
          + (cc == OpCategory.GEMM ? " (the projection reads whole rows, all heads)" : "") + shared;
    }
    if (pc == OpCategory.GEMM && cc == OpCategory.GEMM) {
      return pair + "two contractions are not fused: the second needs whole rows of the first" + shared;
    }
    if (cc == OpCategory.GEMM) {
      return pair + "the GEMM reads its input from memory; computing the " + p.op().irName()
          + " while it reads (prologue fusion) is not implemented" + shared;
    }
    if (pc == OpCategory.REDUCTION) {
      return pair + "the " + p.op().irName() + " kernel writes its whole output; epilogue fusion after a "
          + "normalisation is not implemented" + shared;
    }
    if (p.op().kind() == Op.Kind.GENERATOR || p.op().kind() == Op.Kind.GATHER) {
      return pair + "the " + p.op().irName() + " values are computed into a buffer; computing them inside the "
          + "consumer is not implemented" + shared;
    }
    return pair + "heed has no fusion rule for " + pc.label() + " → " + cc.label() + shared;
  }

  private static String describe(Node n) {
    return n.op() == Op.ELEMENTWISE ? "an elementwise " + n.strAttr("expr") : n.op().irName();
  }

  private static String orElse(String s, String fallback) { return s != null ? s : fallback; }
}
