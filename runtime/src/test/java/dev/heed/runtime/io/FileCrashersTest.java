package dev.heed.runtime.io;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.runtime.WeightsException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Files that once crashed the readers or that probe their limits (resources under
 * {@code crashers/}): each is refused with a one-line message naming the file and the limit
 * or problem, before anything the size of the claimed data is allocated.
 */
class FileCrashersTest {
  private static Path resource(String name) throws Exception {
    return Path.of(FileCrashersTest.class.getResource("crashers/" + name).toURI());
  }

  private static void refused(String name, String why, Class<? extends RuntimeException> type, Hostile.Body read) throws Exception {
    Path file = resource(name);
    Hostile.check(name, file, 16_000_000, List.of(type), read);
    RuntimeException e = assertThrows(type, () -> {
      try {
        read.run();
      } catch (RuntimeException x) {
        throw x;
      } catch (Exception x) {
        throw new AssertionError(x);
      }
    });
    assertTrue(e.getMessage().contains(why), e.getMessage());
  }

  @Test
  void npyHeaderNestedTooDeeplyWasAStackOverflow() throws Exception {
    Path f = resource("deep_nesting.npy");
    refused("deep_nesting.npy", "nested deeper than 16 levels", NpyException.class, () -> Npy.read(f));
  }

  @Test
  void npyShapeLargerThanTheFile() throws Exception {
    Path f = resource("huge_shape.npy");
    refused("huge_shape.npy", "truncated", NpyException.class, () -> Npy.read(f));
  }

  @Test
  void safetensorsNameWithALineBreakGaveATwoLineMessage() throws Exception {
    Path f = resource("newline_in_name.safetensors");
    refused("newline_in_name.safetensors", "tensor 'a b'", WeightsException.class, () -> Safetensors.open(f).close());
  }

  @Test
  void safetensorsTensorLargerThanTheFile() throws Exception {
    Path f = resource("tensor_larger_than_file.safetensors");
    refused("tensor_larger_than_file.safetensors", "outside the data region", WeightsException.class,
        () -> Safetensors.open(f).close());
  }

  @Test
  void safetensorsHugeHeaderLength() throws Exception {
    Path f = resource("huge_header_length.safetensors");
    refused("huge_header_length.safetensors", "MB limit", WeightsException.class, () -> Safetensors.open(f).close());
  }

  @Test
  void randomWeightsRejectAnUnknownInitBeforeAllocating() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new RandomWeights(1).get("w", new int[] {46340, 46340}, "bogus"));
    assertTrue(e.getMessage().contains("unknown init 'bogus'"), e.getMessage());
  }
}
