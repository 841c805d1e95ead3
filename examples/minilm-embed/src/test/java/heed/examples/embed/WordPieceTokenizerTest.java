package heed.examples.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tokenizer against all-MiniLM-L6-v2's vocabulary (30522 tokens). Expected pieces follow
 * BERT's rules by hand; their ids were looked up in the tokenizer json's {@code model.vocab},
 * and every multi-piece split was checked there: each longer prefix is absent.
 */
class WordPieceTokenizerTest {
  static WordPieceTokenizer tok;

  @BeforeAll
  static void load() {
    tok = WordPieceTokenizer.allMiniLmL6V2();
  }

  static void assertTokens(String text, List<String> tokens, long... ids) {
    assertEquals(tokens, tok.tokenize(text), text);
    long[] withSpecials = new long[ids.length + 2];
    withSpecials[0] = 101;
    System.arraycopy(ids, 0, withSpecials, 1, ids.length);
    withSpecials[ids.length + 1] = 102;
    assertArrayEquals(withSpecials, tok.encode(text, 512), text);
  }

  @Test
  void theVocabularyIsBertUncased() {
    assertEquals(30522, tok.vocab().size());
    assertEquals(0, tok.padId());
    assertEquals(100, tok.id("[UNK]"));
    assertEquals(100, tok.id("no-such-token"));
    assertEquals(1996, tok.id("the"));
  }

  @Test
  void punctuationIsSplitOff() {
    assertTokens("Hello, world!", List.of("hello", ",", "world", "!"), 7592, 1010, 2088, 999);
    // ASCII symbols count as punctuation too ($ and % are not Unicode P*).
    assertTokens("Don't pay $100%!", List.of("don", "'", "t", "pay", "$", "100", "%", "!"),
        2123, 1005, 1056, 3477, 1002, 2531, 1003, 999);
    // A Unicode dash (Pd) between two words.
    assertTokens("über—straße", List.of("uber", "—", "st", "##raße"), 19169, 1517, 2358, 27807);
  }

  @Test
  void accentsAreStrippedAndCaseIsFolded() {
    assertTokens("Café naïve RÉSUMÉ", List.of("cafe", "naive", "resume"), 7668, 15743, 13746);
    assertEquals(tok.tokenize("cafe naive resume"), tok.tokenize("CAFÉ NAÏVE résumé"));
    // Decomposed input (e + U+0301) is the same word.
    assertEquals(List.of("cafe"), tok.tokenize("cafe\u0301"));
  }

  @Test
  void unknownWordsAreSplitIntoPiecesGreedily() {
    // "unaffable": no "unaf..." prefix longer than "una"; then "##ffa", then "##ble".
    assertTokens("unaffable tokenization", List.of("una", "##ffa", "##ble", "token", "##ization"),
        14477, 20961, 3468, 19204, 3989);
    assertTokens("HuggingFace's jalapeño", List.of("hugging", "##face", "'", "s", "ja", "##la", "##pen", "##o"),
        17662, 12172, 1005, 1055, 14855, 2721, 11837, 2080);
    assertTokens("hyperparameter embeddings", List.of("hyper", "##para", "##meter", "em", "##bed", "##ding", "##s"),
        23760, 28689, 22828, 7861, 8270, 4667, 2015);
  }

  @Test
  void aWordWithAnUnmatchablePartIsOneUnknownToken() {
    // The emoji is neither punctuation nor in the vocabulary, so the whole word is [UNK].
    assertTokens("a🙂b c", List.of("[UNK]", "c"), 100, 1039);
  }

  @Test
  void wordsLongerThan100CharactersAreUnknown() {
    List<String> hundred = tok.tokenize("x".repeat(100));
    assertEquals(50, hundred.size());
    assertEquals("xx", hundred.get(0));
    assertTrue(hundred.subList(1, 50).stream().allMatch("##xx"::equals), hundred.toString());
    assertEquals(List.of("[UNK]"), tok.tokenize("x".repeat(101)));
    // Characters, not UTF-16 units: 100 ideographs outside the BMP would be 200 chars.
    assertEquals(List.of("[UNK]"), tok.wordPieces("\uD83D\uDE42".repeat(60)));
  }

  @Test
  void cjkIdeographsAreWordsOfTheirOwn() {
    assertTokens("中国 is big", List.of("中", "国", "is", "big"), 1746, 1799, 2003, 2502);
    assertEquals(List.of("中", "国"), tok.tokenize("中国"));
  }

  @Test
  void whitespaceAndControlCharactersAreCleaned() {
    assertTokens("tab\tand\nnewline  spaces", List.of("tab", "and", "new", "##line", "spaces"),
        21628, 1998, 2047, 4179, 7258);
    // zero-width space (Cf) and NUL are dropped; a no-break space (Zs) separates words.
    assertEquals(List.of("hello", "world"), tok.tokenize("hel\u200Blo\u00A0world\u0000"));
    assertEquals(List.of(), tok.tokenize(" \t\n "));
    assertArrayEquals(new long[] {101, 102}, tok.encode("", 128));
  }

  /** The three sentences the end-to-end test embeds. */
  @Test
  void theEndToEndSentences() {
    assertTokens("A man is playing a guitar.", List.of("a", "man", "is", "playing", "a", "guitar", "."),
        1037, 2158, 2003, 2652, 1037, 2858, 1012);
    assertTokens("Someone is playing the guitar.", List.of("someone", "is", "playing", "the", "guitar", "."),
        2619, 2003, 2652, 1996, 2858, 1012);
    assertTokens("The stock market fell sharply today.", List.of("the", "stock", "market", "fell", "sharply", "today", "."),
        1996, 4518, 3006, 3062, 9249, 2651, 1012);
  }

  @Test
  void encodingTruncatesAndABatchIsPaddedOnTheRight() {
    assertArrayEquals(new long[] {101, 7592, 1010, 102}, tok.encode("Hello, world!", 4));
    assertThrows(IllegalArgumentException.class, () -> tok.encode("x", 1));
    WordPieceTokenizer.Batch b = tok.encodeBatch(List.of("Hello, world!", "hello"), 128);
    assertEquals(2, b.batch());
    assertEquals(6, b.seq());
    assertArrayEquals(new int[] {6, 3}, b.lengths());
    assertArrayEquals(new long[] {101, 7592, 1010, 2088, 999, 102, 101, 7592, 102, 0, 0, 0}, b.inputIds());
    assertArrayEquals(new long[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0}, b.attentionMask());
    assertArrayEquals(new long[12], b.tokenTypeIds());
  }

  @Test
  void aTokenizerJsonNeedsAWordPieceVocabulary() throws IOException {
    String json = """
        {"version": "1.0", "added_tokens": [{"id": 0}], "model": {"type": "WordPiece", "unk_token": "[UNK]",
         "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "play": 4, "##ing": 5}}}
        """;
    WordPieceTokenizer small = WordPieceTokenizer.fromTokenizerJson(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
    assertArrayEquals(new long[] {2, 4, 5, 1, 3}, small.encode("Playing plays", 16));
    IOException e = assertThrows(IOException.class, () -> WordPieceTokenizer.fromTokenizerJson(
        new ByteArrayInputStream("{\"model\": {\"type\": \"BPE\", \"vocab\": {}}}".getBytes(StandardCharsets.UTF_8))));
    assertTrue(e.getMessage().contains("BPE"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new WordPieceTokenizer(Map.of("a", 0)));
  }
}
