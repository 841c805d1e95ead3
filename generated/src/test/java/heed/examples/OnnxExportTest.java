package heed.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.heed.compiler.HeedCompiler;
import dev.heed.compiler.SampleInputs;
import dev.heed.compiler.interp.Interpreter;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.IrParser;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import dev.heed.dsl.diag.SourceFile;
import dev.heed.compiler.onnx.OnnxExporter;
import dev.heed.compiler.onnx.WeightFiles;
import dev.heed.compiler.onnx.proto.ModelProto;
import dev.heed.runtime.DType;
import dev.heed.runtime.HeedModel;
import dev.heed.runtime.HeedModelFactory;
import dev.heed.runtime.HeedModels;
import dev.heed.runtime.Tensor;
import dev.heed.runtime.Weights;
import dev.heed.runtime.io.RandomWeights;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every example, exported by {@link OnnxExporter} and run by ONNX Runtime, against heed's
 * generated code with the same random weights and inputs: code nobody here wrote checks each
 * op's ONNX spelling, and the export checks heed.
 */
class OnnxExportTest {
  /** |ort - heed| ≤ TOLERANCE · max(1, max |heed|). */
  static final double TOLERANCE = 1e-5;
  static final long WEIGHT_SEED = 11;
  /** The two shape sets: {batch, seq (q_seq, tgt_seq), k_seq (src_seq)}. */
  static final int[][] SIZES = {{2, 5, 3}, {3, 9, 12}};

  static OrtEnvironment env;

  @BeforeAll
  static void start() {
    env = OrtEnvironment.getEnvironment();
  }

  static OrtSession session(ModelProto model) throws OrtException {
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setIntraOpNumThreads(2);
      opts.setInterOpNumThreads(1);
      opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      return env.createSession(model.toByteArray(), opts);
    }
  }

  static Map<String, Integer> sizes(int[] sz) {
    Map<String, Integer> sizes = new HashMap<>();
    sizes.put("batch", sz[0]);
    for (String s : List.of("seq", "q_seq", "tgt_seq")) sizes.put(s, sz[1]);
    for (String s : List.of("k_seq", "src_seq")) sizes.put(s, sz[2]);
    return sizes;
  }

  static Map<String, Tensor> runOrt(OrtSession s, Map<String, Tensor> inputs) throws OrtException {
    Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
    try {
      for (var e : inputs.entrySet()) {
        Tensor t = e.getValue();
        long[] shape = Arrays.stream(t.shape()).asLongStream().toArray();
        feeds.put(e.getKey(), t.dtype() == DType.F32
            ? OnnxTensor.createTensor(env, FloatBuffer.wrap(t.floats()), shape)
            : OnnxTensor.createTensor(env, LongBuffer.wrap(t.longs()), shape));
      }
      Map<String, Tensor> out = new LinkedHashMap<>();
      try (OrtSession.Result r = s.run(feeds)) {
        for (var e : r) {
          OnnxTensor t = (OnnxTensor) e.getValue();
          int[] shape = Arrays.stream(t.getInfo().getShape()).mapToInt(Math::toIntExact).toArray();
          FloatBuffer fb = t.getFloatBuffer();
          float[] data = new float[fb.remaining()];
          fb.get(data);
          out.put(e.getKey(), Tensor.ofFloats(data, shape));
        }
      }
      return out;
    } finally {
      for (OnnxTensor t : feeds.values()) t.close();
    }
  }

  @TestFactory
  Stream<DynamicTest> onnxRuntimeRunningTheExportAgreesWithTheGeneratedCode() {
    List<HeedModelFactory> factories = HeedModels.all(getClass().getClassLoader());
    return Examples.specs().stream().map(spec -> DynamicTest.dynamicTest(spec, () -> {
      HeedCompiler.Result r = Examples.compile(spec);
      HeedModelFactory f = factories.stream().filter(x -> x.name().equals(r.ir().name())).findFirst()
          .orElseThrow(() -> new AssertionError("no compiled model " + r.ir().name() + " in generated/; run bin/regenerate"));
      ModelProto model = OnnxExporter.export(r.portableIr(), new RandomWeights(WEIGHT_SEED));
      HeedModel heed = f.create(new RandomWeights(WEIGHT_SEED));
      try (OrtSession s = session(model)) {
        List<String> report = new ArrayList<>();
        for (int[] sz : SIZES) {
          Map<String, Tensor> inputs = SampleInputs.make(r.ir(), sizes(sz), 100 + sz[1]);
          Map<String, Tensor> want = heed.run(inputs);
          Map<String, Tensor> got = runOrt(s, inputs);
          assertEquals(want.keySet(), got.keySet(), spec + ": outputs");
          for (String name : want.keySet()) {
            String what = spec + " sizes " + Arrays.toString(sz) + " output " + name;
            double[] d = diff(what, want.get(name), got.get(name));
            report.add(String.format(Locale.ROOT, "%s %s: max |ort - heed| %.2e (max |heed| %.2e)",
                Arrays.toString(sz), name, d[0], d[1]));
            assertTrue(d[0] <= TOLERANCE * Math.max(1, d[1]),
                what + ": max abs diff " + d[0] + " exceeds " + TOLERANCE + " · max(1, " + d[1] + ")");
          }
        }
        System.out.println("onnx export " + spec + ": " + String.join("; ", report));
      }
    }));
  }

  @Test
  void miniLmExportedWithItsRealWeightsAgreesWithTheUpstreamOnnxModel() throws Exception {
    // Both models run in ONNX Runtime: the one torch.onnx.export wrote, and heed's export of
    // examples/minilm/minilm.heed with that file's weights bound by name.
    Path upstream = Files.createTempFile("all-minilm-l6-v2", ".onnx");
    try {
      try (InputStream in = getClass().getClassLoader().getResourceAsStream("all-minilm-l6-v2.onnx")) {
        assertNotNull(in, "all-minilm-l6-v2.onnx is not on the test classpath");
        Files.copy(in, upstream, StandardCopyOption.REPLACE_EXISTING);
      }
      HeedCompiler.Result r = Examples.compile("examples/minilm/minilm.heed");
      ModelProto model;
      try (Weights w = WeightFiles.open(upstream, WeightFiles.parameters(r.ir()))) {
        model = OnnxExporter.export(r.portableIr(), w);
      }
      int batch = 3, seq = 24;
      int[] lengths = {24, 17, 5};
      SplittableRandom rnd = new SplittableRandom(9);
      long[] ids = new long[batch * seq], mask = new long[batch * seq], types = new long[batch * seq];
      for (int b = 0; b < batch; b++) {
        for (int p = 0; p < lengths[b]; p++) {
          ids[b * seq + p] = p == 0 ? 101 : p == lengths[b] - 1 ? 102 : rnd.nextInt(999, 30522);
          mask[b * seq + p] = 1;
        }
      }
      Map<String, Tensor> inputs = new LinkedHashMap<>();
      inputs.put("input_ids", Tensor.ofLongs(ids, batch, seq));
      inputs.put("attention_mask", Tensor.ofLongs(mask, batch, seq));
      inputs.put("token_type_ids", Tensor.ofLongs(types, batch, seq));
      Tensor got, want;
      try (OrtSession ours = session(model)) {
        got = runOrt(ours, inputs).get("last_hidden_state");
      }
      try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
          OrtSession theirs = env.createSession(upstream.toString(), opts)) {
        want = runOrt(theirs, inputs).get("last_hidden_state");
      }
      assertArrayEquals(want.shape(), got.shape());
      int hidden = want.dim(2);
      double worst = 0;
      for (int b = 0; b < batch; b++) {
        for (int i = b * seq * hidden; i < (b * seq + lengths[b]) * hidden; i++) {
          worst = Math.max(worst, Math.abs(want.floats()[i] - got.floats()[i]));
        }
      }
      System.out.printf(Locale.ROOT, "onnx export minilm, real weights, 3x24 padded: max |export - upstream| %.2e%n", worst);
      assertTrue(worst <= 1e-4, "max abs diff over unpadded positions " + worst);
    } finally {
      Files.deleteIfExists(upstream);
    }
  }

  /** A spec that reaches every op through the lowering and the passes (after JvmEmitterTest's). */
  static final String EVERY_OP_SPEC = """
      const d = 8;
      model EveryOp {
        input x: f32[batch, seq, d];
        input y: f32[batch, seq, d];
        input ids: i64[batch, seq];
        input pad: i64[batch, seq];
        param table: [11, d];
        param w: [d, d];
        param b: [d];
        param g: [d] init ones;
        let e = embedding(ids, table) + sinusoidal(ids, d) + embedding(positions(ids), table);
        let a = relu(x) - tanh(y) * sigmoid(x) / (exp(-y) + 2.0);
        let h = gelu(a) + gelu(y, approximate = "tanh") + sqrt(exp(x));
        let n = rms_norm(layer_norm(h + e, g, b, eps = 1e-3), g);
        let q = split_heads(linear(n, w, b), 2);
        let k = split_heads(linear(n, w), 2);
        let att = attention(q, k, q, mask = padding_mask(pad) + causal_mask(ids));
        let m = merge_heads(att);
        let c = concat([m, n], axis = 2);
        let t = transpose(reshape(c, [batch, seq, 2, d]), 1, 2);
        let s = squeeze(unsqueeze(softmax(t, axis = 1), 0), 0);
        output out = s @ transpose(s);
        output scores = masked_softmax(m @ transpose(n), padding_mask(pad));
      }
      """;

  /** The export of {@code g} run by ONNX Runtime against the reference interpreter, at several sizes. */
  static void assertExportMatchesInterpreter(String what, Graph g) throws OrtException {
    Set<Op> ops = g.nodes().stream().map(Node::op).collect(Collectors.toCollection(() -> EnumSet.noneOf(Op.class)));
    RandomWeights weights = new RandomWeights(WEIGHT_SEED);
    try (OrtSession s = session(OnnxExporter.export(g, weights))) {
      for (int[] sz : new int[][] {{1, 1}, {2, 5}, {3, 8}}) {
        Map<String, Tensor> inputs = SampleInputs.make(g, Map.of("batch", sz[0], "seq", sz[1]), 5 + sz[1]);
        Map<String, Tensor> want = Interpreter.run(g, inputs, weights);
        Map<String, Tensor> got = runOrt(s, inputs);
        assertEquals(want.keySet(), got.keySet(), what + ": outputs");
        for (String name : want.keySet()) {
          String where = what + " " + sz[0] + "x" + sz[1] + " output " + name;
          double[] d = diff(where, want.get(name), got.get(name));
          System.out.printf(Locale.ROOT, "onnx export %s: max |ort - interpreter| %.2e (max %.2e)%n", where, d[0], d[1]);
          assertTrue(d[0] <= TOLERANCE * Math.max(1, d[1]), where + ": max abs diff " + d[0] + " (ops " + ops + ")");
        }
      }
    }
  }

  @Test
  void everyIrOpExportsToWhatTheInterpreterComputes() throws Exception {
    Path file = Examples.repoRoot().resolve("compiler/src/test/resources/ir/every_op.ir");
    Graph g = IrParser.parse(Files.readString(file), file.toString());
    // Every op of the portable IR, which is what ONNX export reads: the ops that kernel fusions
    // make (and the slices fuse-qkv makes) exist only in the IR the jvm emitter reads.
    EnumSet<Op> portable = EnumSet.allOf(Op.class);
    portable.removeAll(EnumSet.of(Op.MHA, Op.FUSED_LINEAR, Op.ADD_LAYER_NORM, Op.ADD_RMS_NORM, Op.ELEMENTWISE, Op.SLICE));
    assertEquals(portable, g.nodes().stream().map(Node::op)
        .collect(Collectors.toCollection(() -> EnumSet.noneOf(Op.class))), "every_op.ir should use every portable op");
    assertExportMatchesInterpreter("every_op.ir", g);
  }

  @Test
  void everyOpSpecThroughThePassesExportsToWhatTheInterpreterComputes() throws OrtException {
    HeedCompiler.Result r = HeedCompiler.compile(new SourceFile("every_op.heed", EVERY_OP_SPEC),
        HeedCompiler.Options.defaults().withPackage("t.every"), s -> { });
    assertExportMatchesInterpreter("every_op.heed", r.portableIr());
  }

  /**
   * Sinusoidal positions at a long sequence: the export computes the angles in double, as heed
   * does (in float32 they were 4.8e-4 off at 8192 positions, found by differential fuzzing).
   */
  @Test
  void sinusoidalPositionsAgreeAtLongSequences() throws OrtException {
    Graph g = HeedCompiler.compile(new SourceFile("pe.heed", """
        model Pe {
          input ids: i64[batch, seq];
          output pe = sinusoidal(ids, 64);
        }
        """), HeedCompiler.Options.defaults().withPackage("t.pe"), s -> { }).portableIr();
    RandomWeights weights = new RandomWeights(WEIGHT_SEED);
    try (OrtSession s = session(OnnxExporter.export(g, weights))) {
      Map<String, Tensor> inputs = SampleInputs.make(g, Map.of("batch", 1, "seq", 8192), 3);
      double[] d = diff("pe 1x8192", Interpreter.run(g, inputs, weights).get("pe"), runOrt(s, inputs).get("pe"));
      assertTrue(d[0] <= 1e-6, "max abs diff " + d[0]);
    }
  }

  /** {max |a - b|, max |a|}, after checking shapes and that b is finite. */
  static double[] diff(String what, Tensor want, Tensor got) {
    assertArrayEquals(want.shape(), got.shape(), what + ": shape");
    float[] a = want.floats(), b = got.floats();
    double worst = 0, scale = 0;
    for (int i = 0; i < a.length; i++) {
      assertTrue(Float.isFinite(b[i]), what + ": ONNX Runtime gave " + b[i] + " at element " + i);
      worst = Math.max(worst, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(a[i]));
    }
    return new double[] {worst, scale};
  }

  @Test
  void theExportIsAValidOpset17ModelWithTheSpecsInputsAndOutputs() throws OrtException {
    HeedCompiler.Result r = Examples.compile("examples/seed/transformer.heed");
    ModelProto model = OnnxExporter.export(r.portableIr(), new RandomWeights(1));
    assertEquals(8, model.getIrVersion());
    assertEquals(1, model.getOpsetImportCount());
    assertEquals("", model.getOpsetImport(0).getDomain());
    assertEquals(17, model.getOpsetImport(0).getVersion());
    try (OrtSession s = session(model)) {
      List<String> inputs = r.ir().inputs().stream().map(n -> n.strAttr("name")).toList();
      assertEquals(inputs, new ArrayList<>(s.getInputNames()));
      assertEquals(r.ir().outputs().stream().map(o -> o.name()).toList(), new ArrayList<>(s.getOutputNames()));
      Map<String, NodeInfo> info = s.getInputInfo();
      for (Node in : r.ir().inputs()) {
        TensorInfo t = (TensorInfo) info.get(in.strAttr("name")).getInfo();
        assertEquals(in.type().rank(), t.getShape().length, in.strAttr("name"));
        // symbolic dimensions stay symbolic (-1 to ONNX Runtime), so any batch and length run
        for (int i = 0; i < in.type().rank(); i++) {
          assertEquals(in.type().dim(i).isKnown() ? in.type().dim(i).size() : -1, t.getShape()[i], in.strAttr("name") + " axis " + i);
        }
      }
      // one initializer per parameter, named by checkpoint name or recoverable from the graph
      assertEquals(r.ir().params().stream().map(p -> p.strAttr("name")).distinct().count(),
          model.getGraph().getInitializerCount());
    }
  }

  @Test
  void theComparisonNoticesAWrongExport() throws OrtException {
    // A check on the check: other weights give outputs the tolerance tells apart.
    HeedCompiler.Result r = Examples.compile("examples/attention/self_attention.heed");
    HeedModelFactory f = HeedModels.all(getClass().getClassLoader()).stream()
        .filter(x -> x.name().equals(r.ir().name())).findFirst().orElseThrow();
    Map<String, Tensor> inputs = SampleInputs.make(r.ir(), sizes(SIZES[0]), 3);
    try (OrtSession s = session(OnnxExporter.export(r.portableIr(), new RandomWeights(WEIGHT_SEED + 1)))) {
      Map<String, Tensor> got = runOrt(s, inputs);
      Map<String, Tensor> want = f.create(new RandomWeights(WEIGHT_SEED)).run(inputs);
      for (String name : want.keySet()) {
        double[] d = diff(name, want.get(name), got.get(name));
        assertTrue(d[0] > 100 * TOLERANCE * Math.max(1, d[1]), name + ": differs by only " + d[0]);
      }
    }
  }
}
