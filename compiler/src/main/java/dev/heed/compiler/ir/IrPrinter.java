package dev.heed.compiler.ir;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Writes a {@link Graph} as IR text; {@link IrParser} reads it back, and
 * {@code IrParser.parse(IrPrinter.print(g))} equals {@code g}.
 *
 * <pre>
 * graph Transformer {
 *   %src = input {name = "src"} : i64[batch, src_seq]
 *   %embed = param {init = "uniform", name = "embed.weight"} : f32[1000, 64]
 *   %scale = constant {value = 8.0} : f32[]
 *   %x = embedding(%src, %embed) : f32[batch, src_seq, 64] loc("examples/seed/transformer.heed":40:11)
 *   %t = transpose(%x) {perm = [0, 2, 1]} : f32[batch, 64, src_seq]
 *   %r = reshape(%t) {shape = dims[batch, 4, 16, src_seq]} : f32[batch, 4, 16, src_seq]
 *   output logits = %x
 * }
 * </pre>
 *
 * <p>One node a line, two spaces in: {@code %name = op(%operands) {attrs} : type loc(...)}.
 * <ul>
 *   <li>Value names are {@code %} and one or more of {@code [A-Za-z0-9_.]}.
 *   <li>The parentheses are left out when a node has no operands ({@code input}, {@code param},
 *       {@code constant}); the braces when it has no attributes.
 *   <li>Attributes are sorted by key. Values:
 *       <ul>
 *         <li>{@link Attr.Int}: {@code 3}, {@code -1} (no dot, no exponent).
 *         <li>{@link Attr.Float}: {@link Double#toString(double)}, so always with a dot or an
 *             exponent: {@code 8.0}, {@code 1.0E-5}, {@code -0.0}; the non-finite values are
 *             {@code Infinity}, {@code -Infinity} and {@code NaN}.
 *         <li>{@link Attr.Str}: double-quoted with JSON escapes ({@code \"}, {@code \\},
 *             {@code \n}, {@code \t}, {@code \r}, {@code \b}, {@code \f}, {@code \u001b}).
 *         <li>{@link Attr.Ints}: {@code [0, 2, 1]}, {@code []}.
 *         <li>{@link Attr.Dims}: {@code dims[batch, 4, 16]}, {@code dims[]}. The {@code dims}
 *             prefix tells a shape from a list of integers. The parser also reads a bracketed
 *             list holding a symbol, {@code [batch, 4]}, as dims; {@code [4, 16]} is ints.
 *       </ul>
 *   <li>The type after {@code " : "} is left out when a node has none (IR before shape inference).
 *   <li>{@code loc("file":line:col)} is left out for {@link Loc#UNKNOWN}. A node made inside a
 *       layer adds the calls that led to it, innermost first:
 *       {@code loc("heed/prelude.heed":22:10 from "m.heed":14:11 from "m.heed":29:9)}. A node a
 *       fusion pass made lists the places of the nodes it replaced, separated by commas:
 *       {@code loc("m.heed":44:23, "m.heed":45:23, "m.heed":46:23)}.
 *   <li>Graph names, output names and attribute keys are printed bare when they match
 *       {@code [A-Za-z_][A-Za-z0-9_.]*}, quoted otherwise.
 *   <li>Outputs follow the nodes: {@code output name = %value}.
 * </ul>
 * The parser also skips blank lines and {@code //} comments.
 */
public final class IrPrinter {
  private static final Pattern BARE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.]*");

  private IrPrinter() {}

  /** The whole graph, ending in a newline. */
  public static String print(Graph g) {
    StringBuilder sb = new StringBuilder();
    sb.append("graph ").append(name(g.name())).append(" {\n");
    for (Node n : g.nodes()) sb.append("  ").append(printNode(n)).append('\n');
    for (Graph.Output o : g.outputs()) {
      sb.append("  output ").append(name(o.name())).append(" = %").append(o.value()).append('\n');
    }
    return sb.append("}\n").toString();
  }

  /** One node, without indent or newline: {@code %x = add(%a, %b) : f32[2, 3]}. */
  public static String printNode(Node n) {
    StringBuilder sb = new StringBuilder();
    sb.append('%').append(n.name()).append(" = ").append(n.op().irName());
    if (!n.operands().isEmpty()) {
      sb.append(n.operands().stream().map(o -> "%" + o).collect(Collectors.joining(", ", "(", ")")));
    }
    if (!n.attrs().isEmpty()) sb.append(' ').append(printAttrs(n.attrs()));
    if (n.type() != null) sb.append(" : ").append(n.type());
    if (!n.loc().equals(Loc.UNKNOWN)) {
      sb.append(" loc(");
      List<Loc> places = n.loc().places();
      for (int p = 0; p < places.size(); p++) {
        if (p > 0) sb.append(", ");
        List<Loc> chain = places.get(p).chain();
        for (int i = 0; i < chain.size(); i++) {
          Loc l = chain.get(i);
          if (i > 0) sb.append(" from ");
          sb.append(quote(l.file())).append(':').append(l.line()).append(':').append(l.col());
        }
      }
      sb.append(')');
    }
    return sb.toString();
  }

  /** {@code {axis = -1, eps = 1.0E-5}}, sorted by key. */
  public static String printAttrs(Map<String, Attr> attrs) {
    return attrs.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .map(e -> name(e.getKey()) + " = " + printAttr(e.getValue()))
        .collect(Collectors.joining(", ", "{", "}"));
  }

  /** One attribute value in IR spelling. */
  public static String printAttr(Attr a) {
    return switch (a) {
      case Attr.Int i -> Long.toString(i.value());
      case Attr.Float f -> Double.toString(f.value());
      case Attr.Str s -> quote(s.value());
      case Attr.Ints l -> join(l.values());
      case Attr.Dims d -> "dims" + join(d.dims());
    };
  }

  private static String join(List<?> items) {
    return items.stream().map(Object::toString).collect(Collectors.joining(", ", "[", "]"));
  }

  private static String name(String s) { return BARE_NAME.matcher(s).matches() ? s : quote(s); }

  /** A double-quoted string with JSON-style escapes; lone surrogates are written as {@code \}{@code uXXXX}. */
  public static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        case '\r' -> sb.append("\\r");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          boolean pairedHigh = Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
          if (pairedHigh) {
            sb.append(c).append(s.charAt(++i));
          } else if (c < 0x20 || c == 0x7f || Character.isSurrogate(c)) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }
}
