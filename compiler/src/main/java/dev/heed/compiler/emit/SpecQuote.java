package dev.heed.compiler.emit;

import dev.heed.compiler.ir.Loc;
import dev.heed.compiler.lower.Lowering;
import dev.heed.dsl.diag.SourceFile;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The spec lines a kernel is commented with. For each place the kernel's node comes from (a
 * fused node comes from several, see {@link Loc#merge}), the line of the user's spec: for a node
 * made inside a standard layer, the call of that layer, followed by the standard layer's line
 * that the call ran into, as {@code "  via heed/prelude.heed:22: ..."}. Each line once, in the
 * order of the places:
 *
 * <pre>
 * gpt.heed:17: return x + FeedForward(g, 4 * d_model, "gelu_tanh") as "mlp";
 *   via heed/prelude.heed:58: return Linear(h, d) as "linear2";
 * gpt.heed:30: let h = LayerNorm(x, eps) as "ln_f";
 *   via heed/prelude.heed:22: return layer_norm(x, weight, bias, eps = eps);
 * </pre>
 *
 * Every line is safe inside a Java comment ({@link JavaNames#comment}).
 */
public final class SpecQuote {
  private SpecQuote() {}

  /** The lines for {@code loc}; empty when it is unknown. */
  public static List<String> lines(Loc loc, Map<String, SourceFile> sources, String specName) {
    if (!loc.isKnown()) return List.of();
    Map<String, Set<String>> groups = new LinkedHashMap<>();
    for (Loc place : loc.places()) {
      List<Loc> chain = place.chain();
      // The innermost frame outside the standard layers; the outermost frame if there is none.
      int user = chain.size() - 1;
      for (int i = 0; i < chain.size(); i++) {
        if (!chain.get(i).file().equals(Lowering.PRELUDE_NAME)) {
          user = i;
          break;
        }
      }
      Set<String> via = groups.computeIfAbsent(line(chain.get(user), sources, specName), k -> new LinkedHashSet<>());
      if (user > 0) via.add("  via " + line(chain.get(user - 1), sources, specName));
    }
    List<String> out = new ArrayList<>();
    groups.forEach((line, via) -> {
      out.add(line);
      out.addAll(via);
    });
    return out;
  }

  /** {@link #lines} joined by newlines (a kernel's Javadoc entry, or comment lines), or null when {@code loc} is unknown. */
  public static String text(Loc loc, Map<String, SourceFile> sources, String specName) {
    List<String> lines = lines(loc, sources, specName);
    return lines.isEmpty() ? null : String.join("\n", lines);
  }

  private static String line(Loc l, Map<String, SourceFile> sources, String specName) {
    SourceFile f = sources.get(l.file());
    String text = f == null ? "" : f.line(l.line()).strip();
    String file = l.file().equals(specName) ? shortName(l.file()) : l.file();
    // Spec comments and strings may hold anything: the quote goes into Java comments.
    return JavaNames.comment(file + ":" + l.line() + ": " + text);
  }

  static String shortName(String path) {
    int slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
    return path.substring(slash + 1);
  }
}
