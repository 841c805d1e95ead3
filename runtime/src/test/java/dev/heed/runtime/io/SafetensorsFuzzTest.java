package dev.heed.runtime.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.heed.runtime.Tensor;
import dev.heed.runtime.WeightsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Property-based fuzzing of {@link Safetensors}: random bytes and mutated valid files are
 * opened and every tensor read. Whatever the bytes, each call returns data that agrees with
 * the header, or throws a {@link WeightsException} whose message is one line naming the file;
 * never a hang, a stack overflow, or an allocation much larger than the file.
 *
 * <p>Tries per property: {@code jqwik.tries.default} in junit-platform.properties, overridden
 * with {@code -Djqwik.tries.default=100000} for a long campaign.
 */
class SafetensorsFuzzTest {
  @Property
  void randomBytes(@ForAll("noise") byte[] bytes) {
    check(bytes);
  }

  @Property
  void mutatedValidFiles(@ForAll("mutated") byte[] bytes) {
    check(bytes);
  }

  @Provide
  Arbitrary<byte[]> noise() {
    return Arbitraries.randomValue(r -> {
      byte[] b = new byte[r.nextInt(r.nextBoolean() ? 16 : 300)];
      r.nextBytes(b);
      if (b.length >= 8 && r.nextBoolean()) {
        long n = r.nextInt(b.length - 7);
        for (int i = 0; i < 8; i++) b[i] = (byte) (n >>> (8 * i));
      }
      return b;
    });
  }

  @Provide
  Arbitrary<byte[]> mutated() {
    return Arbitraries.randomValue(r -> FuzzFiles.mutate(VALID.get(r.nextInt(VALID.size())), r, 4));
  }

  private static final String[] NAMES = {"w", "layer.0.weight", "a\"b", "x\\y", "é", "\n", ""};

  /** Valid checkpoints to mutate, made once: writing one costs an fsync. */
  private static final List<byte[]> VALID = java.util.stream.IntStream.range(0, 64)
      .mapToObj(i -> valid(new Random(i))).toList();


  /** A well-formed checkpoint of a few small tensors. */
  static byte[] valid(Random r) {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    int n = r.nextInt(3);
    for (int i = 0; i < n; i++) {
      int[] shape = new int[r.nextInt(3)];
      int count = 1;
      for (int k = 0; k < shape.length; k++) {
        shape[k] = r.nextInt(3);
        count *= shape[k];
      }
      float[] data = new float[count];
      for (int k = 0; k < count; k++) data[k] = (float) r.nextGaussian();
      tensors.put(NAMES[r.nextInt(NAMES.length)] + i, Tensor.ofFloats(data, shape));
    }
    Path file = FuzzFiles.write("valid.safetensors", new byte[0]);
    SafetensorsWriter.write(file, tensors, r.nextBoolean() ? Map.of("format", "pt") : Map.of());
    try {
      return Files.readAllBytes(file);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static void check(byte[] bytes) {
    Path file = FuzzFiles.write("fuzz.safetensors", bytes);
    Hostile.check("Safetensors", file, 16_000_000 + 16L * bytes.length, List.of(WeightsException.class), () -> {
      try (Safetensors st = Safetensors.open(file)) {
        for (String name : st.names()) {
          int[] shape = st.shapeOf(name);
          long count = 1;
          for (int d : shape) count *= d;
          assertEquals(count, st.get(name).length, "tensor '" + name + "' agrees with its shape");
          st.get(name, shape, "zeros");
        }
        st.metadata();
      }
    });
  }
}
