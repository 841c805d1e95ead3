package heed.examples;

import dev.heed.compiler.HeedCompiler;
import dev.heed.dsl.diag.SourceFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The specs under examples/, and how each is compiled for generated/. */
final class Examples {
  private Examples() {}

  static Path repoRoot() {
    return Path.of(System.getProperty("heed.repoRoot", "..")).toAbsolutePath().normalize();
  }

  /** Every spec under examples/, as repository-relative paths with '/' separators, sorted. */
  static List<String> specs() {
    Path root = repoRoot();
    try (Stream<Path> files = Files.walk(root.resolve("examples"))) {
      return files.filter(p -> p.toString().endsWith(".heed"))
          .map(p -> root.relativize(p).toString().replace('\\', '/'))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** examples/seed/transformer.heed → heed.examples.seed */
  static String packageOf(String spec) {
    String[] parts = spec.split("/");
    return "heed.examples." + parts[parts.length - 2].replace('-', '_');
  }

  static HeedCompiler.Result compile(String spec) {
    try {
      String text = Files.readString(repoRoot().resolve(spec));
      return HeedCompiler.compile(new SourceFile(spec, text), HeedCompiler.Options.defaults().withPackage(packageOf(spec))
          .withVerifyEachPass(true), s -> { });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
