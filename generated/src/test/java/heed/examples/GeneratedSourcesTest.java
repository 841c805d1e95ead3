package heed.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.heed.compiler.HeedCompiler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * generated/ must hold exactly what heed emits for examples/ today, so every change to
 * the emitted code shows up in review. With -Dheed.regenerate=true it rewrites them.
 */
class GeneratedSourcesTest {
  static final String REFRESH = "bin/regenerate";
  static final String SERVICES = "META-INF/services/dev.heed.runtime.HeedModelFactory";

  @Test
  void checkedInSourcesMatchTheCompiler() throws IOException {
    Path gen = Examples.repoRoot().resolve("generated/src/main");
    Map<String, String> expected = new TreeMap<>();
    List<String> services = new ArrayList<>();
    for (String spec : Examples.specs()) {
      HeedCompiler.Result r = Examples.compile(spec);
      r.javaSources().forEach((fqcn, src) -> expected.put("java/" + fqcn.replace('.', '/') + ".java", src));
      services.add(r.serviceEntries().strip());
    }
    expected.put("resources/" + SERVICES, String.join("\n", new TreeSet<>(services)) + "\n");

    Map<String, String> actual = new TreeMap<>();
    try (Stream<Path> files = Files.walk(gen)) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        actual.put(gen.relativize(p).toString().replace('\\', '/'), Files.readString(p, StandardCharsets.UTF_8));
      }
    }
    if (Boolean.getBoolean("heed.regenerate")) {
      for (String stale : actual.keySet()) if (!expected.containsKey(stale)) Files.delete(gen.resolve(stale));
      for (Map.Entry<String, String> e : expected.entrySet()) {
        Path p = gen.resolve(e.getKey());
        Files.createDirectories(p.getParent());
        Files.writeString(p, e.getValue(), StandardCharsets.UTF_8);
      }
      return;
    }
    List<String> problems = new ArrayList<>();
    for (String k : expected.keySet()) {
      if (!actual.containsKey(k)) problems.add("missing: generated/src/main/" + k);
      else if (!actual.get(k).equals(expected.get(k))) problems.add("differs: generated/src/main/" + k);
    }
    for (String k : actual.keySet()) if (!expected.containsKey(k)) problems.add("stale: generated/src/main/" + k);
    if (!problems.isEmpty()) {
      fail("generated/ is out of date with the compiler (" + String.join("; ", problems) + "). Refresh it with: " + REFRESH);
    }
  }

  @Test
  void emittingTwiceGivesTheSameBytes() {
    for (String spec : Examples.specs()) {
      assertEquals(Examples.compile(spec).javaSources(), Examples.compile(spec).javaSources(), spec);
    }
  }
}
