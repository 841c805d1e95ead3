package dev.heed.compiler.inspect;

import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The edges between two kernels of the final graph, each with why heed keeps the two sides
 * apart. The only fusion heed does today is {@code fuse-attention} (the chain
 * transpose → matmul → scale → mask → softmax → matmul); the reasons say which rule would
 * be needed for any other pair, and for an attention chain left unfused, why the pass
 * declined it.
 */
public final class FusionBoundaries {
  /** An edge from the kernel computing {@code producer} to the one computing {@code consumer}. */
  public record Boundary(String producer, String producerKernel, String consumer, String consumerKernel, String viaView,
      String reason) {}

  private FusionBoundaries() {}

  /**
   * Every kernel-to-kernel edge of {@code g}, in node order.
   *
   * @param kernels kernel method by node name ({@code KernelNames.of})
   * @param declined the reasons fuse-attention gave for candidates it did not fuse (its
   *     {@code not fused: ...} statistics, without the prefix)
   */
  public static List<Boundary> of(Graph g, Map<String, String> kernels, List<String> declined) {
    Map<String, Node> byName = g.byName();
    Map<String, Integer> uses = new HashMap<>();
    for (Node n : g.nodes()) for (String o : n.operands()) uses.merge(o, 1, Integer::sum);
    for (Graph.Output o : g.outputs()) uses.merge(o.value(), 1, Integer::sum);
    List<Boundary> out = new ArrayList<>();
    for (Node c : g.nodes()) {
      if (!kernels.containsKey(c.name())) continue;
      for (String o : c.operands()) {
        Node p = byName.get(o);
        String view = null;
        while (p.op() == Op.RESHAPE) {
          view = view == null ? p.name() : view;
          p = byName.get(p.operands().get(0));
        }
        if (!kernels.containsKey(p.name())) continue;
        out.add(new Boundary(p.name(), kernels.get(p.name()), c.name(), kernels.get(c.name()), view,
            reason(p, c, uses, declined)));
      }
    }
    return out;
  }

  static String reason(Node p, Node c, Map<String, Integer> uses, List<String> declined) {
    String pair = p.op().irName() + " → " + c.op().irName() + ": ";
    int users = uses.getOrDefault(p.name(), 0);
    String shared = users > 1 ? " (and %" + p.name() + " has " + users + " users, so it is materialised anyway)" : "";
    Op.Kind pk = p.op().kind(), ck = c.op().kind();
    if (p.op() == Op.SOFTMAX && c.op() == Op.MATMUL) {
      if (users > 1) return pair + "the softmax has another user, so fuse-attention keeps the scores";
      return pair + "fuse-attention declined this chain"
          + (declined.isEmpty() ? "" : " (" + String.join("; ", declined) + ")");
    }
    if (ck == Op.Kind.FUSED) {
      return pair + "the attention kernel reads q, k, v and the mask from memory; fusing their producers into it "
          + "(prologue fusion) is not implemented" + shared;
    }
    if (pk == Op.Kind.FUSED) {
      return pair + "the attention kernel writes its whole output; epilogue fusion after attention is not implemented"
          + shared;
    }
    if (pk == Op.Kind.GEMM && ck == Op.Kind.ELEMENTWISE) {
      return pair + "epilogue fusion (a GEMM followed by elementwise ops) is not implemented yet"
          + (p.op() == Op.LINEAR ? "; only linear's own bias is added inside the GEMM" : "") + shared;
    }
    if (pk == Op.Kind.GEMM && ck == Op.Kind.GEMM) {
      return pair + "two contractions are fused only as part of the attention chain" + shared;
    }
    if (ck == Op.Kind.GEMM && pk == Op.Kind.ELEMENTWISE) {
      return pair + "prologue fusion (computing an elementwise op while a GEMM reads its input) is not implemented"
          + shared;
    }
    if (pk == Op.Kind.ELEMENTWISE && ck == Op.Kind.ELEMENTWISE) {
      return pair + "elementwise chains are not fused yet: each op is its own loop" + shared;
    }
    if (pk == Op.Kind.LAYOUT || ck == Op.Kind.LAYOUT) {
      return pair + "a " + (pk == Op.Kind.LAYOUT ? p : c).op().irName()
          + " is a copy into a new layout; folding it into its neighbour's indexing is not implemented"
          + " (only reshape is free: a view)" + shared;
    }
    if (ck == Op.Kind.REDUCTION) {
      return pair + "normalisations (" + c.op().irName() + ") read a finished input row; producer fusion into them "
          + "is not implemented" + shared;
    }
    if (pk == Op.Kind.REDUCTION) {
      return pair + "the " + p.op().irName() + " kernel writes its whole output; epilogue fusion is not implemented" + shared;
    }
    if (pk == Op.Kind.GENERATOR || pk == Op.Kind.GATHER) {
      return pair + "the " + p.op().irName() + " values are computed once into a buffer; computing them inside the "
          + "consumer is not implemented" + shared;
    }
    return pair + "heed has no fusion rule for " + pk.name().toLowerCase() + " → " + ck.name().toLowerCase()
        + " (fuse-attention is the only fusion pass)" + shared;
  }
}
