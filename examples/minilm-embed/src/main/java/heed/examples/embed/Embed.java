package heed.examples.embed;

import dev.heed.runtime.Weights;
import dev.heed.runtime.WeightsException;
import dev.heed.runtime.io.Safetensors;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Embeds sentences with all-MiniLM-L6-v2, compiled by heed, and prints each embedding's
 * first values and the cosine similarity matrix.
 *
 * <pre>
 * heed import-weights all-minilm-l6-v2.onnx --spec examples/minilm/minilm.heed -o minilm.safetensors
 * java --add-modules jdk.incubator.vector -cp ... heed.examples.embed.Embed --weights minilm.safetensors \
 *     "A man is playing a guitar." "Someone plays the guitar." "The stock market fell today."
 * </pre>
 *
 * Sentences come from the arguments, or else one per line from standard input.
 */
public final class Embed {
  static final String USAGE = """
      usage: Embed --weights MINILM.safetensors [--max-length N] [SENTENCE...]
        Embeds each SENTENCE (or each non-blank line of standard input) with all-MiniLM-L6-v2
        and prints the embeddings' first values and their cosine similarities.
        --weights     the model's weights; make them from the ONNX model with
                      heed import-weights all-minilm-l6-v2.onnx --spec examples/minilm/minilm.heed -o MINILM.safetensors
        --max-length  tokens per sentence, [CLS] and [SEP] included (default 128; at most 512)
      """;
  /** How many values of each embedding are printed. */
  static final int SHOWN = 6;

  private Embed() {}

  public static void main(String[] args) {
    System.exit(run(args, System.in, System.out, System.err));
  }

  /** Runs the command; returns the exit code (0 ok, 1 an error in a file, 2 a bad command line). */
  static int run(String[] args, InputStream stdin, PrintStream out, PrintStream err) {
    Path weightsFile = null;
    int maxLength = Embedder.DEFAULT_MAX_LENGTH;
    List<String> sentences = new ArrayList<>();
    try {
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "-h", "--help" -> {
            out.print(USAGE);
            return 0;
          }
          case "--weights" -> weightsFile = Path.of(value(args, ++i, "--weights"));
          case "--max-length" -> {
            String v = value(args, ++i, "--max-length");
            try {
              maxLength = Integer.parseInt(v);
            } catch (NumberFormatException e) {
              throw new IllegalArgumentException("--max-length needs a number, not '" + v + "'");
            }
            if (maxLength < 2 || maxLength > 512) throw new IllegalArgumentException("--max-length must be in 2..512");
          }
          case "--" -> {
            for (i++; i < args.length; i++) sentences.add(args[i]);
          }
          default -> {
            if (args[i].startsWith("--")) throw new IllegalArgumentException("unknown option " + args[i]);
            sentences.add(args[i]);
          }
        }
      }
      if (weightsFile == null) throw new IllegalArgumentException("--weights FILE is required");
    } catch (IllegalArgumentException e) {
      err.println("embed: error: " + e.getMessage());
      err.print(USAGE);
      return 2;
    }
    if (!Files.isRegularFile(weightsFile)) {
      err.println("embed: error: weights " + weightsFile + ": no such file");
      return 1;
    }
    try {
      if (sentences.isEmpty()) sentences = readLines(stdin);
      if (sentences.isEmpty()) {
        err.println("embed: error: no sentences (give them as arguments or as lines on standard input)");
        return 2;
      }
      try (Weights weights = Safetensors.open(weightsFile)) {
        Embedder embedder = new Embedder(weights, WordPieceTokenizer.allMiniLmL6V2(), maxLength);
        long t0 = System.nanoTime();
        float[][] e = embedder.embed(sentences);
        long t1 = System.nanoTime();
        print(sentences, embedder.encode(sentences).lengths(), e, out);
        out.printf(Locale.ROOT, "embedded %d sentence%s in %.1f ms%n", sentences.size(), sentences.size() == 1 ? "" : "s",
            (t1 - t0) / 1e6);
      }
      return 0;
    } catch (WeightsException | IOException e) {
      err.println("embed: error: " + e.getMessage());
      return 1;
    }
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) throw new IllegalArgumentException(option + " needs a value");
    return args[i];
  }

  static List<String> readLines(InputStream in) throws IOException {
    List<String> lines = new ArrayList<>();
    BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    for (String line; (line = r.readLine()) != null; ) if (!line.isBlank()) lines.add(line.strip());
    return lines;
  }

  /** Each embedding's first values, then the similarity matrix. */
  static void print(List<String> sentences, int[] tokens, float[][] e, PrintStream out) {
    for (int i = 0; i < e.length; i++) {
      StringBuilder sb = new StringBuilder();
      sb.append(String.format(Locale.ROOT, "[%d] %s%n    %d tokens  [", i, sentences.get(i), tokens[i]));
      for (int d = 0; d < Math.min(SHOWN, e[i].length); d++) sb.append(d == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.4f", e[i][d]));
      sb.append(", ...]");
      out.println(sb);
    }
    out.println("cosine similarity:");
    StringBuilder head = new StringBuilder("     ");
    for (int j = 0; j < e.length; j++) head.append(String.format(Locale.ROOT, "%7s", "[" + j + "]"));
    out.println(head);
    for (int i = 0; i < e.length; i++) {
      StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%5s", "[" + i + "]"));
      for (int j = 0; j < e.length; j++) row.append(String.format(Locale.ROOT, "%7.3f", Embedder.cosine(e[i], e[j])));
      out.println(row);
    }
  }
}
