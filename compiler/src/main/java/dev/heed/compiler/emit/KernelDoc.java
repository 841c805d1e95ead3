package dev.heed.compiler.emit;

import dev.heed.compiler.ir.Attr;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * The first sentence of a generated kernel's javadoc, the same on every target: what the kernel
 * computes, in the IR's terms, e.g.
 * {@code out[batch, seq, 64] = linear([batch, seq, 64], [64, 64], [64]) {epilogue = bias}.}
 */
public final class KernelDoc {
  private KernelDoc() {}

  /**
   * The sentence for node {@code n}, whose result is {@code out} and whose operands are
   * {@code in}; {@code constants.get(i)}, where not null, is operand i's value (a scalar
   * constant, written as a literal instead of its type).
   */
  public static String describe(Node n, TensorType out, List<TensorType> in, List<Double> constants) {
    StringBuilder sb = new StringBuilder("out").append(bracket(out)).append(" = ").append(n.op().irName()).append('(');
    for (int i = 0; i < in.size(); i++) {
      sb.append(i == 0 ? "" : ", ");
      if (constants.get(i) != null) sb.append(JavaNames.floatLiteral(constants.get(i)));
      else sb.append(bracket(in.get(i)));
    }
    sb.append(')');
    if (!n.attrs().isEmpty()) sb.append(' ').append(JavaNames.comment(attrText(n)));
    return sb.append(".\n").toString();
  }

  /** The node's attributes as the kernel docs spell them: {@code {heads = 12, scale = 0.125}}. */
  public static String attrText(Node n) {
    List<String> parts = new ArrayList<>();
    n.attrs().forEach((k, v) -> parts.add(k + " = " + switch (v) {
      case Attr.Int i -> Long.toString(i.value());
      case Attr.Float f -> Double.toString(f.value());
      case Attr.Str st -> st.value();
      case Attr.Ints is -> is.values().toString();
      case Attr.Dims ds -> ds.dims().toString();
    }));
    return "{" + String.join(", ", parts) + "}";
  }

  /** {@code [batch, seq, 64]}: the type's shape without its element type. */
  public static String bracket(TensorType t) {
    return t.toString().substring(t.dtype().irName().length());
  }
}
