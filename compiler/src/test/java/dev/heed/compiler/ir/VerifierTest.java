package dev.heed.compiler.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VerifierTest {
  private static List<String> problems(String body) {
    return Verifier.verify(IrParser.parse("graph G {\n" + body + "\n}\n", "v.ir"));
  }

  private static void assertProblems(String body, String... expected) {
    assertEquals(List.of(expected), problems(body));
  }

  @Test
  void validGraphsHaveNoProblems() {
    assertEquals(List.of(), Verifier.verify(TestGraphs.everyOp()));
    Verifier.verifyOrThrow(TestGraphs.everyOp());
  }

  @Test
  void operandNotDefined() {
    assertProblems("""
        %x = input {name = "x"} : f32[2]
        %y = relu(%nope) : f32[2]
        output y = %y""", "%y: operand %nope is not defined");
  }

  @Test
  void operandUsedBeforeDefinition() {
    assertProblems("""
        %x = input {name = "x"} : f32[2]
        %y = relu(%z) : f32[2]
        %z = relu(%x) : f32[2]
        output y = %y""", "%y: operand %z is used before it is defined (node 3)");
  }

  @Test
  void nameDefinedTwice() {
    assertProblems("""
        %x = input {name = "x"} : f32[2]
        %y = relu(%x) : f32[2]
        %y = exp(%x) : f32[2]
        output y = %y""", "%y: defined more than once");
  }

  @Test
  void outputsMustExistAndBeUnique() {
    assertProblems("""
        %x = input {name = "x"} : f32[2]
        output a = %x
        output a = %x
        output b = %missing""", "output a: declared more than once", "output b: value %missing is not defined");
  }

  @Test
  void everyNodeNeedsAType() {
    assertProblems("""
        %x = input {name = "x"}
        %y = relu(%x)
        output y = %y""", "%x: has no type (input must declare one)", "%y: has no type (run infer-shapes)");
  }

  @Test
  void typeMustMatchInference() {
    assertProblems("""
        %x = input {name = "x"} : f32[2, 3]
        %y = relu(%x) : f32[3, 2] loc("m.heed":2:4)
        output y = %y""", "%y (m.heed:2:4): declared type f32[3, 2] but its operands give f32[2, 3]");
  }

  @Test
  void shapeErrorsAreReported() {
    assertProblems("""
        %x = input {name = "x"} : f32[2, 3]
        %w = param {init = "normal", name = "w"} : f32[4, 5]
        %y = linear(%x, %w) : f32[2, 4]
        output y = %y""",
        "%y: linear: input f32[2, 3] has 3 features but weight f32[4, 5] expects 5 (weight is [out, in])");
  }

  @Test
  void paramMustBeStaticF32() {
    assertProblems("""
        %p = param {init = "normal", name = "p"} : f32[n, 4]
        %q = param {init = "normal", name = "q"} : i64[4]
        output p = %p""",
        "%p: a param must be f32 with every dimension known, got f32[n, 4]",
        "%q: a param must be f32 with every dimension known, got i64[4]");
  }

  @Test
  void requiredAttributes() {
    assertProblems("""
        %x = input {} : f32[2]
        %p = param {name = "p"} : f32[2]
        %k = constant {value = "one"} : f32[]
        %s = softmax(%x) : f32[2]
        %t = transpose(%x) {perm = 0} : f32[2]
        output s = %s""",
        "%x: input needs attribute 'name' (a string)",
        "%p: param needs attribute 'init' (a string)",
        "%k: constant: attribute 'value' must be a number such as 1.0E-5, got \"one\"",
        "%s: softmax needs attribute 'axis' (an integer such as -1)",
        "%t: transpose: attribute 'perm' must be an integer list such as [0, 2, 1], got 0");
  }

  @Test
  void checkpointAndInputNamesAreUnique() {
    assertProblems("""
        %a = input {name = "x"} : f32[2]
        %b = input {name = "x"} : f32[2]
        %p = param {init = "normal", name = "w"} : f32[2]
        %q = param {init = "zeros", name = "w"} : f32[2]
        output a = %a""",
        "%b: input name \"x\" is also the name of %a",
        "%q: checkpoint name \"w\" is also read by %p");
  }

  @Test
  void sourcesTakeNoOperands() {
    assertProblems("""
        %x = input {name = "x"} : f32[]
        %k = constant(%x) {value = 1.0} : f32[]
        output k = %k""", "%k: constant takes no operands, got 1");
  }

  @Test
  void namesAndSymbolsMustBeSpellable() {
    Graph g = new Graph("G", List.of(
        new Node("a b", Op.INPUT, List.of(), Map.of("name", new Attr.Str("x")), TensorType.f32(Dim.sym("1st")), Loc.UNKNOWN)),
        List.of());
    assertEquals(List.of("%a b: 'a b' is not a valid value name (letters, digits, '_' and '.')",
        "%a b: dimension symbol '1st' is not an identifier"), Verifier.verify(g));
  }

  @Test
  void verifyOrThrowListsEveryProblem() {
    Graph g = IrParser.parse("""
        graph G {
          %y = relu(%x)
          output y = %z
        }
        """, "v.ir");
    IrVerifyException e = assertThrows(IrVerifyException.class, () -> Verifier.verifyOrThrow(g, "after pass 'cse'"));
    assertEquals(3, e.problems().size());
    assertEquals("""
        invalid IR in graph G after pass 'cse': 3 problems
          %y: operand %x is not defined
          %y: has no type (run infer-shapes)
          output y: value %z is not defined""", e.getMessage());
    assertTrue(Verifier.verify(TestGraphs.everyOp()).isEmpty());
  }
}
