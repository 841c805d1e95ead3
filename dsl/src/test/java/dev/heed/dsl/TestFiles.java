package dev.heed.dsl;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Reads test resources next to this class. */
final class TestFiles {
  private TestFiles() {}

  static String read(String name) {
    try (InputStream in = TestFiles.class.getResourceAsStream(name)) {
      if (in == null) throw new IllegalArgumentException("no test resource " + name);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
