package dev.heed.compiler.lower;

import dev.heed.compiler.ir.Attr;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Loc;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.ir.ShapeError;
import dev.heed.compiler.ir.ShapeRules;
import dev.heed.compiler.ir.TensorType;
import dev.heed.dsl.diag.Span;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Appends typed nodes to a graph under construction. Values start anonymous and are
 * named when a {@code let} binds them ({@code encoder.layer.0.q}); the rest are numbered
 * in order when the graph is built, so the IR reads like the spec.
 */
final class GraphBuilder {
  private static final class Entry {
    String name;
    final Op op;
    final List<String> operands;
    final Map<String, Attr> attrs;
    final TensorType type;
    final Loc loc;

    Entry(String name, Op op, List<String> operands, Map<String, Attr> attrs, TensorType type, Loc loc) {
      this.name = name;
      this.op = op;
      this.operands = operands;
      this.attrs = attrs;
      this.type = type;
      this.loc = loc;
    }
  }

  private final List<Entry> entries = new ArrayList<>();
  private final Map<String, Entry> byId = new HashMap<>();
  private final Set<String> usedNames = new HashSet<>();
  private final Map<String, Integer> nextSuffix = new HashMap<>();
  private int nextId;
  /** The innermost layer call being lowered, as the {@link Loc#calledFrom} of the nodes it makes; null in the model's body. */
  private Loc caller;

  /** Adds a node whose type follows from its operands; throws ShapeError when they do not fit. */
  Val.TensorV add(Op op, List<Val.TensorV> operands, Map<String, Attr> attrs, Span span) {
    List<TensorType> types = operands.stream().map(Val.TensorV::type).toList();
    TensorType type = ShapeRules.infer(op, types, attrs);
    String tooLarge = Lowering.tooManyElements(type.shape());
    if (tooLarge != null) throw new ShapeError("the result " + type + " " + tooLarge);
    return append(op, operands.stream().map(Val.TensorV::node).toList(), attrs, type, span, null);
  }

  /** Adds an input or param, whose type is declared, under a chosen value name. */
  Val.TensorV declare(Op op, String name, Map<String, Attr> attrs, TensorType type, Span span) {
    return append(op, List.of(), attrs, type, span, unique(sanitize(name)));
  }

  private Val.TensorV append(Op op, List<String> operands, Map<String, Attr> attrs, TensorType type, Span span, String name) {
    String id = "\u0000" + nextId++;
    Entry e = new Entry(name, op, List.copyOf(operands), Map.copyOf(attrs), type, loc(span));
    entries.add(e);
    byId.put(id, e);
    if (name != null) byId.put(name, e);
    return new Val.TensorV(id, type, span);
  }

  /** Names the value {@code v} (if still anonymous) after the variable that binds it. */
  void nameIfAnonymous(Val.TensorV v, String name) {
    Entry e = byId.get(v.node());
    if (e != null && e.name == null) e.name = unique(sanitize(name));
  }

  /** The final graph: anonymous values numbered, operands renamed, outputs resolved. */
  Graph build(String graphName, List<Map.Entry<String, Val.TensorV>> outputs) {
    int counter = 0;
    for (Entry e : entries) {
      if (e.name == null) {
        String n;
        do {
          n = Integer.toString(counter++);
        } while (usedNames.contains(n));
        e.name = n;
        usedNames.add(n);
      }
    }
    List<Node> nodes = new ArrayList<>();
    for (Entry e : entries) {
      List<String> ops = e.operands.stream().map(o -> byId.get(o).name).toList();
      nodes.add(new Node(e.name, e.op, ops, e.attrs, e.type, e.loc));
    }
    List<Graph.Output> outs = new ArrayList<>();
    for (Map.Entry<String, Val.TensorV> o : outputs) outs.add(new Graph.Output(o.getKey(), byId.get(o.getValue().node()).name));
    return new Graph(graphName, nodes, outs);
  }

  private String unique(String base) {
    String n = base;
    // Resume where the last search for this base stopped: a loop rebinding one variable
    // thousands of times must not rescan x_1, x_2, ... each time.
    int i = nextSuffix.getOrDefault(base, 1);
    if (usedNames.contains(n)) {
      for (; usedNames.contains(n = base + "_" + i); i++) { }
      nextSuffix.put(base, i + 1);
    }
    usedNames.add(n);
    return n;
  }

  static String sanitize(String name) {
    StringBuilder sb = new StringBuilder();
    for (char c : name.toCharArray()) sb.append(Character.isLetterOrDigit(c) && c < 128 || c == '_' || c == '.' ? c : '_');
    return sb.isEmpty() ? "_" : sb.toString();
  }

  /** Nodes added until the matching {@link #leave} are made for the layer call at {@code callSite}. */
  void enter(Span callSite) {
    caller = new Loc(callSite.file().name(), callSite.line(), callSite.col(), caller);
  }

  /** Ends the innermost {@link #enter}. */
  void leave() {
    caller = caller.calledFrom();
  }

  private Loc loc(Span span) {
    return span == null ? Loc.UNKNOWN : new Loc(span.file().name(), span.line(), span.col(), caller);
  }
}
