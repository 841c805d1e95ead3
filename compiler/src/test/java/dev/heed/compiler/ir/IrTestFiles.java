package dev.heed.compiler.ir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads the test resources' {@code .ir} files and splits them into cases.
 *
 * <p>A file holds cases separated by a line {@code // -----}. A case opens with
 * {@code // CHECK-what: <what it checks>}, then the input graph, then either a line
 * {@code // expected:} followed by the exact printed IR expected, or a line
 * {@code // expected-error: <substring of the error message>}. Files that are one plain graph
 * (no CHECK line) are one case with no expectation.
 */
public final class IrTestFiles {
  private IrTestFiles() {}

  /** One case. {@code expected} and {@code expectedError} are null when absent; {@code line} is where the case starts (1-based). */
  public record Case(Path file, int line, String what, String input, String expected, String expectedError) {
    public String displayName() { return file.getFileName() + ":" + line + ": " + what; }

    /** For parse error messages; {@code input} is padded with blank lines so its line numbers are the file's. */
    public String sourceName() { return file.getFileName().toString(); }
  }

  /** The folder holding the compiler's test resources: the source folder when known, else the classpath copy. */
  public static Path resourcesRoot() {
    String repo = System.getProperty("heed.repoRoot");
    if (repo != null) {
      Path src = Paths.get(repo, "compiler", "src", "test", "resources");
      if (Files.isDirectory(src)) return src;
    }
    URL url = IrTestFiles.class.getResource("/passes");
    if (url == null) throw new IllegalStateException("test resources not found on the classpath");
    try {
      return Paths.get(url.toURI()).getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every {@code .ir} file under {@code folder} (relative to the resources root, "" for all), sorted. */
  public static List<Path> irFiles(String folder) {
    Path dir = folder.isEmpty() ? resourcesRoot() : resourcesRoot().resolve(folder);
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> p.toString().endsWith(".ir") && Files.isRegularFile(p)).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The cases of one file; throws if a case is malformed (no CHECK-what line, no graph). */
  public static List<Case> cases(Path file) {
    String[] lines = read(file).split("\n", -1);
    List<Case> out = new ArrayList<>();
    int start = 0;
    for (int i = 0; i <= lines.length; i++) {
      if (i == lines.length || lines[i].strip().equals("// -----")) {
        out.add(parseCase(file, lines, start, i));
        start = i + 1;
      }
    }
    return out;
  }

  private static Case parseCase(Path file, String[] lines, int from, int to) {
    int first = from;
    while (first < to && lines[first].isBlank()) first++;
    String what = null;
    String head = first < to ? lines[first].strip() : "";
    if (head.startsWith("// CHECK-what:")) {
      what = head.substring("// CHECK-what:".length()).strip();
      first++;
    }
    StringBuilder input = new StringBuilder("\n".repeat(first));
    StringBuilder expected = null;
    String expectedError = null;
    for (int i = first; i < to; i++) {
      String s = lines[i].strip();
      if (s.equals("// expected:")) {
        expected = new StringBuilder();
      } else if (s.startsWith("// expected-error:")) {
        expectedError = s.substring("// expected-error:".length()).strip();
      } else if (expected != null) {
        expected.append(lines[i]).append('\n');
      } else if (expectedError == null) {
        input.append(lines[i]).append('\n');
      }
    }
    if (!input.toString().contains("graph")) {
      throw new IllegalStateException(file + ":" + (from + 1) + ": case has no input graph");
    }
    if (what == null && (expected != null || expectedError != null)) {
      throw new IllegalStateException(file + ":" + (from + 1) + ": case must open with '// CHECK-what: <what it checks>'");
    }
    return new Case(file, first, what == null ? "graph" : what, input.toString(),
        expected == null ? null : expected.toString().strip() + "\n", expectedError);
  }
}
