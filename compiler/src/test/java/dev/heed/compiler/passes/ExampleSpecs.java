package dev.heed.compiler.passes;

import dev.heed.compiler.ir.Dim;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.lower.Lowering;
import dev.heed.dsl.SpecParser;
import dev.heed.dsl.diag.SourceFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The specs under {@code examples/} (as {@code ExamplesTest} lists them), lowered without the
 * emitter: the pass tests depend on the IR only.
 */
final class ExampleSpecs {
  private ExampleSpecs() {}

  static Path root() {
    return Path.of(System.getProperty("heed.repoRoot", "..")).toAbsolutePath().normalize();
  }

  /** Every {@code .heed} file under examples/, sorted. */
  static List<Path> specs() {
    try (Stream<Path> s = Files.walk(root().resolve("examples"))) {
      return s.filter(p -> p.toString().endsWith(".heed")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code examples/attention/additive.heed} → {@code attention/additive}. */
  static String shortName(Path spec) {
    String rel = root().resolve("examples").relativize(spec).toString().replace('\\', '/');
    return rel.substring(0, rel.length() - ".heed".length());
  }

  /** The IR straight from lowering. */
  static Graph lower(Path spec) {
    try {
      return Lowering.lower(SpecParser.parse(new SourceFile(spec.toString(), Files.readString(spec, StandardCharsets.UTF_8))));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Sizes for every dimension symbol of {@code g}'s inputs: {@code batch} = the given batch;
   * the sequence symbols each a different length from {@code seq} up (so that q_seq ≠ k_seq
   * and src_seq ≠ tgt_seq are exercised), at most 2·seq + 8.
   */
  static Map<String, Integer> sizes(Graph g, int batch, int seq) {
    Map<String, Integer> out = new LinkedHashMap<>();
    int next = seq;
    for (Node in : g.inputs()) {
      for (Dim d : in.type().shape()) {
        if (!(d instanceof Dim.Sym s) || out.containsKey(s.name())) continue;
        if (s.name().equals("batch")) {
          out.put("batch", batch);
        } else {
          out.put(s.name(), next);
          next = Math.min(next + (seq > 1 ? 3 : 0), 2 * seq + 8);
        }
      }
    }
    return out;
  }
}
