package dev.heed.compiler.emit;

import java.util.Collections;
import java.util.HashSet;
import java.util.Set;
import javax.lang.model.SourceVersion;

/**
 * Turns IR names ({@code encoder.layer.0.self_attn.q}, {@code src_seq}) into readable,
 * unique Java identifiers ({@code encoderLayer0SelfAttnQ}, {@code srcSeq}).
 */
public final class JavaNames {
  private final Set<String> used = new HashSet<>();
  private final Set<String> types;

  /** Names for the jvm target's generated code, which uses {@link #TYPES} by simple name. */
  JavaNames() {
    this(TYPES);
  }

  /** Names for generated code that refers to {@code types} by simple name (see {@link #unusableIn}). */
  public JavaNames(Set<String> types) {
    this.types = types;
  }

  /** Reserves names the generated code uses itself. */
  public JavaNames reserve(String... names) {
    Collections.addAll(used, names);
    return this;
  }

  /** A fresh identifier based on {@code irName}. */
  public String allocate(String irName) {
    String base = camel(irName);
    String n = base;
    for (int i = 2; used.contains(n) || unusableIn(n, types); i++) n = base + i;
    used.add(n);
    return n;
  }

  /** Types the generated code refers to by simple name (besides java.lang's). */
  private static final Set<String> TYPES = Set.of("Tensor", "DType", "Weights", "TensorSpec", "HeedModel",
      "HeedModelFactory", "ParamSpec", "InputCheck", "Gemm", "Activations", "PackedLinear", "List", "Map",
      "LinkedHashMap", "Outputs", "Factory", "Attention", "Parallel", "Activation", "Norms", "Workspace", "Workspaces");

  /** Restricted identifiers: legal as some names, but not as all the names heed makes of them. */
  private static final Set<String> RESTRICTED = Set.of("var", "yield", "record", "sealed", "permits", "when", "module",
      "open", "exports", "requires", "to", "with", "transitive", "uses", "provides", "opens");

  /**
   * Whether {@code name} cannot be a variable, field or class name in generated code: a
   * keyword, or a name that would hide a type the code uses ({@code Math}, {@code Tensor}).
   */
  static boolean unusable(String name) {
    return unusableIn(name, TYPES);
  }

  /**
   * Whether {@code name} cannot be a name in generated code that uses {@code types} by simple
   * name: a keyword, a restricted identifier, one of those types, or a java.lang class.
   */
  public static boolean unusableIn(String name, Set<String> types) {
    return SourceVersion.isKeyword(name) || name.equals("_") || RESTRICTED.contains(name) || types.contains(name)
        || isJavaLang(name);
  }

  private static boolean isJavaLang(String name) {
    if (name.isEmpty() || !Character.isUpperCase(name.charAt(0))) return false;
    try {
      Class.forName("java.lang." + name, false, JavaNames.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /**
   * {@code text} made safe to put inside a Java comment: backslashes doubled (so no unicode
   * escape, backslash-u-000a, can end a line comment), line breaks and control characters as
   * spaces, and star-slash spelled with an HTML entity (so it cannot end a block comment).
   */
  public static String comment(String text) {
    // Line breaks include U+2028 and U+2029, at which JavaPoet starts a new line of code.
    return text.replace("\\", "\\\\").replace("*/", "*&#47;").replaceAll("[\\p{Cc}\\u2028\\u2029]", " ");
  }

  /** A Java float literal for {@code v} rounded to float: {@code 0.5f}, {@code Float.NaN}, {@code Float.NEGATIVE_INFINITY}. */
  public static String floatLiteral(double v) {
    float f = (float) v;
    if (Float.isNaN(f)) return "Float.NaN";
    if (Float.isInfinite(f)) return f > 0 ? "Float.POSITIVE_INFINITY" : "Float.NEGATIVE_INFINITY";
    return Float.toString(f) + "f";
  }

  /** {@code self_attn.q_proj} → {@code selfAttnQProj}; names starting with a digit get a 't'. */
  public static String camel(String irName) {
    StringBuilder sb = new StringBuilder();
    boolean upper = false;
    for (char c : irName.toCharArray()) {
      if (Character.isLetterOrDigit(c) && c < 128) {
        sb.append(upper && sb.length() > 0 ? Character.toUpperCase(c) : c);
        upper = false;
      } else {
        upper = true;
      }
    }
    if (sb.isEmpty() || Character.isDigit(sb.charAt(0))) sb.insert(0, 't');
    return sb.toString();
  }
}
