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
 * ANTLR's default recovery (single-token insertion and deletion, then resynchronising on
 * the follow sets of the rules in progress) with heed's own messages, which name what was
 * expected by category ({@code <expression>}, {@code <identifier>}, {@code ';'}) rather than
 * as raw token sets. Errors go straight to a {@link Diagnostics}; nothing is printed.
 *
 * <p>While ANTLR is recovering from an error (until it next matches a token) further errors
 * are not reported, and never two at one token, so one mistake gives one error.
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
  private int lastErrorToken = -1;
  private int errors;

  HeedErrorStrategy(SourceFile file, Diagnostics diagnostics, CheckedTokenSource source, Runnable afterError) {
    this.file = file;
    this.diagnostics = diagnostics;
    this.source = source;
    this.afterError = afterError;
  }

  /** How many syntax errors were reported. */
  int errors() {
    return errors;
  }

  @Override
  public void reportError(Parser parser, RecognitionException e) {
    if (inErrorRecoveryMode(parser)) return;
    beginErrorCondition(parser);
    Token offending = e.getOffendingToken();
    Token start = e instanceof NoViableAltException nva ? nva.getStartToken() : offending;
    int state = e.getOffendingState() >= 0 ? e.getOffendingState() : parser.getState();
    ParserRuleContext ctx = e.getCtx() instanceof ParserRuleContext c ? c : parser.getContext();
    report(parser, offending, state, ctx, start);
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
    if (System.getenv("HEED_DEBUG") != null) System.err.println("recoverInline at " + parser.getCurrentToken() + " inrec " + inErrorRecoveryMode(parser));
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
   * Inside a statement, skips to where the statement ends: its {@code ;}, the {@code }} that
   * closes the block it is in, or the next statement keyword (or {@code name =} starting a
   * line), not counting those inside a {@code {...}} the statement opened. Enclosing rules
   * then finish quietly (ANTLR reports nothing until a token matches again), and the next
   * statement is parsed afresh, so an error in one statement does not spill into the next.
   * Elsewhere, ANTLR's recovery.
   */
  @Override
  public void recover(Parser parser, RecognitionException e) {
    HeedParser.StmtContext stmt = enclosingStatement(parser.getContext());
    if (System.getenv("HEED_DEBUG") != null) System.err.println("recover at " + parser.getCurrentToken() + " state " + parser.getState() + " ctx " + parser.getContext().getClass().getSimpleName() + " e=" + e);
    if (stmt == null || stmt.getStart() == null) {
      super.recover(parser, e);
      return;
    }
    TokenStream in = parser.getInputStream();
    if (lastErrorIndex == in.index() && lastErrorStates != null && lastErrorStates.contains(parser.getState())
        && in.LA(1) != Token.EOF) {
      parser.consume(); // no progress since the last error here: make some, as ANTLR does
    }
    lastErrorIndex = in.index();
    if (lastErrorStates == null) lastErrorStates = new IntervalSet();
    lastErrorStates.add(parser.getState());

    int first = stmt.getStart().getTokenIndex();
    Deque<Integer> open = new ArrayDeque<>();
    for (int i = first; i < in.index(); i++) track(open, in.get(i));
    while (true) {
      Token t = in.LT(1);
      int type = t.getType();
      boolean inBraces = open.contains(HeedLexer.LBRACE);
      if (type == Token.EOF) break;
      if (!inBraces && type == HeedLexer.SEMI) {
        // Leave the ';' to the statement, unless it is the statement giving up now, or a
        // `for`, which has none; a ';' left over would end the block.
        if (parser.getContext() == stmt || stmt instanceof HeedParser.ForStmtContext) parser.consume();
        break;
      }
      if (!inBraces && type == HeedLexer.RBRACE) break;
      if (!inBraces && t.getTokenIndex() > first && isStatementKeyword(type)) break;
      if (open.isEmpty() && type == HeedLexer.ID && in.LA(2) == HeedLexer.ASSIGN && startsLine(in, t)) break;
      track(open, t);
      parser.consume();
    }
  }

  /**
   * ANTLR drops a single unexpected token when the next one fits; never a statement
   * keyword, though: it begins the next statement, and the one before it is unfinished.
   */
  @Override
  protected Token singleTokenDeletion(Parser parser) {
    if (isStatementKeyword(parser.getInputStream().LA(1))) return null;
    return super.singleTokenDeletion(parser);
  }

  private static HeedParser.StmtContext enclosingStatement(RuleContext ctx) {
    for (RuleContext c = ctx; c != null; c = c.parent) {
      if (c instanceof HeedParser.StmtContext s) return s;
    }
    return null;
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

  private static boolean isStatementKeyword(int type) {
    return STATEMENT_START.contains(type) && type != HeedLexer.ID;
  }

  private static boolean startsLine(TokenStream in, Token t) {
    Token before = previous(in, t.getTokenIndex());
    return before == null || before.getLine() < t.getLine();
  }

  private void report(Parser parser, Token offending, int state, ParserRuleContext ctx, Token start) {
    if (System.getenv("HEED_DEBUG") != null) System.err.println("report at " + offending + " last " + lastErrorToken);
    if (offending.getTokenIndex() == lastErrorToken) return;
    lastErrorToken = offending.getTokenIndex();
    TokenStream tokens = parser.getInputStream();
    Token previous = previous(tokens, offending.getTokenIndex());
    if (source.isUnterminatedString(offending) || (previous != null && source.isUnterminatedString(previous))
        || (offending.getType() == Token.EOF && source.sawUnterminatedComment())) {
      return; // a consequence of the lexical error already reported
    }
    int startIndex = Math.min(start.getTokenIndex(), offending.getTokenIndex());
    IntervalSet expected = ExpectedTokens.compute(parser, state, ctx, startIndex, offending.getTokenIndex());
    diagnostics.add(describe(tokens, offending, expected));
    errors++;
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
      return Diagnostic.error(where, "unexpected end of file, expecting: " + String.join(", ", names));
    }
    Span here = TokenSpans.of(file, offending);
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
    String message = "unexpected " + show(offending) + ", expecting: " + String.join(", ", names);
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
