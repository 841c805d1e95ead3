package dev.heed.dsl.diag;

import java.util.List;

/** Renders diagnostics as compilers do: headline, source line, caret. */
public final class DiagnosticPrinter {
  private DiagnosticPrinter() {}

  public static String render(List<Diagnostic> diagnostics) {
    StringBuilder sb = new StringBuilder();
    for (Diagnostic d : diagnostics) {
      sb.append(d.headline()).append('\n');
      caret(sb, d.span());
      for (Diagnostic.Note n : d.notes()) {
        sb.append(n.span().where()).append(": note: ").append(n.message()).append('\n');
        caret(sb, n.span());
      }
    }
    return sb.toString();
  }

  /** Longest source line shown whole; a longer one is cut to this many characters around the column. */
  static final int WIDTH = 160;
  /** Characters kept before the column in a cut line. */
  private static final int BEFORE = 60;

  private static void caret(StringBuilder sb, Span span) {
    String full = span.file().line(span.line());
    if (full.isEmpty()) return;
    // A very long line (a minified or generated spec) is shown as a window around the column,
    // "..." marking what is cut, so that one diagnostic stays a few lines.
    int from = 0, to = full.length();
    if (full.length() > WIDTH) {
      from = Math.max(0, Math.min(span.col() - 1 - BEFORE, full.length() - WIDTH));
      to = Math.min(full.length(), from + WIDTH);
    }
    String head = from > 0 ? "..." : "";
    String line = head + full.substring(from, to) + (to < full.length() ? "..." : "");
    int col = span.col() - from + head.length(); // 1-based, in the shown line
    sb.append("    ").append(line).append('\n');
    sb.append("    ");
    for (int i = 0; i < col - 1 && i < line.length(); i++) sb.append(line.charAt(i) == '\t' ? '\t' : ' ');
    sb.append('^');
    int max = Math.max(0, Math.min(span.length(), head.length() + to - from - col + 1));
    for (int i = 1; i < max; i++) sb.append('~');
    sb.append('\n');
  }
}
