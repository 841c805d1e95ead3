package heed.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.heed.compiler.HeedCompiler;
import dev.heed.dsl.diag.SourceFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * generated/src/tornadovm/java must hold exactly what {@code --target tornadovm} emits for
 * examples/ today: each model class as a tornadovm build has it (the jvm target's, delegating to
 * TornadoVM) and its {@code <Model>Tornado} class. CI has no TornadoVM: these files are compared
 * here, byte for byte, and compiled (the TornadoVM classes, with -g) only under
 * {@code -Ptornadovm}. With -Dheed.regenerate=true it rewrites them ({@code bin/regenerate}).
 */
class GeneratedTornadoSourcesTest {
  static final String DIR = "generated/src/tornadovm/java";

  static HeedCompiler.Result compile(String spec) {
    try {
      String text = Files.readString(Examples.repoRoot().resolve(spec));
      return HeedCompiler.compile(new SourceFile(spec, text), HeedCompiler.Options.defaults()
          .withPackage(Examples.packageOf(spec)).withTarget(HeedCompiler.TARGET_TORNADOVM).withVerifyEachPass(true), s -> { });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void checkedInTornadoSourcesMatchTheCompiler() throws IOException {
    Path dir = Examples.repoRoot().resolve(DIR);
    Map<String, String> expected = new TreeMap<>();
    for (String spec : Examples.specs()) {
      HeedCompiler.Result r = compile(spec);
      assertEquals(2, r.javaSources().size(), spec + ": the model class and its TornadoVM class");
      r.javaSources().forEach((fqcn, src) -> expected.put(fqcn.replace('.', '/') + ".java", src));
    }
    Map<String, String> actual = new TreeMap<>();
    if (Files.isDirectory(dir)) {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.filter(Files::isRegularFile).toList()) {
          actual.put(dir.relativize(p).toString().replace('\\', '/'), Files.readString(p, StandardCharsets.UTF_8));
        }
      }
    }
    if (Boolean.getBoolean("heed.regenerate")) {
      for (String stale : actual.keySet()) if (!expected.containsKey(stale)) Files.delete(dir.resolve(stale));
      for (Map.Entry<String, String> e : expected.entrySet()) {
        Path p = dir.resolve(e.getKey());
        Files.createDirectories(p.getParent());
        Files.writeString(p, e.getValue(), StandardCharsets.UTF_8);
      }
      return;
    }
    List<String> problems = new ArrayList<>();
    for (String k : expected.keySet()) {
      if (!actual.containsKey(k)) problems.add("missing: " + DIR + "/" + k);
      else if (!actual.get(k).equals(expected.get(k))) problems.add("differs: " + DIR + "/" + k);
    }
    for (String k : actual.keySet()) if (!expected.containsKey(k)) problems.add("stale: " + DIR + "/" + k);
    if (!problems.isEmpty()) {
      fail(DIR + " is out of date with the compiler (" + String.join("; ", problems) + "). Refresh it with: "
          + GeneratedSourcesTest.REFRESH);
    }
  }

  @Test
  void theTornadoBuildsModelClassIsTheJvmOneDelegating() {
    for (String spec : Examples.specs()) {
      Map<String, String> tornado = compile(spec).javaSources();
      Map<String, String> jvm = Examples.compile(spec).javaSources();
      for (Map.Entry<String, String> e : jvm.entrySet()) {
        String patched = tornado.get(e.getKey());
        assertTrue(patched != null && patched.contains("Accelerators.load("), spec);
        // Every line of the jvm class is still there, in order: the jvm kernels are the fallback.
        int at = 0;
        for (String line : e.getValue().split("\n")) {
          if (line.startsWith("import ")) continue;
          int i = patched.indexOf(line, at);
          assertTrue(i >= 0, spec + ": the tornadovm build's model class lost the line: " + line);
          at = i + line.length();
        }
      }
    }
  }

  @Test
  void emittingTwiceGivesTheSameBytes() {
    for (String spec : Examples.specs()) assertEquals(compile(spec).javaSources(), compile(spec).javaSources(), spec);
  }
}
