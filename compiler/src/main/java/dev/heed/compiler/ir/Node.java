package dev.heed.compiler.ir;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One SSA value and the op that defines it: {@code %name = op(%a, %b) {attrs} : type loc(...)}.
 * {@code type} is null only in IR text read before shape inference has run.
 */
public record Node(String name, Op op, List<String> operands, SortedMap<String, Attr> attrs, TensorType type, Loc loc) {
  public Node {
    operands = List.copyOf(operands);
    attrs = Collections.unmodifiableSortedMap(new TreeMap<>(attrs));
  }

  public Node(String name, Op op, List<String> operands, Map<String, Attr> attrs, TensorType type, Loc loc) {
    this(name, op, operands, new TreeMap<>(attrs), type, loc);
  }

  public Node withType(TensorType t) { return new Node(name, op, operands, attrs, t, loc); }

  public Node withOperands(List<String> ops) { return new Node(name, op, ops, attrs, type, loc); }

  public Node withName(String n) { return new Node(n, op, operands, attrs, type, loc); }

  public long intAttr(String key) { return ((Attr.Int) required(key)).value(); }

  public double floatAttr(String key) {
    Attr a = required(key);
    return a instanceof Attr.Int i ? i.value() : ((Attr.Float) a).value();
  }

  public String strAttr(String key) { return ((Attr.Str) required(key)).value(); }

  public List<Long> intsAttr(String key) { return ((Attr.Ints) required(key)).values(); }

  public List<Dim> dimsAttr(String key) { return ((Attr.Dims) required(key)).dims(); }

  private Attr required(String key) {
    Attr a = attrs.get(key);
    if (a == null) throw new IllegalStateException("%" + name + " (" + op.irName() + ") has no attribute '" + key + "'");
    return a;
  }
}
