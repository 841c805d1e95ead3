package dev.heed.compiler.emit;

import dev.heed.compiler.ir.Loc;
import dev.heed.compiler.lower.Lowering;
import dev.heed.dsl.diag.SourceFile;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The spec lines a kernel is commented with. The first is the line of the user's spec a node
 * comes from: for a node made inside a standard layer, the call of that layer. The standard
 * layers' own lines follow, from the one the spec called in to the node's own, each as
 * {@code "  via heed/prelude.heed:22: ..."}:
 *
 * <pre>
 * gpt.heed:14: let h = LayerNorm(x, eps) as "ln_1";
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
    List<Loc> chain = loc.chain();
    // The innermost frame outside the standard layers; the whole chain if there is none.
    int user = chain.size() - 1;
    for (int i = 0; i < chain.size(); i++) {
      if (!chain.get(i).file().equals(Lowering.PRELUDE_NAME)) {
        user = i;
        break;
      }
    }
    List<String> out = new ArrayList<>();
    out.add(line(chain.get(user), sources, specName));
    for (int i = user - 1; i >= 0; i--) out.add("  via " + line(chain.get(i), sources, specName));
    return out;
  }

  /** {@link #lines} on one line, or null when {@code loc} is unknown. */
  public static String oneLine(Loc loc, Map<String, SourceFile> sources, String specName) {
    List<String> lines = lines(loc, sources, specName);
    return lines.isEmpty() ? null : String.join(" ", lines.stream().map(String::strip).toList());
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
