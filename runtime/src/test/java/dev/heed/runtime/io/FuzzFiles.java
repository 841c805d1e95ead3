package dev.heed.runtime.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Byte-level mutations shared by the file fuzzers, and a scratch folder for their inputs. */
final class FuzzFiles {
  /** Text that has broken parsers before: huge and negative numbers, deep nesting, odd strings. */
  static final String[] HOSTILE_TEXT = {
    "9223372036854775807", "9223372036854775808", "-1", "-9223372036854775808", "18446744073709551615",
    "2147483647", "2147483648", "4294967296", "1099511627776", "0", "1e309", "NaN", "-0", "99999999999999999999999",
    "(".repeat(5000), "[".repeat(5000), "{".repeat(5000), "((1,),)", "(1, 2", "'", "\"", "\\", "\u0000",
    "\n", "\r\n", "\uFFFF", "\uD800", ",", ":", "}", "]", ")", "True", "None", "L", "'<f4'", "'>f4'", "'|O'",
    "{\"a\": 1}", "[1, [2, [3]]]", "\"__metadata__\"", "{\"dtype\":\"F32\",\"shape\":[1099511627776],"
        + "\"data_offsets\":[0,4]}",
  };

  private static final Path DIR;

  static {
    try {
      DIR = Files.createTempDirectory("heed-fuzz");
      DIR.toFile().deleteOnExit();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private FuzzFiles() {}

  /** Writes {@code bytes} to a scratch file named {@code name} and returns its path. */
  static Path write(String name, byte[] bytes) {
    Path file = DIR.resolve(name);
    try {
      Files.write(file, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    file.toFile().deleteOnExit();
    return file;
  }

  /** Up to {@code max} random edits: flips, cuts, insertions, hostile text, length fields. */
  static byte[] mutate(byte[] original, Random r, int max) {
    byte[] b = original;
    int edits = 1 + r.nextInt(max);
    for (int e = 0; e < edits; e++) {
      int at = b.length == 0 ? 0 : r.nextInt(b.length);
      switch (r.nextInt(8)) {
        case 0 -> { if (b.length > 0) b = set(b, at, (byte) r.nextInt(256)); }
        case 1 -> { if (b.length > 0) b = set(b, at, (byte) (b[at] ^ (1 << r.nextInt(8)))); }
        case 2 -> b = java.util.Arrays.copyOf(b, r.nextInt(b.length + 1));
        case 3 -> b = splice(b, at, at + r.nextInt(Math.min(8, b.length - at) + 1), new byte[0]);
        case 4 -> b = splice(b, at, at, HOSTILE_TEXT[r.nextInt(HOSTILE_TEXT.length)].getBytes(StandardCharsets.UTF_8));
        case 5 -> b = replaceNumber(b, r);
        case 6 -> { // overwrite a little-endian length field at the start
          if (b.length >= 8) {
            long v = switch (r.nextInt(4)) {
              case 0 -> r.nextLong();
              case 1 -> r.nextInt(1 << 20);
              case 2 -> b.length - r.nextInt(16);
              default -> Long.MAX_VALUE - r.nextInt(3);
            };
            int width = r.nextBoolean() ? 8 : r.nextBoolean() ? 4 : 2;
            int offset = width == 8 ? 0 : 8;
            for (int i = 0; i < width && offset + i < b.length; i++) b = set(b, offset + i, (byte) (v >>> (8 * i)));
          }
        }
        default -> { // duplicate a slice
          int end = at + r.nextInt(Math.min(64, b.length - at) + 1);
          b = splice(b, end, end, java.util.Arrays.copyOfRange(b, at, end));
        }
      }
    }
    return b;
  }

  /** Replaces one run of ASCII digits with a hostile number. */
  private static byte[] replaceNumber(byte[] b, Random r) {
    int start = r.nextInt(b.length + 1);
    while (start < b.length && !Character.isDigit(b[start])) start++;
    if (start >= b.length) return b;
    int end = start;
    while (end < b.length && Character.isDigit(b[end])) end++;
    String n = HOSTILE_TEXT[r.nextInt(14)];
    return splice(b, start, end, n.getBytes(StandardCharsets.US_ASCII));
  }

  private static byte[] set(byte[] b, int at, byte v) {
    byte[] c = b.clone();
    c[at] = v;
    return c;
  }

  private static byte[] splice(byte[] b, int from, int to, byte[] insert) {
    byte[] c = new byte[b.length - (to - from) + insert.length];
    System.arraycopy(b, 0, c, 0, from);
    System.arraycopy(insert, 0, c, from, insert.length);
    System.arraycopy(b, to, c, from + insert.length, b.length - to);
    return c;
  }
}
