package dev.heed.compiler.inspect;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** Where the inspect tests find the examples and keep what they make. */
final class ReportFiles {
  private ReportFiles() {}

  static Path repoRoot() {
    return Path.of(System.getProperty("heed.repoRoot", "..")).toAbsolutePath().normalize();
  }

  static Path multiHead() {
    return repoRoot().resolve("examples/attention/multi_head.heed");
  }

  /** The module's build folder ({@code target}, or what {@code -Dheed.target} named). */
  static Path buildDir() {
    try {
      Path classes = Path.of(ReportFiles.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return classes.getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
