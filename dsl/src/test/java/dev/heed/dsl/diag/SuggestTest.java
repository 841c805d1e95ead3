package dev.heed.dsl.diag;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SuggestTest {
  private static final List<String> INITS = List.of("zeros", "ones", "uniform", "normal");

  @Test
  void findsOneTypo() {
    assertEquals(Optional.of("ones"), Suggest.closest("onez", INITS));
    assertEquals(Optional.of("normal"), Suggest.closest("normla", INITS)); // transposition counts once
    assertEquals(Optional.of("uniform"), Suggest.closest("unifrm", INITS));
  }

  @Test
  void rejectsCandidatesTooFarAway() {
    assertEquals(Optional.empty(), Suggest.closest("gaussian", INITS));
    // "ab" -> "xy" is two edits, more than max(1, 2 / 3) = 1.
    assertEquals(Optional.empty(), Suggest.closest("ab", List.of("xy")));
    // A one-letter name is never "close" to a different one-letter name.
    assertEquals(Optional.empty(), Suggest.closest("x", List.of("y")));
    assertEquals(Optional.empty(), Suggest.closest("anything", List.of()));
  }

  @Test
  void allowsMoreEditsForLongerNames() {
    // 16 letters allow 5 edits; 2 are needed here. 7 letters allow 2; 6 letters, 3 would be too many.
    assertEquals(Optional.of("MultiHeadAttention"), Suggest.closest("MultiHedAtention", List.of("MultiHeadAttention")));
    assertEquals(Optional.of("LayerNorm"), Suggest.closest("LayrNrm", List.of("LayerNorm")));
    assertEquals(Optional.empty(), Suggest.closest("LyrNrm", List.of("LayerNorm")));
  }

  @Test
  void prefersACaseInsensitiveMatch() {
    assertEquals(Optional.of("LayerNorm"), Suggest.closest("layernorm", List.of("LayerNorms", "LayerNorm")));
    assertEquals(Optional.of("relu"), Suggest.closest("Relu", List.of("RELU", "relu", "gelu")));
  }

  @Test
  void breaksTiesAlphabetically() {
    assertEquals(Optional.of("bat"), Suggest.closest("cat", List.of("rat", "hat", "bat")));
    assertEquals(Optional.of("bat"), Suggest.closest("cat", List.of("bat", "rat", "hat")));
  }

  @Test
  void neverSuggestsTheNameItself() {
    assertEquals(Optional.of("linear"), Suggest.closest("Linear", List.of("Linear", "linear")));
  }

  @Test
  void didYouMeanFormatsTheSuggestion() {
    assertEquals("; did you mean 'ones'?", Suggest.didYouMean("onez", INITS));
    assertEquals("", Suggest.didYouMean("gaussian", INITS));
  }

  @Test
  void distanceIsDamerauLevenshtein() {
    assertEquals(0, Suggest.distance("abc", "abc"));
    assertEquals(1, Suggest.distance("abc", "acb"));
    assertEquals(1, Suggest.distance("abc", "abcd"));
    assertEquals(3, Suggest.distance("kitten", "sitting"));
    assertEquals(4, Suggest.distance("", "abcd"));
  }
}
