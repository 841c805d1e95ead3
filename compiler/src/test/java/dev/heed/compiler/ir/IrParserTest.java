package dev.heed.compiler.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class IrParserTest {

  @Test
  void commentsBlankLinesAndMissingTypesAreFine() {
    Graph g = IrParser.parse("""
        // a comment before the graph

        graph G {   // trailing comment
          %x = input {name = "x"} : f32[2]  // the input

          %y = relu(%x)
          output y = %y
        }
        // after
        """, "t.ir");
    assertEquals("G", g.name());
    assertEquals(2, g.nodes().size());
    assertNull(g.nodes().get(1).type());
    assertEquals(Loc.UNKNOWN, g.nodes().get(1).loc());
    assertEquals(List.of(new Graph.Output("y", "y")), g.outputs());
  }

  @Test
  void attributeSpellings() {
    Graph g = IrParser.parse("""
        graph G {
          %a = constant {a = 3, b = -1, c = 1.0E-5, d = 1e-5, e = Infinity, f = -Infinity, g = NaN, h = "s\\"\\n\\u0041",
              i = [0, -2, 1], j = [], k = dims[batch, 4], l = [batch, 4], m = dims[], n = 2.5, "o p" = 0}
        }
        """, "t.ir");
    var attrs = g.nodes().get(0).attrs();
    assertEquals(new Attr.Int(3), attrs.get("a"));
    assertEquals(new Attr.Int(-1), attrs.get("b"));
    assertEquals(new Attr.Float(1e-5), attrs.get("c"));
    assertEquals(new Attr.Float(1e-5), attrs.get("d"));
    assertEquals(new Attr.Float(Double.POSITIVE_INFINITY), attrs.get("e"));
    assertEquals(new Attr.Float(Double.NEGATIVE_INFINITY), attrs.get("f"));
    assertEquals(new Attr.Float(Double.NaN), attrs.get("g"));
    assertEquals(new Attr.Str("s\"\nA"), attrs.get("h"));
    assertEquals(new Attr.Ints(List.of(0L, -2L, 1L)), attrs.get("i"));
    assertEquals(new Attr.Ints(List.of()), attrs.get("j"));
    assertEquals(new Attr.Dims(List.of(Dim.sym("batch"), Dim.of(4))), attrs.get("k"));
    assertEquals(new Attr.Dims(List.of(Dim.sym("batch"), Dim.of(4))), attrs.get("l"));
    assertEquals(new Attr.Dims(List.of()), attrs.get("m"));
    assertEquals(new Attr.Float(2.5), attrs.get("n"));
    assertEquals(new Attr.Int(0), attrs.get("o p"));
  }

  @Test
  void typesAndLocations() {
    Node n = IrParser.parse("""
        graph G {
          %x.1_a = input {name = "x"} : i64[batch, 1, 0] loc("dir/m.heed":4:17)
          %s = constant {value = 1.0} : f32[]
        }
        """, "t.ir").nodes().get(0);
    assertEquals("x.1_a", n.name());
    assertEquals(TensorType.i64(Dim.sym("batch"), Dim.of(1), Dim.of(0)), n.type());
    assertEquals(new Loc("dir/m.heed", 4, 17), n.loc());
  }

  @Test
  void locationsKeepTheirCalls() {
    Node n = IrParser.parse("""
        graph G {
          %x = input {name = "x"} : f32[4] loc("heed/prelude.heed":22:10 from "m.heed":14:11 from "m.heed":29:9)
        }
        """, "t.ir").nodes().get(0);
    assertEquals(new Loc("heed/prelude.heed", 22, 10, new Loc("m.heed", 14, 11, new Loc("m.heed", 29, 9))), n.loc());
    assertEquals("heed/prelude.heed:22:10 from m.heed:14:11 from m.heed:29:9", n.loc().toString());
    assertEquals(new Loc("m.heed", 14, 11, new Loc("m.heed", 29, 9)), n.loc().innermost(f -> f.equals("m.heed")));
    Node fused = IrParser.parse("""
        graph G {
          %x = input {name = "x"} : f32[4] loc("m.heed":4:2, "p.heed":1:1 from "m.heed":5:3)
        }
        """, "t.ir").nodes().get(0);
    assertEquals(List.of(new Loc("m.heed", 4, 2), new Loc("p.heed", 1, 1, new Loc("m.heed", 5, 3))), fused.loc().places());
    assertEquals("m.heed:4:2, p.heed:1:1 from m.heed:5:3", fused.loc().toString());
    IrParseException e = error("""
        graph G {
          %x = input {name = "x"} : f32[4] loc("m.heed":1:2 from 3)
        }
        """);
    assertTrue(e.getMessage().contains("expected a quoted file name in loc(...), found"), e.getMessage());
  }

  private static IrParseException error(String text) {
    return assertThrows(IrParseException.class, () -> IrParser.parse(text, "bad.ir"));
  }

  private static void assertError(String expectedMessage, String text) {
    assertEquals(expectedMessage, error(text).getMessage());
  }

  @Test
  void errorsAreLocated() {
    assertError("bad.ir:1:1: expected 'graph', found 'grap'", "grap G {}");
    assertError("bad.ir:3:8: unknown op 'frobnicate'", """
        graph G {
          %x = input {name = "x"} : f32[2]
          %y = frobnicate(%x)
        }
        """);
    assertError("bad.ir:2:29: unknown element type 'f16' (expected f32 or i64)", """
        graph G {
          %x = input {name = "x"} : f16[2]
        }
        """);
    assertError("bad.ir:2:17: expected a value name such as %x, found 'x'", """
        graph G {
          %y = relu(%x, x)
        }
        """);
    assertError("bad.ir:2:33: expected a dimension (a size such as 64 or a symbol such as batch), found '-1'", """
        graph G {
          %x = input {name = "x"} : f32[-1]
        }
        """);
    assertError("bad.ir:2:33: expected a dimension (a size such as 64 or a symbol such as batch), found '2.0'", """
        graph G {
          %x = input {name = "x"} : f32[2.0]
        }
        """);
    assertError("bad.ir:3:1: expected a node ('%name = op ...'), 'output' or '}', found end of input", """
        graph G {
          %x = input {name = "x"} : f32[2]
        """);
    assertError("bad.ir:2:22: unterminated string", """
        graph G {
          %x = input {name = "x} : f32[2]
        }
        """);
    assertError("bad.ir:2:27: attribute 'name' is given twice", """
        graph G {
          %x = input {name = "x", name = "y"}
        }
        """);
    assertError("bad.ir:2:22: expected an attribute value (3, 1.0E-5, \"text\", [0, 1] or dims[batch, 4]), found 'x'", """
        graph G {
          %x = input {name = x}
        }
        """);
    assertError("bad.ir:2:20: expected an integer or a dimension symbol in a list, found '1.5'", """
        graph G {
          %x = input {a = [1.5]}
        }
        """);
    assertError("bad.ir:2:27: a shape cannot hold the negative size -4", """
        graph G {
          %x = input {a = [batch, -4]}
        }
        """);
    assertError("bad.ir:2:19: integer 99999999999999999999 is out of range", """
        graph G {
          %x = input {a = 99999999999999999999}
        }
        """);
    assertError("bad.ir:2:3: expected a value name after '%'", """
        graph G {
          % = input
        }
        """);
    assertError("bad.ir:2:8: unexpected character '#'", """
        graph G {
          %x = # input
        }
        """);
    assertError("bad.ir:2:24: unknown escape '\\q' in string", """
        graph G {
          %x = input {name = "a\\qb"}
        }
        """);
    assertError("bad.ir:2:3: expected end of input after the graph's '}', found 'graph'", """
        graph G {}
          graph H {}
        """);
    assertError("bad.ir:2:40: expected a quoted file name in loc(...), found 'm.heed'", """
        graph G {
          %x = input {name = "x"} : f32[2] loc(m.heed:1:2)
        }
        """);
    assertError("bad.ir:2:19: malformed number '1x'", """
        graph G {
          %x = input {a = 1x}
        }
        """);
  }

  @Test
  void errorCarriesItsParts() {
    IrParseException e = error("graph G {\n  %x = nope\n}\n");
    assertEquals("bad.ir", e.sourceName());
    assertEquals(2, e.line());
    assertEquals(8, e.col());
    assertEquals("unknown op 'nope'", e.detail());
  }
}
