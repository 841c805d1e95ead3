package dev.heed.compiler.inspect;

import dev.heed.compiler.emit.BufferPlan;
import dev.heed.compiler.ir.Dim;
import dev.heed.compiler.ir.ElementwiseExpr;
import dev.heed.compiler.ir.Epilogue;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.ir.TensorType;
import dev.heed.runtime.DType;
import dev.heed.runtime.InputCheck;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Rough costs of IR nodes for concrete sizes of the symbolic dimensions: floating-point
 * operations, bytes read and written, and the peak of live activation memory.
 *
 * <p>Counting rules: a contraction is 2·m·n·k (plus one add per output for a bias); an
 * elementwise op one operation per output element (exp, tanh and gelu included); softmax 5,
 * layer_norm 8 and rms_norm 5 per element (add_layer_norm 9, add_rms_norm 6); the fused attention
 * (and mha, per head) is its two contractions plus 5 per score (scale, mask, softmax); a
 * fused_linear is its contraction plus one per output for each epilogue step; an elementwise
 * chain its op count per element; layout, gather and generator ops none. Bytes are every
 * non-constant operand read once plus the output written once (f32 4 bytes, i64 8); a
 * reshape moves nothing.
 *
 * <p>Peak memory: {@link #peak(Graph)} walks the nodes of a graph, one buffer per node; the
 * generated code's figure is its buffer plan's ({@link #planned}).
 */
public final class Costs {
  /** The cost of one node. */
  public record Cost(long flops, long bytes) {
    /** FLOPs per byte; 0 when nothing moves. */
    public double intensity() { return bytes == 0 ? 0 : (double) flops / bytes; }
  }

  /** Peak activation memory: bytes, and the node at which it is reached. */
  public record Peak(long bytes, String atNode, List<String> liveAtPeak) {}

  private final Map<String, Long> dims;

  /** {@code dims}: a size for every symbol; a symbol not in it is 1 for {@code batch}, 128 otherwise. */
  public Costs(Map<String, Long> dims) {
    this.dims = new TreeMap<>(dims);
  }

  /** The size of one dimension. */
  public long size(Dim d) {
    if (d instanceof Dim.Known k) return k.size();
    String name = ((Dim.Sym) d).name();
    return dims.getOrDefault(name, defaultSize(name));
  }

  /** The default size of symbol {@code name}: 1 for batch, 128 for any other. */
  public static long defaultSize(String name) {
    return name.equals("batch") ? 1 : 128;
  }

  /** Elements of a tensor of type {@code t}. */
  public long elements(TensorType t) {
    long n = 1;
    for (Dim d : t.shape()) n *= size(d);
    return n;
  }

  /**
   * Empty, or a sentence naming the first value of {@code g} that these sizes make larger than a
   * Java array holds: the generated code would refuse them ({@link InputCheck#fits}, the same
   * check), and the costs would overflow.
   */
  public String oversized(Graph g) {
    for (Node n : g.nodes()) {
      if (n.type() == null) continue;
      try {
        InputCheck.fits(n.type().toString(), n.type().shape().stream().mapToLong(this::size).toArray());
      } catch (IllegalArgumentException e) {
        return "%" + n.name() + ": " + e.getMessage();
      }
    }
    return "";
  }

  /** Bytes of a tensor of type {@code t}. */
  public long bytes(TensorType t) {
    return elements(t) * (t.dtype() == DType.I64 ? 8 : 4);
  }

  /** FLOPs and bytes of node {@code n} in graph {@code g}. */
  public Cost of(Node n, Map<String, Node> byName) {
    long out = elements(n.type());
    long bytes = bytes(n.type());
    for (String o : n.operands()) {
      Node d = byName.get(o);
      if (d.op() != Op.CONSTANT) bytes += bytes(d.type());
    }
    long flops = switch (n.op()) {
      case MATMUL -> 2 * out * size(byName.get(n.operands().get(0)).type().last());
      case LINEAR -> 2 * out * size(byName.get(n.operands().get(0)).type().last()) + (n.operands().size() == 3 ? out : 0);
      case ATTENTION -> {
        TensorType q = byName.get(n.operands().get(0)).type();
        TensorType k = byName.get(n.operands().get(1)).type();
        long d = size(q.last());
        long sk = size(k.dim(k.rank() - 2));
        long rows = out / size(n.type().last());
        yield 2 * rows * sk * d + 2 * rows * sk * size(n.type().last()) + 5 * rows * sk;
      }
      case MHA -> {
        // Per head: as attention on [sq, d] × [sk, d] → [sq, dv].
        TensorType q = byName.get(n.operands().get(0)).type();
        TensorType k = byName.get(n.operands().get(1)).type();
        long sk = size(k.dim(1));
        long rows = elements(q) / size(q.last());
        long heads = n.intAttr("heads");
        yield 2 * rows * sk * size(q.last()) + 2 * rows * sk * size(n.type().last()) + 5 * rows * heads * sk;
      }
      case FUSED_LINEAR -> {
        Epilogue e = Epilogue.parse(n.strAttr("epilogue"));
        yield 2 * out * size(byName.get(n.operands().get(0)).type().last())
            + ((e.bias() ? 1 : 0) + (e.activation() != null ? 1 : 0) + (e.residual() ? 1 : 0)
                + (e.norm() == Op.LAYER_NORM ? 8 : e.norm() == Op.RMS_NORM ? 5 : 0)) * out;
      }
      case SOFTMAX -> 5 * out;
      case LAYER_NORM -> 8 * out;
      case RMS_NORM -> 5 * out;
      case ADD_LAYER_NORM -> 9 * out;
      case ADD_RMS_NORM -> 6 * out;
      case ELEMENTWISE -> ElementwiseExpr.parse(n.strAttr("expr")).opCount() * out;
      default -> n.op().kind() == Op.Kind.ELEMENTWISE ? out : 0;
    };
    if (n.op() == Op.RESHAPE) bytes = 0;
    return new Cost(flops, bytes);
  }

  /**
   * The generated code's memory for these sizes, from its buffer plan: the workspace's slots
   * (peak activation bytes), the outputs allocated per call, and what a buffer per kernel would
   * take instead.
   */
  public record Planned(long workspaceBytes, long outputBytes, long unplannedBytes, BufferPlan plan) {}

  /** {@link Planned} for graph {@code g} (after the passes). */
  public Planned planned(Graph g) {
    BufferPlan plan = BufferPlan.of(g);
    return new Planned(plan.workspaceBytes(this::symbolSize), plan.outputBytes(this::symbolSize),
        plan.unplannedBytes(this::symbolSize), plan);
  }

  /** The size of symbol {@code name}. */
  public long symbolSize(String name) {
    return dims.getOrDefault(name, defaultSize(name));
  }

  /**
   * Walks the nodes in order and sums the sizes of the buffers alive after each node: inputs
   * throughout (the caller holds them), every computed value from its node to its last use (outputs to the end).
   * A reshape is a view of its operand's buffer; params and constants are not activations.
   */
  public Peak peak(Graph g) {
    List<Node> nodes = g.nodes();
    Map<String, String> root = new HashMap<>();
    Map<String, Integer> lastUse = new HashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      Node n = nodes.get(i);
      root.put(n.name(), n.op() == Op.RESHAPE ? root.get(n.operands().get(0)) : n.name());
      for (String o : n.operands()) lastUse.put(root.get(o), i);
    }
    for (Graph.Output o : g.outputs()) lastUse.put(root.get(o.value()), nodes.size());
    long best = -1;
    String at = "";
    List<String> liveAtBest = List.of();
    for (int i = 0; i < nodes.size(); i++) {
      long live = 0;
      List<String> names = new ArrayList<>();
      for (int j = 0; j <= i; j++) {
        Node b = nodes.get(j);
        if (b.op() == Op.PARAM || b.op() == Op.CONSTANT || b.op() == Op.RESHAPE) continue;
        int last = lastUse.getOrDefault(b.name(), j);
        if (b.op() == Op.INPUT || last >= i) {
          live += bytes(b.type());
          names.add(b.name());
        }
      }
      if (live > best) {
        best = live;
        at = nodes.get(i).name();
        liveAtBest = names;
      }
    }
    return new Peak(Math.max(best, 0), at, liveAtBest);
  }
}
