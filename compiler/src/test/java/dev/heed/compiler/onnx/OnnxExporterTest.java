package dev.heed.compiler.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.compiler.HeedCompiler;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.IrParser;
import dev.heed.compiler.onnx.proto.GraphProto;
import dev.heed.compiler.onnx.proto.ModelProto;
import dev.heed.compiler.onnx.proto.NodeProto;
import dev.heed.compiler.onnx.proto.TensorProto;
import dev.heed.compiler.onnx.proto.TensorShapeProto;
import dev.heed.compiler.onnx.proto.ValueInfoProto;
import dev.heed.dsl.diag.SourceFile;
import dev.heed.runtime.HeedModelFactory.ParamSpec;
import dev.heed.runtime.Weights;
import dev.heed.runtime.io.RandomWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ONNX model {@link OnnxExporter} writes, checked as a protobuf: version and opset, the
 * model's signature, a well-formed graph of standard opset-17 ops, and parameters that heed's
 * own ONNX weight reader binds back to the same tensors. (ONNX Runtime runs every example's
 * export in generated/'s OnnxExportTest.)
 */
class OnnxExporterTest {
  static final Path REPO = Path.of(System.getProperty("heed.repoRoot", "..")).toAbsolutePath().normalize();

  /** The default-domain ops the exporter may use: all in opset 17. */
  static final Set<String> STANDARD_OPS = Set.of("Add", "Sub", "Mul", "Div", "Neg", "Relu", "Tanh", "Sigmoid", "Exp",
      "Sqrt", "Erf", "MatMul", "Transpose", "Reshape", "Concat", "Softmax", "LayerNormalization", "ReduceMean", "Gather",
      "Range", "Shape", "Cast", "Unsqueeze", "Sin", "Cos", "Equal", "Greater", "Where", "Constant", "Identity");

  @TempDir Path dir;

  static Graph compile(String spec) throws IOException {
    return HeedCompiler.compile(REPO.resolve(spec), HeedCompiler.Options.defaults(), s -> { }).portableIr();
  }

  @Test
  void theModelIsOpset17WithTheSpecsInputsOutputsAndSymbolicDims() throws IOException {
    Graph g = compile("examples/seed/transformer.heed");
    ModelProto m = OnnxExporter.export(g, new RandomWeights(1));
    assertEquals(8, m.getIrVersion());
    assertEquals(1, m.getOpsetImportCount());
    assertEquals("", m.getOpsetImport(0).getDomain());
    assertEquals(17, m.getOpsetImport(0).getVersion());
    assertEquals("heed", m.getProducerName());
    GraphProto gp = m.getGraph();
    assertEquals(g.name(), gp.getName());
    assertEquals(List.of("src", "src_pad", "tgt"), gp.getInputList().stream().map(ValueInfoProto::getName).toList());
    assertEquals(List.of("logits"), gp.getOutputList().stream().map(ValueInfoProto::getName).toList());
    ValueInfoProto src = gp.getInput(0);
    assertEquals(TensorProto.DataType.INT64_VALUE, src.getType().getTensorType().getElemType());
    assertEquals(List.of("batch", "src_seq"), src.getType().getTensorType().getShape().getDimList().stream()
        .map(TensorShapeProto.Dimension::getDimParam).toList());
    TensorShapeProto logits = gp.getOutput(0).getType().getTensorType().getShape();
    assertEquals(TensorProto.DataType.FLOAT_VALUE, gp.getOutput(0).getType().getTensorType().getElemType());
    assertEquals("batch", logits.getDim(0).getDimParam());
    assertEquals("tgt_seq", logits.getDim(1).getDimParam());
    assertEquals(1000, logits.getDim(2).getDimValue());
  }

  /** Every input of every node is a graph input, an initializer or an earlier node's output. */
  static void assertWellFormed(ModelProto m) {
    GraphProto g = m.getGraph();
    Set<String> defined = new HashSet<>();
    g.getInputList().forEach(v -> defined.add(v.getName()));
    for (TensorProto t : g.getInitializerList()) assertTrue(defined.add(t.getName()), "initializer " + t.getName() + " twice");
    Set<String> nodeNames = new HashSet<>();
    for (NodeProto n : g.getNodeList()) {
      assertTrue(STANDARD_OPS.contains(n.getOpType()), n.getOpType() + " is not an op the exporter should use");
      assertEquals("", n.getDomain(), n.getName());
      assertFalse(n.getName().isEmpty(), "a node without a name: " + n);
      assertTrue(nodeNames.add(n.getName()), "two nodes named " + n.getName());
      assertFalse(n.getDocString().isEmpty(), n.getName() + " has no doc_string");
      for (String in : n.getInputList()) assertTrue(defined.contains(in), n.getName() + ": input " + in + " is not defined before it");
      for (String out : n.getOutputList()) assertTrue(defined.add(out), n.getName() + ": output " + out + " is defined twice");
    }
    for (ValueInfoProto o : g.getOutputList()) assertTrue(defined.contains(o.getName()), "output " + o.getName() + " is not computed");
  }

  static Stream<Path> examples() throws IOException {
    try (Stream<Path> files = Files.walk(REPO.resolve("examples"))) {
      return files.filter(p -> p.toString().endsWith(".heed")).sorted().toList().stream();
    }
  }

  @Test
  void everyExampleExportsToAWellFormedGraphOfStandardOps() throws IOException {
    List<Path> specs = examples().toList();
    assertTrue(specs.size() >= 9, "examples: " + specs);
    for (Path spec : specs) {
      ModelProto m = OnnxExporter.export(compile(REPO.relativize(spec).toString()), new RandomWeights(2));
      assertWellFormed(m);
    }
  }

  @Test
  void everyIrOpExportsToAWellFormedGraph() throws IOException {
    Path file = REPO.resolve("compiler/src/test/resources/ir/every_op.ir");
    Graph g = IrParser.parse(Files.readString(file), file.toString());
    ModelProto m = OnnxExporter.export(g, new RandomWeights(2));
    assertWellFormed(m);
    // opset 17 has no Gelu and no attention op: both are spelled out
    Set<String> used = new HashSet<>();
    m.getGraph().getNodeList().forEach(n -> used.add(n.getOpType()));
    assertTrue(used.containsAll(Set.of("Erf", "Tanh", "Softmax", "LayerNormalization", "ReduceMean", "Range", "Where")), used.toString());
  }

  @Test
  void nodesAreNamedAfterTheirIrValuesAndQuoteTheSpecLine() throws IOException {
    ModelProto m = OnnxExporter.export(compile("examples/attention/self_attention.heed"), new RandomWeights(3));
    List<NodeProto> softmax = m.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Softmax")).toList();
    assertEquals(1, softmax.size());
    assertTrue(softmax.get(0).getDocString().contains("= attention : f32[batch, seq, "), softmax.get(0).getDocString());
    assertTrue(softmax.get(0).getDocString().contains("examples/attention/self_attention.heed:"), softmax.get(0).getDocString());
    // the same graph exports to the same bytes
    assertEquals(m, OnnxExporter.export(compile("examples/attention/self_attention.heed"), new RandomWeights(3)));
  }

  @Test
  void linearWeightsAreStoredTransposedAndReadBackUnderTheirCheckpointNames() throws IOException {
    Graph g = compile("examples/seed/transformer.heed");
    Path file = dir.resolve("transformer.onnx");
    OnnxExporter.write(OnnxExporter.export(g, new RandomWeights(5)), file);
    ModelProto m = ModelProto.parseFrom(Files.readAllBytes(file));
    List<String> inits = m.getGraph().getInitializerList().stream().map(TensorProto::getName).toList();
    assertTrue(inits.contains("onnx::MatMul_encoder.layer.0.self_attn.q_proj.weight"), inits.toString());
    assertTrue(inits.contains("embed.weight"), "the tied embedding stays [vocab, d]: " + inits);
    List<ParamSpec> params = WeightFiles.parameters(g);
    assertEquals(params.size(), inits.size());
    try (Weights back = WeightFiles.open(file, params); RandomWeights want = new RandomWeights(5)) {
      for (ParamSpec p : params) {
        assertArrayEquals(want.get(p.name(), p.shape(), p.init()), back.get(p.name(), p.shape(), p.init()), p.name());
      }
    }
    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(List.of(file), left.toList(), "only the model is left: the temporary file was moved");
    }
  }

  @Test
  void aLinearWeightWhoseNameCannotBeRecoveredIsStoredAsIsAndTransposedInTheGraph() {
    String spec = """
        model Odd {
          input x: f32[batch, 3];
          param w: [2, 3] = "w";
          param b: [2] = "other.bias";
          output y = linear(x, w, b);
        }
        """;
    Graph g = HeedCompiler.compile(new SourceFile("odd.heed", spec), HeedCompiler.Options.defaults(), s -> { }).portableIr();
    ModelProto m = OnnxExporter.export(g, new RandomWeights(1));
    assertWellFormed(m);
    TensorProto w = m.getGraph().getInitializerList().stream().filter(t -> t.getName().equals("w")).findFirst().orElseThrow();
    assertEquals(List.of(2L, 3L), w.getDimsList());
    assertTrue(m.getGraph().getNodeList().stream().anyMatch(n -> n.getOpType().equals("Transpose") && n.getInput(0).equals("w")));
    assertEquals("y", m.getGraph().getOutput(0).getName());
  }

  @Test
  void aWeightSharedByTwoLinearsIsOneTransposedInitializerThatReadsBack() throws IOException {
    String spec = """
        model Twice {
          input x: f32[batch, 3];
          param w: [3, 3] = "fc.weight";
          output y = linear(relu(linear(x, w)), w);
        }
        """;
    Graph g = HeedCompiler.compile(new SourceFile("twice.heed", spec), HeedCompiler.Options.defaults(), s -> { }).portableIr();
    ModelProto m = OnnxExporter.export(g, new RandomWeights(4));
    assertWellFormed(m);
    assertEquals(List.of("onnx::MatMul_fc.weight"), m.getGraph().getInitializerList().stream().map(TensorProto::getName).toList());
    assertEquals(List.of("/fc/MatMul", "/fc/MatMul_1"), m.getGraph().getNodeList().stream()
        .filter(n -> n.getOpType().equals("MatMul")).map(NodeProto::getName).toList());
    assertReadsBack(m, g, 4);
  }

  static Graph compileText(String name, String spec) {
    return HeedCompiler.compile(new SourceFile(name, spec), HeedCompiler.Options.defaults(), s -> { }).portableIr();
  }

  @Test
  void aLinearWeightThatIsAlsoAnOutputIsWrittenAsDeclaredNotTransposed() throws IOException {
    // Found by differential fuzzing against ONNX Runtime: the output came back [4, 3], transposed.
    Graph g = compileText("wout.heed", """
        model WOut {
          input x: f32[batch, seq, 4];
          param w: [3, 4] = "p.weight";
          output out = linear(x, w);
          output wout = w;
        }
        """);
    ModelProto m = OnnxExporter.export(g, new RandomWeights(6));
    assertWellFormed(m);
    GraphProto gp = m.getGraph();
    NodeProto id = gp.getNodeList().stream().filter(n -> n.getOutput(0).equals("wout")).findFirst().orElseThrow();
    TensorProto src = gp.getInitializerList().stream().filter(t -> t.getName().equals(id.getInput(0))).findFirst().orElseThrow();
    assertEquals(List.of(3L, 4L), src.getDimsList(), "output wout reads initializer " + src.getName());
    assertReadsBack(m, g, 6);
  }

  @Test
  void namesOnnxCannotHoldAreRejectedNamingTheClash() {
    // ONNX has one namespace for inputs, outputs and initializers; heed's spec does not.
    String[][] cases = {
        {"model A { input x: f32[batch, 4]; output x = relu(x); }", "output 'x' has the name of input x"},
        {"model B { input x: f32[batch, 4]; input y: f32[batch, 4]; output y = x; output x = y; }",
            "output 'y' has the name of input y"},
        {"model C { input x: f32[batch, 4]; param w: [4] = \"x\"; output out = x * w; }",
            "parameter checkpoint name 'x' is also the name of input x"},
        {"model D { input x: f32[batch, 4]; param w: [4] = \"out\"; output out = x * w; }",
            "output 'out' has the name of parameter out"},
    };
    for (String[] c : cases) {
      Graph g = compileText("clash.heed", c[0]);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> OnnxExporter.export(g, new RandomWeights(1)), c[0]);
      assertTrue(e.getMessage().contains(c[1]), e.getMessage());
    }
    // an output that is the input, or the parameter, of its own name is one tensor: fine
    for (String ok : List.of("model E { input x: f32[batch, 4]; output x = x; output y = relu(x); }",
        "model F { input x: f32[batch, 4]; param w: [4] = \"w\"; output w = w; output y = x * w; }")) {
      assertWellFormed(OnnxExporter.export(compileText("ok.heed", ok), new RandomWeights(1)));
    }
  }

  /** Writes {@code g}'s export and reads every parameter back through heed's ONNX weight reader. */
  void assertEveryParameterReadsBack(Graph g, long seed) throws IOException {
    ModelProto m = OnnxExporter.export(g, new RandomWeights(seed));
    assertWellFormed(m);
    assertReadsBack(m, g, seed);
  }

  /** Writes {@code m}, {@code g} exported with {@code RandomWeights(seed)}, and reads every parameter back as {@code --weights} does. */
  void assertReadsBack(ModelProto m, Graph g, long seed) throws IOException {
    Path file = dir.resolve(g.name() + ".onnx");
    OnnxExporter.write(m, file);
    List<ParamSpec> params = WeightFiles.parameters(g);
    try (Weights back = WeightFiles.open(file, params); RandomWeights want = new RandomWeights(seed)) {
      for (ParamSpec p : params) {
        assertArrayEquals(want.get(p.name(), p.shape(), p.init()), back.get(p.name(), p.shape(), p.init()), p.name());
      }
    }
  }

  @Test
  void aLinearWithoutBiasFollowedByAnotherModulesBiasStillReadsBack() throws IOException {
    // Found by fuzzing the export → --weights round trip: the MatMul of linear(x, w) fed only
    // the Add of other.bias, so the reader named the transposed weight other.weight (or, for
    // two such linears and one fc.bias, found fc.weight claimed twice and g.weight missing).
    assertEveryParameterReadsBack(compileText("a.heed", """
        model OtherBias {
          input x: f32[batch, 4];
          param w: [3, 4] = "fc.weight";
          param b: [3] = "other.bias";
          output y = linear(x, w) + b;
        }
        """), 7);
    assertEveryParameterReadsBack(compileText("b.heed", """
        model SameBias {
          input x: f32[batch, seq, 4];
          param w: [3, 4] = "fc.weight";
          param b: [3] = "fc.bias";
          param w2: [3, 4] = "g.weight";
          output y = linear(x, w) + b;
          output z = b + linear(x, w2);
        }
        """), 8);
  }

  @Test
  void aTopLevelParameterFeedingAMatMulAndABiasKeepsItsName() throws IOException {
    // x @ w + fc.bias: the reader took the initializer 'w' (no dot) for an anonymous one and
    // renamed it fc.weight, so the export did not work as --weights again ("no tensor 'w'").
    assertEveryParameterReadsBack(compileText("mm.heed", """
        model MatMulBias {
          input x: f32[batch, seq, 4];
          param w: [4, 3];
          param b: [3] = "fc.bias";
          output y = x @ w + b;
        }
        """), 9);
  }
}
