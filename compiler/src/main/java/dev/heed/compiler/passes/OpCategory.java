package dev.heed.compiler.passes;

import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.ir.TensorType;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a node is to the kernel-fusion passes and to {@link KernelPlan}: which fusions it can
 * take part in. Unlike {@link Op.Kind}, which is a property of the op alone, a category is a
 * property of a node in its graph: an {@code add} of two tensors of the result's shape is
 * {@link #ELEMENTWISE}, one that stretches an operand is {@link #BROADCAST}; a {@code slice}
 * that only multi-head attention reads is a {@link #VIEW}, any other slice a copy
 * ({@link #OPAQUE}).
 *
 * <table>
 *   <caption>categories</caption>
 *   <tr><th>category</th><th>ops</th><th>fuses as</th></tr>
 *   <tr><td>SOURCE</td><td>input, param, constant</td><td>no code: arguments, weights, literals</td></tr>
 *   <tr><td>VIEW</td><td>reshape; slice whose every user is an mha</td><td>no code: the consumer reads the
 *       producer's buffer in place</td></tr>
 *   <tr><td>ELEMENTWISE</td><td>unary ops (neg, relu, gelu, …, exp, sqrt); add/sub/mul/div and
 *       {@code elementwise} whose operands all have the result's shape</td><td>chains into one
 *       {@code elementwise} loop; activations and residual adds into a GEMM's epilogue</td></tr>
 *   <tr><td>BROADCAST</td><td>add/sub/mul/div and {@code elementwise} that stretch an operand
 *       (a bias row, a mask, positions)</td><td>into {@code elementwise} loops (the stretched operand
 *       is read with stride 0)</td></tr>
 *   <tr><td>REDUCTION</td><td>softmax, layer_norm, rms_norm, add_layer_norm, add_rms_norm</td><td>an
 *       add before a norm ({@code fuse-add-norm})</td></tr>
 *   <tr><td>GEMM</td><td>linear, matmul, fused_linear</td><td>takes an epilogue (bias, activation,
 *       residual) when it is a linear</td></tr>
 *   <tr><td>OPAQUE</td><td>everything else: embedding, positions, sinusoidal, padding_mask, causal_mask,
 *       concat, transpose, a slice that is copied, attention, mha</td><td>nothing: its own kernel</td></tr>
 * </table>
 */
public enum OpCategory {
  /** input, param, constant: values that exist before any kernel runs. */
  SOURCE,
  /** reshape, and a slice read in place by multi-head attention: no kernel, no buffer. */
  VIEW,
  /** A unary op, or a binary/fused elementwise op whose operands all have the result's shape. */
  ELEMENTWISE,
  /** A binary or fused elementwise op that stretches an operand to the result's shape. */
  BROADCAST,
  /** Ops that read whole rows before writing: softmax and the norms. */
  REDUCTION,
  /** linear, matmul, fused_linear: contractions, which accept an epilogue. */
  GEMM,
  /** Everything else: gathers, generators, layout copies, attention. */
  OPAQUE;

  /** The category of {@code n}, a node of {@code g}. */
  public static OpCategory of(Graph g, Node n) {
    KernelPlan.Users users = KernelPlan.Users.of(g);
    return of(n, g.byName(), users);
  }

  /** Every node's category, by name, in node order. */
  public static Map<String, OpCategory> all(Graph g) {
    Map<String, Node> byName = g.byName();
    KernelPlan.Users users = KernelPlan.Users.of(g);
    Map<String, OpCategory> out = new LinkedHashMap<>();
    for (Node n : g.nodes()) out.put(n.name(), of(n, byName, users));
    return out;
  }

  /** The category of {@code n}, with the graph's nodes by name and its users at hand. */
  static OpCategory of(Node n, Map<String, Node> byName, KernelPlan.Users users) {
    return switch (n.op()) {
      case INPUT, PARAM, CONSTANT -> SOURCE;
      case RESHAPE -> VIEW;
      case SLICE -> KernelPlan.slicedInPlace(n, users) ? VIEW : OPAQUE;
      case NEG, RELU, GELU, GELU_TANH, TANH, SIGMOID, EXP, SQRT -> ELEMENTWISE;
      case ADD, SUB, MUL, DIV, ELEMENTWISE -> stretches(n, byName) ? BROADCAST : ELEMENTWISE;
      case SOFTMAX, LAYER_NORM, RMS_NORM, ADD_LAYER_NORM, ADD_RMS_NORM -> REDUCTION;
      case LINEAR, MATMUL, FUSED_LINEAR -> GEMM;
      case TRANSPOSE, CONCAT, EMBEDDING, POSITIONS, SINUSOIDAL, PADDING_MASK, CAUSAL_MASK, ATTENTION, MHA -> OPAQUE;
    };
  }

  /** True when some operand's shape differs from the result's (it is stretched, or the IR is untyped). */
  private static boolean stretches(Node n, Map<String, Node> byName) {
    TensorType t = n.type();
    if (t == null) return true;
    for (String o : n.operands()) {
      Node d = byName.get(o);
      if (d == null || d.type() == null || !d.type().shape().equals(t.shape())) return true;
    }
    return false;
  }

  /** {@code elementwise}, {@code gemm}, …: the name used in messages. */
  public String label() { return name().toLowerCase(); }
}
