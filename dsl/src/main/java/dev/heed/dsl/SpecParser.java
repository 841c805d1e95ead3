package dev.heed.dsl;

import dev.heed.dsl.ast.Spec;
import dev.heed.dsl.diag.Diagnostic;
import dev.heed.dsl.diag.Diagnostics;
import dev.heed.dsl.diag.HeedException;
import dev.heed.dsl.diag.SourceFile;
import dev.heed.dsl.diag.Span;
import dev.heed.dsl.grammar.HeedLexer;
import dev.heed.dsl.grammar.HeedParser;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.antlr.v4.runtime.BailErrorStrategy;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.atn.PredictionMode;
import org.antlr.v4.runtime.misc.ParseCancellationException;

/**
 * Turns the text of a {@code .heed} file into its {@link Spec}.
 *
 * <p>Parsing first runs in ANTLR's fast SLL prediction mode and bails out at the first
 * problem; only then is the input parsed again in full LL mode with error recovery, which
 * finds and reports every syntax error. Lexical errors, syntax errors and the AST builder's
 * checks are all collected, and thrown together in source order (at most
 * {@value Diagnostics#MAX_ERRORS}; after that parsing stops and a last entry says so).
 */
public final class SpecParser {
  private SpecParser() {}

  /** Parses {@code file}; throws {@link HeedException} with every diagnostic if it has errors. */
  public static Spec parse(SourceFile file) {
    Diagnostics diagnostics = new Diagnostics();
    Spec spec = parse(file, diagnostics);
    diagnostics.throwIfErrors();
    return spec;
  }

  /**
   * Parses {@code file}, adding its diagnostics to {@code diagnostics}; returns the spec,
   * which is only meaningful when no errors were added.
   */
  public static Spec parse(SourceFile file, Diagnostics diagnostics) {
    int before = diagnostics.errorCount();
    Runnable stopWhenTooMany = () -> {
      if (diagnostics.errorCount() - before > Diagnostics.MAX_ERRORS) throw new TooManyErrors();
    };
    HeedLexer lexer = new HeedLexer(CharStreams.fromString(file.text(), file.name()));
    lexer.removeErrorListeners();
    lexer.addErrorListener(new Unexpected(file, diagnostics));
    CheckedTokenSource source = new CheckedTokenSource(lexer, file, diagnostics, stopWhenTooMany);
    CommonTokenStream tokens = new CommonTokenStream(source);
    HeedParser parser = new HeedParser(tokens);
    HeedParser.SpecContext tree;
    HeedErrorStrategy strategy = new HeedErrorStrategy(file, diagnostics, source, stopWhenTooMany);
    try {
      // Fast path: SLL prediction, giving up silently at the first problem.
      parser.removeErrorListeners();
      parser.setErrorHandler(new BailErrorStrategy());
      parser.getInterpreter().setPredictionMode(PredictionMode.SLL);
      try {
        tree = parser.spec();
      } catch (ParseCancellationException e) {
        // Either a syntax error or input SLL cannot decide: parse again, fully, reporting.
        tokens.seek(0);
        parser.reset();
        parser.addErrorListener(new Unexpected(file, diagnostics));
        parser.setErrorHandler(strategy);
        parser.getInterpreter().setPredictionMode(PredictionMode.LL);
        tree = parser.spec();
      }
    } catch (TooManyErrors | CheckedTokenSource.TooDeep e) {
      return new Spec(file, List.of());
    }
    if (diagnostics.errorCount() == before) return new AstBuilder(file, diagnostics).build(tree);
    // The AST builder's checks still run, but a place that already has a lexical or syntax
    // error gets no second one (`init none` is not also an unknown init).
    Diagnostics checks = new Diagnostics();
    Spec spec;
    try {
      spec = new AstBuilder(file, checks).build(tree);
    } catch (RuntimeException e) {
      // The tree of a spec with syntax errors can lack any part; the syntax errors say enough.
      spec = new Spec(file, List.of());
    }
    Set<List<Integer>> reported = new HashSet<>();
    for (Diagnostic d : diagnostics.list()) {
      if (d.span().file() == file) reported.add(List.of(d.span().line(), d.span().col()));
    }
    for (Diagnostic d : checks.list()) {
      boolean seen = reported.contains(List.of(d.span().line(), d.span().col()));
      if (!seen && !d.message().equals(Diagnostics.TOO_MANY)) diagnostics.add(d);
    }
    return spec;
  }

  /** Thrown to stop parsing once more errors were found than will be shown. */
  private static final class TooManyErrors extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TooManyErrors() {
      super(null, null, false, false);
    }
  }

  /**
   * Replaces ANTLR's console listener. heed's error strategy and token source report every
   * error themselves, so this only turns anything ANTLR still reports into a diagnostic.
   */
  private static final class Unexpected extends BaseErrorListener {
    private final SourceFile file;
    private final Diagnostics diagnostics;

    Unexpected(SourceFile file, Diagnostics diagnostics) {
      this.file = file;
      this.diagnostics = diagnostics;
    }

    @Override
    public void syntaxError(Recognizer<?, ?> recognizer, Object offendingSymbol, int line, int col,
        String msg, RecognitionException e) {
      if (offendingSymbol instanceof Token t) {
        diagnostics.error(TokenSpans.of(file, t), msg);
      } else {
        diagnostics.error(new Span(file, line, col + 1, 1), msg);
      }
    }
  }
}
