package dev.heed.compiler.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.heed.dsl.SpecParser;
import dev.heed.dsl.diag.HeedException;
import dev.heed.dsl.diag.SourceFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Semantic diagnostics as a table: each case in diagnostics/lowering.heedtest is a spec
 * and the exact text heed prints for it. With -Dheed.updateGolden=true the expectations
 * are rewritten (then read the diff before committing).
 */
class LoweringDiagnosticsTest {
  private static final String RESOURCE = "/diagnostics/lowering.heedtest";

  record Case(String title, String spec, String expected) {}

  static List<Case> cases(String text) {
    List<Case> out = new ArrayList<>();
    String[] chunks = text.split("(?m)^// -----\n");
    for (int i = 1; i < chunks.length; i++) {
      String c = chunks[i];
      int nl = c.indexOf('\n');
      String title = c.substring(0, nl).replaceFirst("^// ", "");
      int ex = c.indexOf("// expect:\n");
      String spec = c.substring(nl + 1, ex);
      String expected = c.substring(ex + "// expect:\n".length());
      expected = expected.lines().map(l -> l.startsWith("// ") ? l.substring(3) : l.replaceFirst("^//$", ""))
          .reduce("", (a, b) -> a + b + "\n");
      out.add(new Case(title, spec, expected));
    }
    return out;
  }

  static String diagnose(String spec) {
    try {
      Lowering.lower(SpecParser.parse(new SourceFile("t.heed", spec)));
      return "(no errors)\n";
    } catch (HeedException e) {
      return e.render();
    }
  }

  @TestFactory
  Stream<DynamicTest> eachCasePrintsExactlyTheExpectedDiagnostics() throws IOException {
    String text;
    try (InputStream in = getClass().getResourceAsStream(RESOURCE)) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    List<Case> cases = cases(text);
    if (Boolean.getBoolean("heed.updateGolden")) {
      StringBuilder sb = new StringBuilder(text.substring(0, text.indexOf("// -----\n")));
      for (Case c : cases) {
        sb.append("// -----\n// ").append(c.title()).append('\n').append(c.spec()).append("// expect:\n");
        for (String l : diagnose(c.spec()).lines().toList()) sb.append(l.isEmpty() ? "//" : "// " + l).append('\n');
      }
      Path src = Path.of(System.getProperty("heed.repoRoot", "..")).resolve("compiler/src/test/resources" + RESOURCE);
      Files.writeString(src, sb.toString(), StandardCharsets.UTF_8);
    }
    if (cases.size() < 10) fail("expected at least 10 cases, found " + cases.size());
    return cases.stream().map(c -> DynamicTest.dynamicTest(c.title(), () -> assertEquals(c.expected(), diagnose(c.spec()))));
  }
}
