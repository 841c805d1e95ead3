package dev.heed.dsl;

import dev.heed.dsl.diag.Diagnostic;
import dev.heed.dsl.diag.Diagnostics;
import dev.heed.dsl.diag.SourceFile;
import dev.heed.dsl.diag.Span;
import dev.heed.dsl.grammar.HeedLexer;
import dev.heed.dsl.grammar.HeedParser;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.antlr.v4.runtime.DefaultErrorStrategy;
import org.antlr.v4.runtime.NoViableAltException;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.RuleContext;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.TokenStream;
import org.antlr.v4.runtime.WritableToken;
import org.antlr.v4.runtime.misc.IntervalSet;

/**
 * heed's syntax errors: ANTLR's recovery, tuned for a statement language, with messages
 * that name what was expected the way users think of it.
 *
 * <p>Messages: {@code unexpected ';', expecting: <expression>}, listing categories
 * ({@code <statement>}, {@code <expression>}, {@code <identifier>}, {@code <number>},
 * {@code <string>}) and quoted tokens, and leaving out operators that could merely extend
 * an expression. Special cases: {@code missing ';' at end of line} (pointing just past the
 * line's last token), <code>missing '&#125;' at end of file</code> (with a note at the open
 * <code>'&#123;'</code>), {@code unmatched ')'}, and {@code 'for' is a keyword and cannot be used as a
 * name}. Expected tokens come from {@link ExpectedTokens}, not ANTLR's decision sets.
 *
 * <p>Recovery: ANTLR's single-token insertion and deletion (but no ';' made up mid-line, and
 * no statement keyword or opening bracket deleted); inside a statement, skipping to the
 * statement's end (see {@link #recover}); elsewhere ANTLR's follow-set resynchronisation.
 * Until a token matches again no further error is reported, nor a second one in the same
 * statement on the same line, nor one caused by a lexical error already reported, so one
 * mistake gives one error while mistakes in different statements are each reported. Errors go straight to a
 * {@link Diagnostics}; nothing is printed.
 */
final class HeedErrorStrategy extends DefaultErrorStrategy {
  private static final Set<Integer> EXPRESSION_START = Set.of(HeedLexer.LPAREN, HeedLexer.MINUS,
      HeedLexer.LBRACK, HeedLexer.NUMBER, HeedLexer.STRING, HeedLexer.NONE, HeedLexer.ID);
  private static final Set<Integer> STATEMENT_START = Set.of(HeedLexer.INPUT, HeedLexer.PARAM,
      HeedLexer.LET, HeedLexer.ID, HeedLexer.FOR, HeedLexer.RETURN, HeedLexer.OUTPUT);
  /** Tokens that could extend a complete expression; left out when something else would also do. */
  private static final Set<Integer> CONTINUATION = Set.of(HeedLexer.PLUS, HeedLexer.MINUS,
      HeedLexer.STAR, HeedLexer.SLASH, HeedLexer.AT, HeedLexer.LPAREN, HeedLexer.AS);

  private final SourceFile file;
  private final Diagnostics diagnostics;
  private final CheckedTokenSource source;
  private final Runnable afterError;
  /** The offending token of the last syntax error reported (or suppressed), or null. */
  private Token lastReported;

  HeedErrorStrategy(SourceFile file, Diagnostics diagnostics, CheckedTokenSource source, Runnable afterError) {
    this.file = file;
    this.diagnostics = diagnostics;
    this.source = source;
    this.afterError = afterError;
  }

  @Override
  public void reportError(Parser parser, RecognitionException e) {
    if (inErrorRecoveryMode(parser)) return;
    beginErrorCondition(parser);
    Token offending = e.getOffendingToken();
    Token start = e instanceof NoViableAltException nva ? nva.getStartToken() : offending;
    // The parser is still where the error was found (the failed match or decision); an
    // InputMismatchException may carry an older state, remembered at the last sync.
    report(parser, offending, parser.getState(), parser.getContext(), start);
  }

  @Override
  protected void reportUnwantedToken(Parser parser) {
    if (inErrorRecoveryMode(parser)) return;
    beginErrorCondition(parser);
    Token t = parser.getCurrentToken();
    report(parser, t, parser.getState(), parser.getContext(), t);
  }

  @Override
  protected void reportMissingToken(Parser parser) {
    reportUnwantedToken(parser);
  }

  /**
   * A keyword where only a name will do ({@code let for = 1;}) is reported, then read as
   * the name it was meant to be, so the rest of the statement parses normally.
   */
  @Override
  public Token recoverInline(Parser parser) throws RecognitionException {
    Token t = parser.getCurrentToken();
    if (isKeyword(t.getType()) && t instanceof WritableToken w) {
      IntervalSet expected = parser.getExpectedTokens();
      if (expected.contains(HeedLexer.ID) && !expected.contains(t.getType())) {
        if (!inErrorRecoveryMode(parser)) {
          beginErrorCondition(parser);
          report(parser, t, parser.getState(), parser.getContext(), t);
        }
        w.setType(HeedLexer.ID);
        reportMatch(parser);
        parser.consume();
        return t;
      }
    }
    return super.recoverInline(parser);
  }

  /**
   * Skips to a place where parsing can go on, so that an error does not spill over:
   * <ul>
   * <li>in a statement, to its end: its {@code ;} (for a {@code for}, past its body), the
   *     <code>&#125;</code> closing the block it is in, or the next statement keyword (or
   *     {@code name =} starting a line), none of them counted inside a
   *     <code>&#123;...&#125;</code> the statement opened;
   * <li>in a {@code const}, to its {@code ;}; in a {@code layer} or {@code model} header,
   *     past the body;
   * <li>always stopping at {@code const}, {@code layer} or {@code model}, which only begin a
   *     declaration.
   * </ul>
   * The rules still in progress then fail quietly (ANTLR reports nothing until a token
   * matches again) and parsing resumes at the next statement or declaration. Between
   * statements, ANTLR's follow-set recovery.
   */
  @Override
  public void recover(Parser parser, RecognitionException e) {
    TokenStream in = parser.getInputStream();
    ParserRuleContext place = enclosingStatementOrDeclaration(parser.getContext());
    if (place == null || place.getStart() == null) {
      if (!isDeclarationKeyword(in.LA(1))) super.recover(parser, e);
      return;
    }
    if (lastErrorIndex == in.index() && lastErrorStates != null && lastErrorStates.contains(parser.getState())
        && in.LA(1) != Token.EOF && !isDeclarationKeyword(in.LA(1))) {
      parser.consume(); // no progress since the last error here: make some, as ANTLR does
    }
    lastErrorIndex = in.index();
    if (lastErrorStates == null) lastErrorStates = new IntervalSet();
    lastErrorStates.add(parser.getState());

    int first = place.getStart().getTokenIndex();
    boolean endsWithSemicolon = place instanceof HeedParser.ConstDeclContext
        || (place instanceof HeedParser.StmtContext && !(place instanceof HeedParser.ForStmtContext));
    Deque<Integer> open = new ArrayDeque<>();
    for (int i = first; i < in.index(); i++) track(open, in.get(i));
    while (true) {
      Token t = in.LT(1);
      int type = t.getType();
      boolean inBraces = open.contains(HeedLexer.LBRACE);
      if (type == Token.EOF || isDeclarationKeyword(type)) break;
      if (place instanceof HeedParser.StmtContext) {
        if (!inBraces && type == HeedLexer.SEMI && endsWithSemicolon) {
          // Leave the ';' to the statement, unless it is the statement giving up now: a ';'
          // left over would end the block.
          if (parser.getContext() == place) parser.consume();
          break;
        }
        if (!inBraces && type == HeedLexer.RBRACE) break;
        if (!inBraces && t.getTokenIndex() > first && isStatementKeyword(type)) break;
        if (open.isEmpty() && type == HeedLexer.ID && in.LA(2) == HeedLexer.ASSIGN && startsLine(in, t)) break;
      } else if (endsWithSemicolon && !inBraces && type == HeedLexer.SEMI) {
        if (parser.getContext() == place) parser.consume();
        break;
      }
      track(open, t);
      parser.consume();
      if (!endsWithSemicolon && type == HeedLexer.RBRACE && !open.contains(HeedLexer.LBRACE)) break;
    }
  }

  /**
   * Between declarations, skips anything that does not begin one (reporting it once), so
   * that the declarations after it are still parsed; ANTLR would give up on the file.
   */
  @Override
  public void sync(Parser parser) throws RecognitionException {
    TokenStream in = parser.getInputStream();
    if (!(parser.getContext() instanceof HeedParser.SpecContext)
        || isDeclarationKeyword(in.LA(1)) || in.LA(1) == Token.EOF) {
      super.sync(parser);
      return;
    }
    if (!inErrorRecoveryMode(parser)) {
      beginErrorCondition(parser);
      Token t = parser.getCurrentToken();
      report(parser, t, parser.getState(), parser.getContext(), t);
    }
    while (!isDeclarationKeyword(in.LA(1)) && in.LA(1) != Token.EOF) parser.consume();
  }

  /**
   * The innermost statement holding {@code ctx}, else the declaration whose header holds it;
   * null between statements (in a block's list) and between declarations.
   */
  private static ParserRuleContext enclosingStatementOrDeclaration(RuleContext ctx) {
    for (RuleContext c = ctx; c != null; c = c.parent) {
      if (c instanceof HeedParser.StmtContext s) return s;
      // A block that has not even matched its '{' is still part of its statement's header.
      if (c instanceof HeedParser.BlockContext b && b.getChildCount() > 0) return null;
      if (c instanceof HeedParser.ConstDeclContext || c instanceof HeedParser.LayerDeclContext
          || c instanceof HeedParser.ModelDeclContext) {
        return (ParserRuleContext) c;
      }
    }
    return null;
  }

  /**
   * ANTLR drops a single unexpected token when the next one fits; never a statement
   * keyword, though (it begins the next statement; the one before it is unfinished), nor
   * an opening bracket (what it opens is more likely meant than the token after it).
   */
  @Override
  protected Token singleTokenDeletion(Parser parser) {
    int type = parser.getInputStream().LA(1);
    if (isStatementKeyword(type) || isOpener(type)) return null;
    return super.singleTokenDeletion(parser);
  }

  /**
   * ANTLR makes up a single missing token when the current one fits after it; not a ';'
   * in the middle of a line, though ({@code let x = a b;} is not two statements), nor an
   * opening bracket.
   */
  @Override
  protected boolean singleTokenInsertion(Parser parser) {
    Token t = parser.getCurrentToken();
    Token before = previous(parser.getInputStream(), t.getTokenIndex());
    boolean midLine = before != null && before.getLine() == t.getLine() && t.getType() != HeedLexer.RBRACE
        && !isKeyword(t.getType());
    IntervalSet expected = parser.getExpectedTokens();
    if (midLine && expected.contains(HeedLexer.SEMI)) return false;
    if (expected.contains(HeedLexer.LPAREN) || expected.contains(HeedLexer.LBRACK)
        || expected.contains(HeedLexer.LBRACE)) {
      return false; // a made-up bracket would make what follows parse as something it is not
    }
    return super.singleTokenInsertion(parser);
  }

  /** Updates the stack of open brackets for token {@code t}. */
  private static void track(Deque<Integer> open, Token t) {
    int type = t.getType();
    if (isOpener(type)) {
      open.push(type);
    } else if (isCloser(type) && open.stream().anyMatch(o -> closer(o) == type)) {
      while (closer(open.pop()) != type) {
        // drop brackets left open inside it
      }
    }
  }

  /**
   * Whether a ';', '{' or '}' lies from {@code from} (inclusive) up to {@code to}: whether
   * {@code to} is in another statement than {@code from}.
   */
  private static boolean boundaryBetween(TokenStream tokens, Token from, Token to) {
    for (int i = from.getTokenIndex(); i < to.getTokenIndex(); i++) {
      int type = tokens.get(i).getType();
      if (type == HeedLexer.SEMI || type == HeedLexer.LBRACE || type == HeedLexer.RBRACE) return true;
    }
    return false;
  }

  private static boolean isDeclarationKeyword(int type) {
    return type == HeedLexer.CONST || type == HeedLexer.LAYER || type == HeedLexer.MODEL;
  }

  private static boolean isStatementKeyword(int type) {
    return STATEMENT_START.contains(type) && type != HeedLexer.ID;
  }

  private static boolean startsLine(TokenStream in, Token t) {
    Token before = previous(in, t.getTokenIndex());
    return before == null || before.getLine() < t.getLine();
  }

  private void report(Parser parser, Token offending, int state, ParserRuleContext ctx, Token start) {
    TokenStream tokens = parser.getInputStream();
    if (lastReported != null && (offending.getTokenIndex() == lastReported.getTokenIndex()
        || (offending.getLine() == lastReported.getLine() && !boundaryBetween(tokens, lastReported, offending)))) {
      return; // most likely a consequence of the error just reported
    }
    lastReported = offending;
    Token previous = previous(tokens, offending.getTokenIndex());
    if (source.isUnterminatedString(offending) || (previous != null && source.isUnterminatedString(previous))
        || (offending.getType() == Token.EOF && source.sawUnterminatedComment())
        || source.strayCharactersBetween(previous, offending)) {
      return; // a consequence of the lexical error already reported
    }
    int startIndex = Math.min(start.getTokenIndex(), offending.getTokenIndex());
    IntervalSet expected = ExpectedTokens.compute(parser, state, ctx, startIndex, offending.getTokenIndex());
    diagnostics.add(describe(tokens, offending, expected));
    afterError.run();
  }

  private Diagnostic describe(TokenStream tokens, Token offending, IntervalSet expectedSet) {
    Set<Integer> expected = new TreeSet<>(expectedSet.toList());
    Token previous = previous(tokens, offending.getTokenIndex());
    Token opener = unclosedOpener(tokens, offending.getTokenIndex());
    int type = offending.getType();
    List<String> names = names(expected);

    if (type == Token.EOF) {
      Span where = previous != null ? TokenSpans.after(file, previous) : TokenSpans.of(file, offending);
      if (opener != null && expected.contains(closer(opener.getType()))) {
        return Diagnostic.error(where, "missing '" + closerText(opener.getType()) + "' at end of file",
            new Diagnostic.Note(TokenSpans.of(file, opener), "to match this '" + opener.getText() + "'"));
      }
      if (names.size() == 1 && names.get(0).startsWith("'")) {
        return Diagnostic.error(where, "missing " + names.get(0) + " at end of file");
      }
      return Diagnostic.error(where, "unexpected end of file"
          + (names.isEmpty() ? "" : ", expecting: " + String.join(", ", names)));
    }
    Span here = TokenSpans.of(file, offending);
    if (isDeclarationKeyword(type) && opener != null && expected.contains(closer(opener.getType()))) {
      return Diagnostic.error(here, "missing '" + closerText(opener.getType()) + "' before " + show(offending),
          new Diagnostic.Note(TokenSpans.of(file, opener), "to match this '" + opener.getText() + "'"));
    }
    if (isKeyword(type) && expected.contains(HeedLexer.ID) && !expected.contains(type)
        && !expected.containsAll(EXPRESSION_START)) {
      return Diagnostic.error(here, "'" + offending.getText() + "' is a keyword and cannot be used as a name");
    }
    if (isCloser(type) && !hasOpener(tokens, offending.getTokenIndex(), type)) {
      return Diagnostic.error(here, "unmatched '" + offending.getText() + "'");
    }
    if (expected.contains(HeedLexer.SEMI) && previous != null && offending.getLine() > previous.getLine()) {
      return Diagnostic.error(TokenSpans.after(file, previous), "missing ';' at end of line");
    }
    String message = "unexpected " + show(offending)
        + (names.isEmpty() ? "" : ", expecting: " + String.join(", ", names));
    if (opener != null && expected.contains(closer(opener.getType())) && opener.getLine() < offending.getLine()) {
      return Diagnostic.error(here, message,
          new Diagnostic.Note(TokenSpans.of(file, opener), "to match this '" + opener.getText() + "'"));
    }
    return Diagnostic.error(here, message);
  }

  /** Expected tokens as the names users know, by category where a whole category fits. */
  private static List<String> names(Set<Integer> expected) {
    Set<Integer> rest = new TreeSet<>(expected);
    List<String> names = new ArrayList<>();
    if (rest.containsAll(STATEMENT_START)) {
      names.add("<statement>");
      rest.removeAll(STATEMENT_START);
    }
    if (expected.containsAll(EXPRESSION_START)) {
      names.add("<expression>");
      rest.removeAll(EXPRESSION_START);
    }
    Set<Integer> withoutContinuations = new TreeSet<>(rest);
    withoutContinuations.removeAll(CONTINUATION);
    if (!withoutContinuations.isEmpty() || !names.isEmpty()) rest = withoutContinuations;
    if (rest.size() + names.size() > 1) rest.remove(Token.EOF);
    for (int t : rest) names.add(name(t));
    return names;
  }

  private static String name(int type) {
    return switch (type) {
      case Token.EOF -> "<end of file>";
      case HeedLexer.ID -> "<identifier>";
      case HeedLexer.NUMBER -> "<number>";
      case HeedLexer.STRING -> "<string>";
      default -> {
        String literal = HeedLexer.VOCABULARY.getLiteralName(type);
        yield literal != null ? literal : HeedLexer.VOCABULARY.getDisplayName(type);
      }
    };
  }

  /** How the offending token reads in a message: {@code ';'}, {@code keyword 'for'}, {@code string "a"}. */
  private static String show(Token t) {
    String text = t.getText();
    if (text.length() > 24) text = text.substring(0, 21) + "...";
    if (isKeyword(t.getType())) return "keyword '" + text + "'";
    if (t.getType() == HeedLexer.STRING) return "string " + text;
    return "'" + text + "'";
  }

  private static boolean isKeyword(int type) {
    String literal = HeedLexer.VOCABULARY.getLiteralName(type);
    return literal != null && literal.matches("'[a-z]+'");
  }

  private static boolean isOpener(int type) {
    return type == HeedLexer.LPAREN || type == HeedLexer.LBRACK || type == HeedLexer.LBRACE;
  }

  private static boolean isCloser(int type) {
    return type == HeedLexer.RPAREN || type == HeedLexer.RBRACK || type == HeedLexer.RBRACE;
  }

  private static int closer(int opener) {
    return switch (opener) {
      case HeedLexer.LPAREN -> HeedLexer.RPAREN;
      case HeedLexer.LBRACK -> HeedLexer.RBRACK;
      default -> HeedLexer.RBRACE;
    };
  }

  private static String closerText(int opener) {
    return name(closer(opener)).replace("'", "");
  }

  /** The default-channel token before index {@code index}, or null. */
  private static Token previous(TokenStream tokens, int index) {
    for (int i = index - 1; i >= 0; i--) {
      Token t = tokens.get(i);
      if (t.getChannel() == Token.DEFAULT_CHANNEL) return t;
    }
    return null;
  }

  /** The brackets still open before token {@code index}, innermost last. */
  private static Deque<Token> openBrackets(TokenStream tokens, int index) {
    Deque<Token> open = new ArrayDeque<>();
    for (int i = 0; i < index; i++) {
      Token t = tokens.get(i);
      if (t.getChannel() != Token.DEFAULT_CHANNEL) continue;
      if (isOpener(t.getType())) {
        open.push(t);
      } else if (isCloser(t.getType()) && open.stream().anyMatch(o -> closer(o.getType()) == t.getType())) {
        // Pop to the matching opener; an unmatched closer changes nothing.
        while (closer(open.pop().getType()) != t.getType()) {
          // drop openers left unclosed inside it
        }
      }
    }
    return open;
  }

  private static Token unclosedOpener(TokenStream tokens, int index) {
    return openBrackets(tokens, index).peek();
  }

  private static boolean hasOpener(TokenStream tokens, int index, int closerType) {
    return openBrackets(tokens, index).stream().anyMatch(o -> closer(o.getType()) == closerType);
  }
}
