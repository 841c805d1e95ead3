package dev.heed.dsl;

import dev.heed.dsl.diag.SourceFile;
import dev.heed.dsl.diag.Span;
import org.antlr.v4.runtime.Token;

/**
 * Spans of ANTLR tokens. ANTLR counts columns and lengths in code points while
 * {@link SourceFile} lines are Java strings, so the two differ after a character outside
 * the Basic Multilingual Plane; this converts.
 */
final class TokenSpans {
  private TokenSpans() {}

  /** The span of {@code token}: its line, column and length (at least 1). */
  static Span of(SourceFile file, Token token) {
    int cpLength = token.getStopIndex() - token.getStartIndex() + 1;
    return at(file, token.getLine(), token.getCharPositionInLine(), Math.max(1, cpLength));
  }

  /** The span from the start of {@code first} to the end of {@code last}, both on one line. */
  static Span between(SourceFile file, Token first, Token last) {
    int cpLength = last.getStopIndex() - first.getStartIndex() + 1;
    return at(file, first.getLine(), first.getCharPositionInLine(), Math.max(1, cpLength));
  }

  /** The one-character span just after {@code token}, where something missing belongs. */
  static Span after(SourceFile file, Token token) {
    int cpLength = Math.max(0, token.getStopIndex() - token.getStartIndex() + 1);
    return at(file, token.getLine(), token.getCharPositionInLine() + cpLength, 1);
  }

  private static Span at(SourceFile file, int line, int cpColumn, int cpLength) {
    String text = file.line(line);
    int col = advance(text, 0, Math.max(0, cpColumn));
    int end = advance(text, col, cpLength);
    return new Span(file, line, col + 1, end - col);
  }

  /** The char index {@code codePoints} code points after char index {@code from}. */
  private static int advance(String text, int from, int codePoints) {
    int i = from;
    for (int n = 0; n < codePoints; n++) {
      if (i < text.length() && Character.isHighSurrogate(text.charAt(i)) && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i += 2;
      } else {
        i++;
      }
    }
    return i;
  }
}
