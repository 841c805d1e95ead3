package dev.heed.dsl;

import dev.heed.dsl.diag.Diagnostics;
import dev.heed.dsl.diag.SourceFile;
import dev.heed.dsl.diag.Span;
import dev.heed.dsl.grammar.HeedLexer;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.TreeSet;
import org.antlr.v4.runtime.CharStream;
import org.antlr.v4.runtime.CommonToken;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.TokenFactory;
import org.antlr.v4.runtime.TokenSource;

/**
 * The lexer's tokens with lexical errors taken out: each malformed token is reported once
 * and replaced by a well-formed stand-in (an unterminated string by itself, closed; a
 * malformed number by {@code 0}), or dropped (stray characters, an unterminated
 * comment), so that the parser sees plausible input and does not add errors of its own.
 */
final class CheckedTokenSource implements TokenSource {
  /** The deepest nesting of brackets, parentheses and braces a spec may have. */
  static final int MAX_NESTING = 100;

  /** The longest name, in characters; generated Java identifiers are built from names. */
  static final int MAX_NAME_LENGTH = 255;

  /** The longest string literal, in characters; checkpoint names become Java string constants. */
  static final int MAX_STRING_LENGTH = 4096;

  /** The most operators ({@code + - * / @}) one statement may have. */
  static final int MAX_OPERATORS = 256;

  /**
   * Thrown after reporting input nested or chained beyond the limits above: the parser, the
   * AST builder and lowering all recurse on such input, so it stops here, before they run.
   */
  static final class TooDeep extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TooDeep() {
      super(null, null, false, false);
    }
  }

  private final HeedLexer lexer;
  private final SourceFile file;
  private final Diagnostics diagnostics;
  private final Runnable afterError;
  private Token pending;
  private final Set<Token> unterminatedStrings = Collections.newSetFromMap(new IdentityHashMap<>());
  private boolean unterminatedComment;
  private final TreeSet<Integer> strayStarts = new TreeSet<>();
  private int nesting;
  private int operators;

  CheckedTokenSource(HeedLexer lexer, SourceFile file, Diagnostics diagnostics, Runnable afterError) {
    this.lexer = lexer;
    this.file = file;
    this.diagnostics = diagnostics;
    this.afterError = afterError;
  }

  @Override
  public Token nextToken() {
    while (true) {
      Token t = next();
      switch (t.getType()) {
        case HeedLexer.ERROR_CHAR -> strayCharacters(t);
        case HeedLexer.UNTERMINATED_COMMENT -> {
          CommonToken opening = new CommonToken(t);
          opening.setStopIndex(t.getStartIndex() + 1);
          report(TokenSpans.of(file, opening), "unterminated comment; '/*' has no matching '*/'");
          unterminatedComment = true;
        }
        case HeedLexer.UNTERMINATED_STRING -> {
          report(TokenSpans.of(file, t), "unterminated string");
          Token standIn = standIn(t, HeedLexer.STRING, t.getText() + "\"");
          unterminatedStrings.add(standIn);
          return standIn;
        }
        case HeedLexer.BAD_NUMBER -> {
          String why = t.getText().matches("[0-9]+(\\.[0-9]+)?[eE][+-]?") ? ": the exponent has no digits" : "";
          report(TokenSpans.of(file, t), "malformed number '" + t.getText() + "'" + why);
          return standIn(t, HeedLexer.NUMBER, "0");
        }
        default -> {
          checkLimits(t);
          return t;
        }
      }
    }
  }

  /** Reports and stops at input nested deeper than {@link #MAX_NESTING} or chained past {@link #MAX_OPERATORS}. */
  private void checkLimits(Token t) {
    switch (t.getType()) {
      case HeedLexer.LPAREN, HeedLexer.LBRACK, HeedLexer.LBRACE -> {
        if (++nesting > MAX_NESTING) {
          diagnostics.error(TokenSpans.of(file, t), "nesting is deeper than " + MAX_NESTING
              + " levels of brackets; name intermediate results with 'let'");
          throw new TooDeep();
        }
        if (t.getType() == HeedLexer.LBRACE) operators = 0;
      }
      case HeedLexer.RPAREN, HeedLexer.RBRACK, HeedLexer.RBRACE -> {
        nesting = Math.max(0, nesting - 1);
        if (t.getType() == HeedLexer.RBRACE) operators = 0;
      }
      case HeedLexer.SEMI -> operators = 0;
      case HeedLexer.ID -> {
        if (t.getText().length() > MAX_NAME_LENGTH) {
          report(TokenSpans.of(file, t), "name is longer than " + MAX_NAME_LENGTH + " characters ("
              + t.getText().length() + ")");
        }
      }
      case HeedLexer.STRING -> {
        if (t.getText().length() - 2 > MAX_STRING_LENGTH) {
          report(TokenSpans.of(file, t), "string is longer than " + MAX_STRING_LENGTH + " characters ("
              + (t.getText().length() - 2) + ")");
        }
      }
      case HeedLexer.PLUS, HeedLexer.MINUS, HeedLexer.STAR, HeedLexer.SLASH, HeedLexer.AT -> {
        if (++operators > MAX_OPERATORS) {
          diagnostics.error(TokenSpans.of(file, t), "this statement has more than " + MAX_OPERATORS
              + " operators; split it with 'let'");
          throw new TooDeep();
        }
      }
      default -> { }
    }
  }

  /**
   * Whether {@code token} stands in for an unterminated string. The string swallowed the
   * rest of its line, so a syntax error just after it is a consequence, not news.
   */
  boolean isUnterminatedString(Token token) {
    return unterminatedStrings.contains(token);
  }

  /**
   * Whether stray characters were dropped between {@code before} (null: the start) and
   * {@code after}: a syntax error right after them is most likely their doing.
   */
  boolean strayCharactersBetween(Token before, Token after) {
    int from = before == null ? 0 : before.getStopIndex() + 1;
    int to = after.getType() == Token.EOF ? Integer.MAX_VALUE : after.getStartIndex();
    Integer stray = strayStarts.ceiling(from);
    return stray != null && stray < to;
  }

  /** Whether an unterminated comment swallowed the end of the file. */
  boolean sawUnterminatedComment() {
    return unterminatedComment;
  }

  private Token next() {
    if (pending == null) return lexer.nextToken();
    Token t = pending;
    pending = null;
    return t;
  }

  /** Reports a run of adjacent stray characters as one error. */
  private void strayCharacters(Token first) {
    Token last = first;
    StringBuilder text = new StringBuilder(first.getText());
    while (true) {
      Token t = lexer.nextToken();
      if (t.getType() == HeedLexer.ERROR_CHAR && t.getStartIndex() == last.getStopIndex() + 1
          && t.getLine() == last.getLine()) {
        text.append(t.getText());
        last = t;
      } else {
        pending = t;
        break;
      }
    }
    strayStarts.add(first.getStartIndex());
    String shown = show(text.toString());
    String what = text.codePointCount(0, text.length()) == 1 ? "character" : "characters";
    report(TokenSpans.between(file, first, last), "unexpected " + what + " " + shown);
  }

  /** {@code '$'}, or {@code U+0007} for characters that do not print. */
  private static String show(String text) {
    StringBuilder sb = new StringBuilder();
    boolean printable = text.codePoints().allMatch(cp -> !Character.isISOControl(cp)
        && Character.getType(cp) != Character.FORMAT && !Character.isWhitespace(cp));
    if (printable) return "'" + text + "'";
    text.codePoints().forEach(cp -> {
      if (!sb.isEmpty()) sb.append(' ');
      sb.append(String.format("U+%04X", cp));
    });
    return sb.toString();
  }

  private static Token standIn(Token t, int type, String text) {
    CommonToken c = new CommonToken(t);
    c.setType(type);
    c.setText(text);
    return c;
  }

  private void report(Span span, String message) {
    diagnostics.error(span, message);
    afterError.run();
  }

  @Override public int getLine() { return lexer.getLine(); }

  @Override public int getCharPositionInLine() { return lexer.getCharPositionInLine(); }

  @Override public CharStream getInputStream() { return lexer.getInputStream(); }

  @Override public String getSourceName() { return lexer.getSourceName(); }

  @Override public void setTokenFactory(TokenFactory<?> factory) { lexer.setTokenFactory(factory); }

  @Override public TokenFactory<?> getTokenFactory() { return lexer.getTokenFactory(); }
}
