package dev.heed.compiler.ir;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The attributes each op requires and their kinds, as documented on {@link Op}. Other
 * attributes are allowed (passes may annotate nodes); the verifier and shape inference check
 * these before handing a node to {@link ShapeRules}.
 */
public final class AttrRules {
  private AttrRules() {}

  /** What an attribute must hold. */
  public enum Kind {
    INT("an integer such as -1"),
    NUMBER("a number such as 1.0E-5"),
    STR("a string"),
    INTS("an integer list such as [0, 2, 1]"),
    DIMS("a shape such as dims[batch, 4]");

    private final String description;

    Kind(String description) { this.description = description; }

    public String description() { return description; }

    boolean accepts(Attr a) {
      return switch (this) {
        case INT -> a instanceof Attr.Int;
        case NUMBER -> a instanceof Attr.Int || a instanceof Attr.Float;
        case STR -> a instanceof Attr.Str;
        case INTS -> a instanceof Attr.Ints;
        case DIMS -> a instanceof Attr.Dims;
      };
    }
  }

  /** The required attributes of {@code op}, by key, in documentation order. */
  public static Map<String, Kind> required(Op op) {
    Map<String, Kind> m = new LinkedHashMap<>();
    switch (op) {
      case INPUT -> m.put("name", Kind.STR);
      case PARAM -> {
        m.put("name", Kind.STR);
        m.put("init", Kind.STR);
      }
      case CONSTANT -> m.put("value", Kind.NUMBER);
      case TRANSPOSE -> m.put("perm", Kind.INTS);
      case RESHAPE -> m.put("shape", Kind.DIMS);
      case CONCAT, SOFTMAX, POSITIONS, CAUSAL_MASK -> m.put("axis", Kind.INT);
      case LAYER_NORM, RMS_NORM, ADD_LAYER_NORM, ADD_RMS_NORM -> m.put("eps", Kind.NUMBER);
      case ATTENTION -> m.put("scale", Kind.NUMBER);
      case MHA -> {
        m.put("heads", Kind.INT);
        m.put("scale", Kind.NUMBER);
      }
      case SLICE -> {
        m.put("axis", Kind.INT);
        m.put("start", Kind.INT);
        m.put("end", Kind.INT);
      }
      case FUSED_LINEAR -> m.put("epilogue", Kind.STR);
      case ELEMENTWISE -> m.put("expr", Kind.STR);
      case SINUSOIDAL -> {
        m.put("axis", Kind.INT);
        m.put("dim", Kind.INT);
      }
      default -> {}
    }
    return m;
  }

  /** Problems with {@code n}'s attributes, e.g. {@code needs attribute 'axis' (an integer such as -1)}; empty if none. */
  public static List<String> check(Node n) {
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, Kind> e : required(n.op()).entrySet()) {
      Attr a = n.attrs().get(e.getKey());
      if (a == null) {
        problems.add(n.op().irName() + " needs attribute '" + e.getKey() + "' (" + e.getValue().description() + ")");
      } else if (!e.getValue().accepts(a)) {
        problems.add(n.op().irName() + ": attribute '" + e.getKey() + "' must be " + e.getValue().description()
            + ", got " + IrPrinter.printAttr(a));
      }
    }
    return problems;
  }
}
