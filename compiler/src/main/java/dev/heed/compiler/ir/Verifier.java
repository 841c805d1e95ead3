package dev.heed.compiler.ir;

import dev.heed.runtime.DType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks that a graph is well formed:
 * <ul>
 *   <li>every value name is defined once and is a valid IR name ({@code [A-Za-z0-9_.]+});
 *   <li>every operand is defined by an earlier node (SSA, nodes in topological order);
 *       sources ({@code input}, {@code param}, {@code constant}) have no operands;
 *   <li>every op has its required attributes, of the right kind ({@link AttrRules});
 *   <li>every node has a type; an input's is declared (dimensions known or symbolic), a param's
 *       is f32 and fully static, every other node's equals {@link ShapeRules#infer} of its operands;
 *   <li>dimension symbols are identifiers;
 *   <li>input {@code name}s are unique, and so are param checkpoint {@code name}s;
 *   <li>outputs refer to defined values, and output names are unique.
 * </ul>
 */
public final class Verifier {
  private static final Pattern VALUE_NAME = Pattern.compile("[A-Za-z0-9_.]+");
  private static final Pattern SYMBOL = Pattern.compile("[A-Za-z_][A-Za-z0-9_.]*");

  private Verifier() {}

  /** Every problem found, one sentence each, starting with the value it concerns; empty when the graph is valid. */
  public static List<String> verify(Graph g) {
    List<String> problems = new ArrayList<>();
    Map<String, Integer> position = new HashMap<>();
    for (int i = 0; i < g.nodes().size(); i++) position.putIfAbsent(g.nodes().get(i).name(), i);

    Map<String, Node> defined = new HashMap<>();
    Map<String, String> inputNames = new HashMap<>();
    Map<String, String> paramNames = new HashMap<>();
    for (int i = 0; i < g.nodes().size(); i++) {
      Node n = g.nodes().get(i);
      String where = where(n);
      if (n.name() == null || !VALUE_NAME.matcher(n.name()).matches()) {
        problems.add(where + ": '" + n.name() + "' is not a valid value name (letters, digits, '_' and '.')");
      }
      if (defined.containsKey(n.name())) problems.add(where + ": defined more than once");

      boolean operandsTyped = true;
      List<TensorType> operandTypes = new ArrayList<>();
      if (n.op().kind() == Op.Kind.SOURCE && !n.operands().isEmpty()) {
        problems.add(where + ": " + n.op().irName() + " takes no operands, got " + n.operands().size());
        operandsTyped = false; // said once is enough
      }
      for (String o : n.operands()) {
        Node def = defined.get(o);
        if (def == null) {
          Integer later = position.get(o);
          problems.add(where + ": operand %" + o
              + (later != null ? " is used before it is defined (node " + (later + 1) + ")" : " is not defined"));
          operandsTyped = false;
        } else if (def.type() == null) {
          operandsTyped = false;
        } else {
          operandTypes.add(def.type());
        }
      }

      List<String> attrProblems = AttrRules.check(n);
      for (String p : attrProblems) problems.add(where + ": " + p);

      if (n.type() == null) {
        problems.add(where + ": has no type" + (n.op().kind() == Op.Kind.SOURCE && n.op() != Op.CONSTANT
            ? " (" + n.op().irName() + " must declare one)" : " (run infer-shapes)"));
      } else {
        for (Dim d : n.type().shape()) {
          if (d instanceof Dim.Sym s && (s.name() == null || !SYMBOL.matcher(s.name()).matches())) {
            problems.add(where + ": dimension symbol '" + s.name() + "' is not an identifier");
          }
        }
        switch (n.op()) {
          case INPUT -> {}
          case PARAM -> {
            if (n.type().dtype() != DType.F32 || !n.type().isStatic()) {
              problems.add(where + ": a param must be f32 with every dimension known, got " + n.type());
            }
          }
          default -> {
            if (operandsTyped && attrProblems.isEmpty()) {
              try {
                TensorType inferred = ShapeRules.infer(n.op(), operandTypes, n.attrs());
                if (!inferred.equals(n.type())) {
                  problems.add(where + ": declared type " + n.type() + " but its operands give " + inferred);
                }
              } catch (ShapeError e) {
                problems.add(where + ": " + e.getMessage());
              }
            }
          }
        }
      }

      if (n.op() == Op.INPUT && n.attrs().get("name") instanceof Attr.Str s) {
        String prev = inputNames.putIfAbsent(s.value(), n.name());
        if (prev != null) problems.add(where + ": input name \"" + s.value() + "\" is also the name of %" + prev);
      }
      if (n.op() == Op.PARAM && n.attrs().get("name") instanceof Attr.Str s) {
        String prev = paramNames.putIfAbsent(s.value(), n.name());
        if (prev != null) problems.add(where + ": checkpoint name \"" + s.value() + "\" is also read by %" + prev);
      }
      defined.putIfAbsent(n.name(), n);
    }

    Set<String> outputNames = new HashSet<>();
    for (Graph.Output o : g.outputs()) {
      if (!outputNames.add(o.name())) problems.add("output " + o.name() + ": declared more than once");
      if (!defined.containsKey(o.value())) problems.add("output " + o.name() + ": value %" + o.value() + " is not defined");
    }
    return problems;
  }

  /** Throws {@link IrVerifyException} listing every problem, if there are any. */
  public static void verifyOrThrow(Graph g) { verifyOrThrow(g, null); }

  /** As {@link #verifyOrThrow(Graph)}; {@code context} (e.g. "after pass 'cse'") goes in the message. */
  public static void verifyOrThrow(Graph g, String context) {
    List<String> problems = verify(g);
    if (!problems.isEmpty()) throw new IrVerifyException(g.name(), context, problems);
  }

  private static String where(Node n) {
    return "%" + n.name() + (n.loc().isKnown() ? " (" + n.loc() + ")" : "");
  }
}
