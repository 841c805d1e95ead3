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

  private static void caret(StringBuilder sb, Span span) {
    String line = span.file().line(span.line());
    if (line.isEmpty()) return;
    sb.append("    ").append(line).append('\n');
    sb.append("    ");
    for (int i = 0; i < span.col() - 1 && i < line.length(); i++) sb.append(line.charAt(i) == '\t' ? '\t' : ' ');
    sb.append('^');
    int max = Math.max(0, Math.min(span.length(), line.length() - span.col() + 1));
    for (int i = 1; i < max; i++) sb.append('~');
    sb.append('\n');
  }
}
