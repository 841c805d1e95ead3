package heed.examples.embed;

import dev.heed.runtime.Tensor;
import dev.heed.runtime.Weights;
import heed.examples.minilm.MiniLM;
import java.util.List;

/**
 * Sentence embeddings from all-MiniLM-L6-v2 as sentence-transformers computes them: the
 * compiled {@link MiniLM}'s {@code last_hidden_state}, mean-pooled over each sentence's
 * tokens (padding excluded) and L2-normalised.
 */
public final class Embedder {
  /** The width of an embedding. */
  public static final int DIM = 384;
  /** The longest input, in tokens with [CLS] and [SEP], as the tokenizer json truncates. */
  public static final int DEFAULT_MAX_LENGTH = 128;

  private final MiniLM model;
  private final WordPieceTokenizer tokenizer;
  private final int maxLength;

  /** An embedder over the model built from {@code weights}. */
  public Embedder(Weights weights, WordPieceTokenizer tokenizer, int maxLength) {
    this(new MiniLM(weights), tokenizer, maxLength);
  }

  /** An embedder over {@code model}. */
  public Embedder(MiniLM model, WordPieceTokenizer tokenizer, int maxLength) {
    if (maxLength < 2 || maxLength > 512) throw new IllegalArgumentException("max length " + maxLength + " is not in 2..512");
    this.model = model;
    this.tokenizer = tokenizer;
    this.maxLength = maxLength;
  }

  public WordPieceTokenizer tokenizer() { return tokenizer; }

  /** The token batch {@link #embed} runs for {@code sentences}. */
  public WordPieceTokenizer.Batch encode(List<String> sentences) {
    return tokenizer.encodeBatch(sentences, maxLength);
  }

  /** One unit-length embedding per sentence. */
  public float[][] embed(List<String> sentences) {
    if (sentences.isEmpty()) return new float[0][];
    WordPieceTokenizer.Batch b = encode(sentences);
    Tensor hidden = model.forward(Tensor.ofLongs(b.inputIds(), b.batch(), b.seq()),
        Tensor.ofLongs(b.attentionMask(), b.batch(), b.seq()),
        Tensor.ofLongs(b.tokenTypeIds(), b.batch(), b.seq())).lastHiddenState();
    return meanPoolAndNormalize(hidden.floats(), b.batch(), b.seq(), b.attentionMask());
  }

  /** Mean of each row's token vectors where {@code mask} is 1, L2-normalised. */
  public static float[][] meanPoolAndNormalize(float[] hidden, int batch, int seq, long[] mask) {
    float[][] out = new float[batch][];
    for (int r = 0; r < batch; r++) {
      double[] sum = new double[DIM];
      int n = 0;
      for (int p = 0; p < seq; p++) {
        if (mask[r * seq + p] == 0) continue;
        n++;
        int base = (r * seq + p) * DIM;
        for (int d = 0; d < DIM; d++) sum[d] += hidden[base + d];
      }
      double norm = 0;
      for (int d = 0; d < DIM; d++) {
        sum[d] /= Math.max(n, 1);
        norm += sum[d] * sum[d];
      }
      norm = Math.max(Math.sqrt(norm), 1e-12);
      float[] v = new float[DIM];
      for (int d = 0; d < DIM; d++) v[d] = (float) (sum[d] / norm);
      out[r] = v;
    }
    return out;
  }

  /** The cosine similarity of two vectors. */
  public static double cosine(float[] a, float[] b) {
    double dot = 0, na = 0, nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }
}
