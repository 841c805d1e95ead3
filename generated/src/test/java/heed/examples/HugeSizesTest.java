package heed.examples;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.runtime.Tensor;
import dev.heed.runtime.io.RandomWeights;
import heed.examples.gpt.Gpt;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Sizes bound at run time are checked before any buffer is allocated, naming the buffer. */
class HugeSizesTest {
  @Test
  void aSequenceWhoseAttentionScoresCannotFitIsRejectedUpFront() {
    Gpt model = new Gpt(new RandomWeights(1));
    int seq = 50_000;  // the causal mask alone would be [50000, 50000] = 2.5e9 floats
    Tensor ids = Tensor.ofLongs(new long[seq], 1, seq);
    long before = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.run(Map.of("ids", ids)));
    assertTrue(e.getMessage().contains("f32[seq, seq]") && e.getMessage().contains("2500000000 elements"), e.getMessage());
    long after = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
    assertTrue(after - before < 256L << 20, "nothing large was allocated before the check");
  }
}
