package dev.heed.runtime.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.heed.runtime.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Property-based fuzzing of {@link Npy#read}: random bytes and mutated valid files. Whatever
 * the bytes, it returns a tensor that agrees with the file size, or throws an
 * {@link NpyException} whose message is one line naming the file; it never hangs, never
 * recurses out of stack, and never allocates much more than the file holds.
 *
 * <p>Tries per property: {@code jqwik.tries.default} in junit-platform.properties, overridden
 * with {@code -Djqwik.tries.default=100000} for a long campaign.
 */
class NpyFuzzTest {
  private static final String[] DESCRS = {"<f4", "<f8", "<f2", "<i8", "<i4", "|i1", "|u1", "|b1"};
  private static final int[] SIZES = {4, 8, 2, 8, 4, 1, 1, 1};

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
      if (b.length >= 6 && r.nextBoolean()) System.arraycopy(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'}, 0, b, 0, 6);
      return b;
    });
  }

  @Provide
  Arbitrary<byte[]> mutated() {
    return Arbitraries.randomValue(r -> FuzzFiles.mutate(valid(r), r, 4));
  }

  /** A well-formed file of a random supported descr and small shape. */
  static byte[] valid(Random r) {
    int kind = r.nextInt(DESCRS.length);
    int rank = r.nextInt(4);
    int[] shape = new int[rank];
    long count = 1;
    for (int i = 0; i < rank; i++) {
      shape[i] = r.nextInt(4);
      count *= shape[i];
    }
    byte[] header = Npy.header(DESCRS[kind], shape);
    byte[] data = new byte[(int) count * SIZES[kind]];
    r.nextBytes(data);
    return ByteBuffer.allocate(header.length + data.length).order(ByteOrder.LITTLE_ENDIAN).put(header).put(data).array();
  }

  static void check(byte[] bytes) {
    Path file = FuzzFiles.write("fuzz.npy", bytes);
    Hostile.check("Npy.read", file, 16_000_000 + 16L * bytes.length, List.of(NpyException.class), () -> {
      Tensor t = Npy.read(file);
      long count = 1;
      for (int d : t.shape()) count *= d;
      assertEquals(count, t.size(), "element count agrees with the shape");
    });
  }
}
