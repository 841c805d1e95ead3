package dev.heed.compiler.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** print∘parse is the identity on printed IR, and parse∘print the identity on graphs. */
class IrRoundTripTest {

  /** Every graph in every .ir file under the test resources (inputs and expected outputs of each case). */
  @TestFactory
  Stream<DynamicTest> everyIrFileRoundTrips() {
    List<Path> files = IrTestFiles.irFiles("");
    assertFalse(files.isEmpty());
    return files.stream().flatMap(f -> IrTestFiles.cases(f).stream().flatMap(c -> {
      Stream<DynamicTest> in = Stream.of(DynamicTest.dynamicTest(c.displayName() + " [input]",
          () -> assertRoundTrips(IrParser.parse(c.input(), c.sourceName()))));
      Stream<DynamicTest> out = c.expected() == null ? Stream.empty()
          : Stream.of(DynamicTest.dynamicTest(c.displayName() + " [expected]", () -> {
            Graph g = IrParser.parse(c.expected(), c.sourceName());
            assertRoundTrips(g);
            assertEquals(c.expected(), IrPrinter.print(g), "expected IR must be in printed form");
          }));
      return Stream.concat(in, out);
    }));
  }

  static void assertRoundTrips(Graph g) {
    String text = IrPrinter.print(g);
    Graph back = IrParser.parse(text, "printed");
    assertEquals(g, back, "parse(print(g)) must equal g");
    assertEquals(text, IrPrinter.print(back), "print(parse(print(g))) must equal print(g)");
  }

  /** every_op.ir holds the ops other tools know (it is exported to ONNX), fused_ops.ir the rest. */
  @Test
  void everyOpGraphUsesEveryOpAndRoundTrips() {
    Graph g = TestGraphs.everyOp(), f = TestGraphs.fusedOps();
    Set<Op> used = g.nodes().stream().map(Node::op).collect(Collectors.toCollection(() -> EnumSet.noneOf(Op.class)));
    f.nodes().forEach(n -> used.add(n.op()));
    assertEquals(EnumSet.allOf(Op.class), used);
    assertRoundTrips(g);
    assertRoundTrips(f);
    assertEquals(java.util.List.of(), Verifier.verify(f));
  }

  /** A graph built in Java with every op and odd attribute values: non-finite floats, escapes, empty lists, quoted names. */
  @Test
  void oddValuesRoundTrip() {
    Loc loc = new Loc("dir with space/\"q\".heed", 12, 1, new Loc("m.heed", 3, 9, new Loc("", 1, 1)));
    List<Node> nodes = new java.util.ArrayList<>();
    int i = 0;
    for (Op op : Op.values()) {
      Map<String, Attr> attrs = Map.of(
          "i", new Attr.Int(Long.MIN_VALUE),
          "f", new Attr.Float(i % 2 == 0 ? Double.NaN : Double.NEGATIVE_INFINITY),
          "g", new Attr.Float(i % 2 == 0 ? -0.0 : Double.MIN_VALUE),
          "h", new Attr.Float(Double.POSITIVE_INFINITY),
          "s", new Attr.Str("tab\t nl\n quote\" back\\ nul\u0000 del\u007f é 😀 lone\ud800"),
          "ints", new Attr.Ints(i % 2 == 0 ? List.of() : List.of(-1L, 0L, Long.MAX_VALUE)),
          "dims", new Attr.Dims(i % 2 == 0 ? List.of() : List.of(Dim.of(4), Dim.of(16))),
          "dims2", new Attr.Dims(List.of(Dim.sym("batch"), Dim.of(0), Dim.sym("s.q_1"))),
          "quoted key", new Attr.Int(i));
      List<String> operands = i == 0 ? List.of() : List.of("v" + (i - 1), "v.0_" + i % 3);
      TensorType type = i % 3 == 0 ? null : new TensorType(i % 2 == 0 ? dev.heed.runtime.DType.I64 : dev.heed.runtime.DType.F32,
          List.of(Dim.sym("batch"), Dim.of(1), Dim.of(1L << 40)));
      nodes.add(new Node(i % 3 == 0 ? "v." + i : "v" + i, op, operands, attrs, type,
          i % 4 == 0 ? loc : i % 4 == 2 ? Loc.merge(loc, new Loc("p.heed", 7, 2, new Loc("m.heed", 1, 1))) : Loc.UNKNOWN));
      i++;
    }
    nodes.add(new Node("scalar", Op.CONSTANT, List.of(), Map.of(), TensorType.f32(), new Loc("", 0, 0)));
    Graph g = new Graph("odd graph \"name\"", nodes, List.of(new Graph.Output("out put", "v1"), new Graph.Output("plain", "v2")));
    assertRoundTrips(g);
    assertRoundTrips(new Graph("Empty", List.of(), List.of()));
  }

  @Test
  void printedFormIsAsDocumented() {
    Graph g = new Graph("Transformer", List.of(
        new Node("src", Op.INPUT, List.of(), Map.of("name", new Attr.Str("src")),
            TensorType.i64(Dim.sym("batch"), Dim.sym("src_seq")), Loc.UNKNOWN),
        new Node("embed", Op.PARAM, List.of(), Map.of("name", new Attr.Str("embed.weight"), "init", new Attr.Str("uniform")),
            TensorType.f32(Dim.of(1000), Dim.of(64)), Loc.UNKNOWN),
        new Node("scale", Op.CONSTANT, List.of(), Map.of("value", new Attr.Float(8.0)), TensorType.f32(), Loc.UNKNOWN),
        new Node("x", Op.EMBEDDING, List.of("src", "embed"), Map.of(),
            TensorType.f32(Dim.sym("batch"), Dim.sym("src_seq"), Dim.of(64)), new Loc("examples/seed/transformer.heed", 40, 11)),
        new Node("t", Op.TRANSPOSE, List.of("x"), Map.of("perm", new Attr.Ints(List.of(0L, 2L, 1L))),
            TensorType.f32(Dim.sym("batch"), Dim.of(64), Dim.sym("src_seq")), Loc.UNKNOWN),
        new Node("r", Op.RESHAPE, List.of("t"),
            Map.of("shape", new Attr.Dims(List.of(Dim.sym("batch"), Dim.of(4), Dim.of(16), Dim.sym("src_seq")))),
            TensorType.f32(Dim.sym("batch"), Dim.of(4), Dim.of(16), Dim.sym("src_seq")), Loc.UNKNOWN),
        new Node("n", Op.LAYER_NORM, List.of("x", "g", "b"), Map.of("eps", new Attr.Float(1e-5)), null, Loc.UNKNOWN)),
        List.of(new Graph.Output("logits", "x")));
    assertEquals("""
        graph Transformer {
          %src = input {name = "src"} : i64[batch, src_seq]
          %embed = param {init = "uniform", name = "embed.weight"} : f32[1000, 64]
          %scale = constant {value = 8.0} : f32[]
          %x = embedding(%src, %embed) : f32[batch, src_seq, 64] loc("examples/seed/transformer.heed":40:11)
          %t = transpose(%x) {perm = [0, 2, 1]} : f32[batch, 64, src_seq]
          %r = reshape(%t) {shape = dims[batch, 4, 16, src_seq]} : f32[batch, 4, 16, src_seq]
          %n = layer_norm(%x, %g, %b) {eps = 1.0E-5}
          output logits = %x
        }
        """, IrPrinter.print(g));
    assertRoundTrips(g);
  }
}
