package dev.heed.compiler.emit.tornado;

import dev.heed.compiler.emit.JavaNames;
import dev.heed.compiler.ir.Dim;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Identifiers, literals and comment text for the tornadovm target: IR names made into Java
 * names ({@code encoder.layer.0.q} → {@code encoderLayer0Q}), dimensions into expressions,
 * spec text made inert inside comments. Mirrors the jvm emitter's rules.
 */
final class Names {
  /** Types and names the generated Tornado class uses by simple name. */
  private static final Set<String> TYPES = Set.of("Tensor", "DType", "Weights", "InputCheck", "List", "Map", "LinkedHashMap",
      "FloatArray", "IntArray", "KernelContext", "TaskGraph", "GridScheduler", "WorkerGrid", "WorkerGrid1D", "WorkerGrid2D",
      "WorkerGrid3D", "TornadoExecutionPlan", "DataTransferMode", "TornadoMath", "TornadoDevice", "TornadoRuntimeProvider",
      "AcceleratedModel", "Accelerators", "Plan", "Arrays");

  /** The identifiers given out so far: {@link JavaNames}'s rules, with this target's types. */
  private final JavaNames ids = new JavaNames(TYPES);

  /** Reserves names the generated code uses itself. */
  Names reserve(String... names) {
    ids.reserve(names);
    return this;
  }

  /** A fresh identifier based on {@code irName}. */
  String allocate(String irName) {
    return ids.allocate(irName);
  }

  static boolean unusable(String name) {
    return JavaNames.unusableIn(name, TYPES);
  }

  /** Text made safe inside a Java comment: {@link JavaNames#comment}. */
  static String comment(String text) {
    return JavaNames.comment(text);
  }

  /** {@code self_attn.q_proj} → {@code selfAttnQProj}: {@link JavaNames#camel}. */
  static String camel(String irName) {
    return JavaNames.camel(irName);
  }

  /** Local names kernels and host code use; a symbol spelled the same gets a "Dim" suffix. */
  private static final Set<String> RESERVED = Set.of("context", "a", "b", "x", "w", "bias", "res", "out", "n", "o", "i",
      "j", "k", "m", "l", "p", "q", "v", "c", "e", "s", "r", "d", "id", "ids", "in", "inner", "outer", "len", "base", "max",
      "sum", "scale", "mean", "var", "inv", "eps", "gamma", "beta", "rows", "dim", "vocab", "table", "mask", "mat", "angle",
      "lid", "gid", "row", "col", "tx", "ty", "k0", "kk", "key", "red", "acc", "scores", "kTile", "vTile", "qTile", "xTile",
      "wTile", "aTile", "bTile", "tileMax", "mNew", "corr", "total", "rest", "stride", "sq", "sk", "dv", "mx", "qOff", "kOff",
      "vOff", "outOff", "maskOff", "weights", "inputs", "outputs", "plan", "graph", "grid", "value", "wRow", "bCol", "from",
      "count", "device", "plans", "shape", "dims", "wk", "kx", "ka", "kb", "row0", "aOff", "bOff");

  /** The Java variable holding symbolic dimension {@code name}. */
  static String symVar(String name) {
    String v = camel(name);
    return RESERVED.contains(v) || v.matches("(i|in|t|x|xr|wr|acc|value)\\d+") || unusable(v) ? v + "Dim" : v;
  }

  /** Java expression for one dimension: a literal or the symbol's variable. */
  static String dim(Dim d) {
    return d instanceof Dim.Known k ? Long.toString(k.size()) : symVar(((Dim.Sym) d).name());
  }

  /** Java expression for the element count of a shape: known sizes folded into one literal. */
  static String size(List<Dim> shape) {
    long known = 1;
    List<String> parts = new ArrayList<>();
    for (Dim d : shape) {
      if (d instanceof Dim.Known k) known *= k.size();
      else parts.add(dim(d));
    }
    if (known != 1 || parts.isEmpty()) parts.add(Long.toString(known));
    return String.join(" * ", parts);
  }

  /** {@code a * b}, parenthesising sums. */
  static String times(String a, String b) {
    if (a.equals("0") || b.equals("0")) return "0";
    if (a.equals("1")) return b;
    if (b.equals("1")) return a;
    if (a.matches("\\d+") && b.matches("\\d+")) return Long.toString(Long.parseLong(a) * Long.parseLong(b));
    return paren(a) + " * " + paren(b);
  }

  /** {@code a / b}, parenthesising a compound divisor. */
  static String div(String a, String b) {
    if (b.equals("1")) return a;
    return paren(a) + " / " + (b.matches("[\\w.]+") ? b : "(" + b + ")");
  }

  /** {@code a + b}, dropping zeros. */
  static String plus(String a, String b) {
    if (a.equals("0")) return b;
    if (b.equals("0")) return a;
    return a + " + " + b;
  }

  /** {@code e} as an operand of % or /: parenthesised unless a single name or number. */
  static String atom(String e) {
    return e.matches("[\\w.]+") ? e : "(" + e + ")";
  }

  static String paren(String e) {
    return e.matches("[\\w.]+|[\\w.]+( \\* [\\w.]+)+") ? e : "(" + e + ")";
  }

  /** A Java float literal: {@link JavaNames#floatLiteral}. */
  static String floatLiteral(double v) {
    return JavaNames.floatLiteral(v);
  }

  /** {@code dimText} for kernel names: 384 → "384", seq → "Seq". */
  static String dimText(Dim d) {
    if (d instanceof Dim.Known k) return Long.toString(k.size());
    String c = camel(d.toString());
    return Character.toUpperCase(c.charAt(0)) + c.substring(1);
  }

  /** A task id made of the characters TornadoVM's names and properties take: letters, digits, '_', '.'. */
  static String taskId(String text) {
    StringBuilder sb = new StringBuilder();
    for (char c : text.toCharArray()) sb.append(c < 128 && (Character.isLetterOrDigit(c) || c == '_' || c == '.') ? c : '_');
    String s = sb.toString().replaceAll("\\.{2,}", ".").replaceAll("^\\.|\\.$", "");
    return s.isEmpty() ? "task" : s;
  }
}
