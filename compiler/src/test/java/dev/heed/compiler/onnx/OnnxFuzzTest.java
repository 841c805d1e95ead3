package dev.heed.compiler.onnx;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.runtime.HeedModelFactory.ParamSpec;
import dev.heed.runtime.WeightsException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Property-based fuzzing of the ONNX weights reader: random bytes and mutated valid models.
 * Whatever the bytes, reading and binding either work or throw a {@link WeightsException}
 * whose message is one line naming the file; never another exception, never a hang.
 *
 * <p>Tries: {@code jqwik.tries.default} (junit-platform.properties); a long campaign runs
 * with {@code -Djqwik.tries.default=100000}.
 */
class OnnxFuzzTest {
  private static final byte[] VALID = TinyOnnx.model().toByteArray();
  private static final List<ParamSpec> PARAMS = List.of(
      new ParamSpec("fc.weight", new int[] {2, 3}, "uniform"),
      new ParamSpec("fc.bias", new int[] {2}, "zeros"),
      new ParamSpec("proj.weight", new int[] {3, 2}, "uniform"));

  @Property
  void randomBytes(@ForAll("noise") byte[] bytes) {
    check(bytes);
  }

  @Property
  void mutatedValidModels(@ForAll("mutated") byte[] bytes) {
    check(bytes);
  }

  @Provide
  Arbitrary<byte[]> noise() {
    return Arbitraries.randomValue(r -> {
      byte[] b = new byte[r.nextInt(r.nextBoolean() ? 24 : 400)];
      r.nextBytes(b);
      return b;
    });
  }

  @Provide
  Arbitrary<byte[]> mutated() {
    return Arbitraries.randomValue(OnnxFuzzTest::mutate);
  }

  /** The tiny valid model with a few bytes flipped, inserted, deleted, or the tail cut off. */
  static byte[] mutate(Random r) {
    byte[] b = VALID.clone();
    int edits = 1 + r.nextInt(4);
    for (int e = 0; e < edits && b.length > 0; e++) {
      int at = r.nextInt(b.length);
      switch (r.nextInt(4)) {
        case 0 -> b[at] = (byte) r.nextInt(256);
        case 1 -> b[at] ^= (byte) (1 << r.nextInt(8));
        case 2 -> {
          byte[] c = new byte[b.length + 1];
          System.arraycopy(b, 0, c, 0, at);
          c[at] = (byte) r.nextInt(256);
          System.arraycopy(b, at, c, at + 1, b.length - at);
          b = c;
        }
        default -> b = java.util.Arrays.copyOf(b, at);
      }
    }
    return b;
  }

  static void check(byte[] bytes) {
    Path file;
    try {
      file = Files.createTempFile("fuzz", ".onnx");
      Files.write(file, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
        try {
          OnnxWeights w = OnnxWeights.read(file);
          OnnxWeights.Binding b = w.check(PARAMS);
          for (String name : w.names()) w.get(name);
          if (b.ok()) for (ParamSpec p : PARAMS) b.get(p.name(), p.shape(), p.init());
        } catch (WeightsException e) {
          String m = e.getMessage();
          assertFalse(m.contains("\n"), "one line: " + m);
          assertTrue(m.contains(file.toString()), "names the file: " + m);
        }
      });
    } finally {
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // a temp file left behind is harmless
      }
    }
  }
}
