package dev.heed.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.dsl.ast.Decl;
import dev.heed.dsl.ast.Expr;
import dev.heed.dsl.ast.Spec;
import dev.heed.dsl.ast.Stmt;
import dev.heed.dsl.ast.TypePattern;
import dev.heed.dsl.diag.Diagnostic;
import dev.heed.dsl.diag.Diagnostics;
import dev.heed.dsl.diag.HeedException;
import dev.heed.dsl.diag.SourceFile;
import dev.heed.dsl.diag.Span;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Parses valid specs and checks the AST's structure and spans. */
class SpecParserTest {
  private final SourceFile file = new SourceFile("every_construct.heed", TestFiles.read("every_construct.heed"));
  private final Spec spec = SpecParser.parse(file);

  private static void assertAt(int line, int col, int length, Span span) {
    assertEquals(List.of(line, col, length), List.of(span.line(), span.col(), span.length()), "span " + span);
  }

  @Test
  void declarationsInSourceOrderPointAtTheirNames() {
    assertEquals(List.of("d_model", "layers", "scale", "Block", "Encoder"),
        spec.decls().stream().map(Decl::name).toList());
    assertAt(2, 7, 7, spec.decls().get(0).span());
    assertAt(8, 7, 5, spec.decls().get(3).span());
    assertAt(16, 7, 7, spec.decls().get(4).span());
    assertEquals(file, spec.file());
  }

  @Test
  void constants() {
    Decl.Const dModel = assertInstanceOf(Decl.Const.class, spec.decls().get(0));
    Expr.Num n = assertInstanceOf(Expr.Num.class, dModel.value());
    assertEquals(64.0, n.value());
    assertTrue(n.isInteger());
    assertEquals("64", n.text());
    assertAt(2, 17, 2, n.span());

    Decl.Const scale = assertInstanceOf(Decl.Const.class, spec.decls().get(2));
    Expr.Neg neg = assertInstanceOf(Expr.Neg.class, scale.value());
    assertAt(4, 15, 1, neg.span());
    Expr.Num eighth = assertInstanceOf(Expr.Num.class, neg.operand());
    assertEquals(0.125, eighth.value());
    assertFalse(eighth.isInteger());
  }

  @Test
  void layerArgumentsWithTypesAndDefaults() {
    Decl.Layer block = assertInstanceOf(Decl.Layer.class, spec.decls().get(3));
    List<Decl.ArgDecl> args = block.args();
    assertEquals(List.of("x", "heads", "mask", "bias"), args.stream().map(Decl.ArgDecl::name).toList());
    assertAt(8, 13, 1, args.get(0).span());

    TypePattern x = args.get(0).type().orElseThrow();
    assertEquals(Optional.of("f32"), x.dtype());
    assertAt(8, 16, 3, x.span());
    assertEquals(List.of("batch", "seq", "d"), x.dims().stream()
        .map(d -> ((Expr.Name) ((TypePattern.DimPattern.Of) d).expr()).name()).toList());
    assertEquals(Optional.empty(), args.get(0).defaultValue());

    assertEquals(Optional.empty(), args.get(1).type());
    assertEquals(4.0, ((Expr.Num) args.get(1).defaultValue().orElseThrow()).value());
    assertInstanceOf(Expr.None.class, args.get(2).defaultValue().orElseThrow());

    TypePattern bias = args.get(3).type().orElseThrow();
    assertEquals(Optional.empty(), bias.dtype());
    assertInstanceOf(TypePattern.DimPattern.Rest.class, bias.dims().get(0));
    assertAt(8, 67, 3, bias.dims().get(0).span());
  }

  @Test
  void paramsWithCheckpointNamesAndInit() {
    Decl.Layer block = (Decl.Layer) spec.decls().get(3);
    Stmt.Param w = assertInstanceOf(Stmt.Param.class, block.body().get(0));
    assertEquals("w", w.name());
    assertAt(9, 9, 1, w.span());
    assertEquals(Optional.of("ffn.weight"), w.checkpointName());
    assertEquals(Optional.of("normal"), w.init());
    Expr.Binary d4 = assertInstanceOf(Expr.Binary.class, w.shape().get(1));
    assertEquals('*', d4.op());

    Stmt.Param b = assertInstanceOf(Stmt.Param.class, block.body().get(1));
    assertEquals(Optional.empty(), b.checkpointName());
    assertEquals(Optional.of("zeros"), b.init());

    Decl.Model model = (Decl.Model) spec.decls().get(4);
    Stmt.Param embed = assertInstanceOf(Stmt.Param.class, model.body().get(1));
    assertEquals(Optional.of("embeddings.weight"), embed.checkpointName());
    assertEquals(Optional.empty(), embed.init());
  }

  @Test
  void callsWithNamedArgumentsAndScopes() {
    Decl.Layer block = (Decl.Layer) spec.decls().get(3);
    Stmt.Let let = assertInstanceOf(Stmt.Let.class, block.body().get(2));
    assertEquals("a", let.name());
    assertAt(11, 7, 1, let.span());
    Expr.Call call = assertInstanceOf(Expr.Call.class, let.value());
    assertEquals("Attention", call.callee());
    assertAt(11, 11, 9, call.span());
    assertEquals(List.of(Optional.empty(), Optional.empty(), Optional.of("mask")),
        call.args().stream().map(Expr.Arg::name).toList());
    assertAt(11, 31, 4, call.args().get(2).span());
    Expr.Str scope = call.scope().orElseThrow();
    assertEquals("attn", scope.value());
    assertAt(11, 47, 6, scope.span());
  }

  @Test
  void operatorPrecedenceAndSpans() {
    // x = a + x * w @ [1, 2.5e-1, "say \"hi\""];  parses as  a + ((x * w) @ [...])
    Decl.Layer block = (Decl.Layer) spec.decls().get(3);
    Stmt.Assign assign = assertInstanceOf(Stmt.Assign.class, block.body().get(3));
    assertAt(12, 3, 1, assign.span());
    Expr.Binary plus = assertInstanceOf(Expr.Binary.class, assign.value());
    assertEquals('+', plus.op());
    assertAt(12, 9, 1, plus.span());
    assertEquals("a", ((Expr.Name) plus.left()).name());
    Expr.Binary matmul = assertInstanceOf(Expr.Binary.class, plus.right());
    assertEquals('@', matmul.op());
    assertAt(12, 17, 1, matmul.span());
    Expr.Binary times = assertInstanceOf(Expr.Binary.class, matmul.left());
    assertEquals('*', times.op());
    assertEquals("x", ((Expr.Name) times.left()).name());
    assertEquals("w", ((Expr.Name) times.right()).name());

    Expr.ListOf list = assertInstanceOf(Expr.ListOf.class, matmul.right());
    assertAt(12, 19, 1, list.span());
    assertEquals(3, list.items().size());
    Expr.Num quarter = (Expr.Num) list.items().get(1);
    assertEquals(0.25, quarter.value());
    assertFalse(quarter.isInteger());
    assertEquals("2.5e-1", quarter.text());
    Expr.Str str = (Expr.Str) list.items().get(2);
    assertEquals("say \"hi\"", str.value());
    assertAt(12, 31, 12, str.span());

    Stmt.Return ret = assertInstanceOf(Stmt.Return.class, block.body().get(4));
    assertAt(13, 3, 6, ret.span());
    assertInstanceOf(Expr.Neg.class, ret.value());
  }

  @Test
  void modelStatements() {
    Decl.Model model = assertInstanceOf(Decl.Model.class, spec.decls().get(4));
    Stmt.Input ids = assertInstanceOf(Stmt.Input.class, model.body().get(0));
    assertEquals("ids", ids.name());
    assertAt(17, 9, 3, ids.span());
    assertEquals(Optional.of("i64"), ids.type().dtype());
    assertEquals(2, ids.type().dims().size());

    Stmt.For loop = assertInstanceOf(Stmt.For.class, model.body().get(3));
    assertEquals("i", loop.var());
    assertAt(20, 3, 3, loop.span());
    assertEquals(0.0, ((Expr.Num) loop.from()).value());
    assertEquals("layers", ((Expr.Name) loop.to()).name());
    Stmt.Assign inner = assertInstanceOf(Stmt.Assign.class, loop.body().get(0));
    Expr.Call call = (Expr.Call) inner.value();
    assertEquals("layer.{i}", call.scope().orElseThrow().value());
    assertEquals(Optional.of("heads"), call.args().get(1).name());

    Stmt.Output out = assertInstanceOf(Stmt.Output.class, model.body().get(4));
    assertEquals("hidden", out.name());
    assertAt(23, 10, 6, out.span());
    Expr.Binary times = (Expr.Binary) out.value();
    assertEquals('*', times.op());
    assertEquals('-', ((Expr.Binary) times.left()).op(), "parentheses group x - 1");
  }

  @Test
  void emptyFileHasNoDeclarations() {
    assertEquals(List.of(), SpecParser.parse(new SourceFile("empty.heed", "")).decls());
    assertEquals(List.of(), SpecParser.parse(new SourceFile("c.heed", "// nothing\n/* at all */\n")).decls());
  }

  @Test
  void crlfLineEndingsAndTabsGiveTheSameLinesAndColumns() {
    Spec s = SpecParser.parse(new SourceFile("w.heed", "model M {\r\n\tlet x = 1;\r\n}\r\n"));
    Stmt.Let let = (Stmt.Let) ((Decl.Model) s.decls().get(0)).body().get(0);
    assertAt(2, 6, 1, let.span());
  }

  @Test
  void aLeadingByteOrderMarkIsSkippedAndLineOneColumnsStayRight() {
    Spec s = SpecParser.parse(new SourceFile("b.heed", "\uFEFFmodel M { let x = 1; }\n"));
    assertAt(1, 7, 1, s.decls().get(0).span());
    HeedException e = assertThrows(HeedException.class,
        () -> SpecParser.parse(new SourceFile("b.heed", "\uFEFFmodel M { let t = $; }")));
    assertEquals(1, e.diagnostics().size());
    assertAt(1, 19, 1, e.diagnostics().get(0).span());
    assertEquals("b.heed:1:19: error: unexpected character '$'\n    model M { let t = $; }\n                      ^\n",
        e.render());
  }

  @Test
  void columnsCountCharactersAfterAnEmoji() {
    HeedException e = assertThrows(HeedException.class,
        () -> SpecParser.parse(new SourceFile("e.heed", "model M { let s = \"\uD83D\uDE00\"; let t = $; }")));
    Diagnostic d = e.diagnostics().get(0);
    assertEquals("unexpected character '$'", d.message());
    // The emoji is one code point but two Java chars; the span is in chars, as SourceFile is.
    assertEquals("model M { let s = \"\uD83D\uDE00\"; let t = ".length() + 1, d.span().col());
  }

  @Test
  void keywordsAreNotNamesButLookAlikesAre() {
    Spec s = SpecParser.parse(new SourceFile("k.heed", "const inputs = 1; const form = 2; const nonee = 3;"));
    assertEquals(List.of("inputs", "form", "nonee"), s.decls().stream().map(Decl::name).toList());
  }

  @Test
  void numbersAndStrings() {
    Spec s = SpecParser.parse(new SourceFile("n.heed",
        "const a = 007; const b = 1E+2; const c = 9007199254740992; const d = \"\\t\\\\\\n\\r\";"));
    Expr.Num a = (Expr.Num) ((Decl.Const) s.decls().get(0)).value();
    assertEquals(7.0, a.value());
    assertTrue(a.isInteger());
    Expr.Num b = (Expr.Num) ((Decl.Const) s.decls().get(1)).value();
    assertEquals(100.0, b.value());
    assertFalse(b.isInteger());
    assertEquals(9007199254740992.0, ((Expr.Num) ((Decl.Const) s.decls().get(2)).value()).value());
    assertEquals("\t\\\n\r", ((Expr.Str) ((Decl.Const) s.decls().get(3)).value()).value());
  }

  @Test
  void reportsIntoACallersCollector() {
    Diagnostics diagnostics = new Diagnostics();
    SpecParser.parse(new SourceFile("x.heed", "const a = ;"), diagnostics);
    assertEquals(1, diagnostics.errorCount());
    Spec ok = SpecParser.parse(new SourceFile("y.heed", "const b = 2;"), diagnostics);
    assertEquals("b", ok.decls().get(0).name());
    assertEquals(1, diagnostics.errorCount());
  }

  @Test
  void syntaxAndCheckErrorsAreReportedTogether() {
    HeedException e = assertThrows(HeedException.class, () -> SpecParser.parse(new SourceFile("t.heed",
        "model M {\n  input x: f16[b];\n  let y = ;\n  param w: [d] init onez;\n}\n")));
    assertEquals(List.of(
            "t.heed:2:12: error: unknown element type 'f16'; expected f32 or i64",
            "t.heed:3:11: error: unexpected ';', expecting: <expression>",
            "t.heed:4:21: error: unknown init 'onez'; expected zeros, ones, uniform or normal; did you mean 'ones'?"),
        e.diagnostics().stream().map(Diagnostic::headline).toList());
  }

  @Test
  void printsNothingToTheConsole() {
    java.io.PrintStream err = System.err;
    java.io.PrintStream out = System.out;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    java.io.PrintStream capture = new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8);
    System.setErr(capture);
    System.setOut(capture);
    try {
      assertThrows(HeedException.class,
          () -> SpecParser.parse(new SourceFile("q.heed", "model M { let x = (1 +; for ; } }} $")));
    } finally {
      System.setErr(err);
      System.setOut(out);
    }
    assertEquals("", captured.toString(java.nio.charset.StandardCharsets.UTF_8));
  }

  @Test
  void aLargeValidSpecParses() {
    StringBuilder text = new StringBuilder("model Big {\n  input x: f32[b, d];\n");
    for (int i = 0; i < 2000; i++) {
      text.append("  let v").append(i).append(" = f(x, k = [1, 2], s = \"n\") as \"l.").append(i)
          .append("\" + -x * (x - 1) @ x;\n");
    }
    text.append("  output y = x;\n}\n");
    Spec s = SpecParser.parse(new SourceFile("big.heed", text.toString()));
    assertEquals(2002, ((Decl.Model) s.decls().get(0)).body().size());
  }
}
