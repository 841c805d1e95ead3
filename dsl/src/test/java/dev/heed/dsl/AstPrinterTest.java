package dev.heed.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.heed.dsl.ast.Expr;
import dev.heed.dsl.ast.Spec;
import dev.heed.dsl.ast.Stmt;
import dev.heed.dsl.diag.SourceFile;
import org.junit.jupiter.api.Test;

class AstPrinterTest {
  @Test
  void printsEveryConstructAsTheGoldenTree() {
    Spec spec = SpecParser.parse(new SourceFile("every_construct.heed", TestFiles.read("every_construct.heed")));
    assertEquals(TestFiles.read("every_construct.ast"), AstPrinter.print(spec));
  }

  @Test
  void printingIsDeterministic() {
    SourceFile file = new SourceFile("every_construct.heed", TestFiles.read("every_construct.heed"));
    assertEquals(AstPrinter.print(SpecParser.parse(file)), AstPrinter.print(SpecParser.parse(file)));
  }

  @Test
  void emptySpecPrintsItsNameOnly() {
    assertEquals("spec empty.heed\n", AstPrinter.print(SpecParser.parse(new SourceFile("empty.heed", ""))));
  }

  @Test
  void sourceParenthesisesOnlyWherePrecedenceNeedsIt() {
    String[][] cases = {
        {"a + b * c @ d", "a + b * c @ d"},
        {"(a + b) * c", "(a + b) * c"},
        {"a - (b - c)", "a - (b - c)"},
        {"(a - b) - c", "a - b - c"},
        {"-(a + b) * -c", "-(a + b) * -c"},
        {"f(x, k = [1, 2]) as \"p.{i}\"", "f(x, k = [1, 2]) as \"p.{i}\""},
        {"\"tab\\there\"", "\"tab\\there\""},
    };
    for (String[] c : cases) {
      Spec spec = SpecParser.parse(new SourceFile("s.heed", "model M { let v = " + c[0] + "; }"));
      Expr value = ((Stmt.Let) ((dev.heed.dsl.ast.Decl.Model) spec.decls().get(0)).body().get(0)).value();
      assertEquals(c[1], AstPrinter.source(value), c[0]);
    }
  }
}
