package dev.heed.compiler.emit;

import java.util.HashSet;
import java.util.Set;
import javax.lang.model.SourceVersion;

/**
 * Turns IR names ({@code encoder.layer.0.self_attn.q}, {@code src_seq}) into readable,
 * unique Java identifiers ({@code encoderLayer0SelfAttnQ}, {@code srcSeq}).
 */
final class JavaNames {
  private final Set<String> used = new HashSet<>();

  /** Reserves names the generated code uses itself. */
  JavaNames reserve(String... names) {
    used.addAll(Set.of(names));
    return this;
  }

  /** A fresh identifier based on {@code irName}. */
  String allocate(String irName) {
    String base = camel(irName);
    String n = base;
    for (int i = 2; used.contains(n) || SourceVersion.isKeyword(n); i++) n = base + i;
    used.add(n);
    return n;
  }

  /** {@code self_attn.q_proj} → {@code selfAttnQProj}; names starting with a digit get a 't'. */
  static String camel(String irName) {
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
