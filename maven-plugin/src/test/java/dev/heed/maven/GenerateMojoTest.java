package dev.heed.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.heed.compiler.HeedCompiler;
import dev.heed.dsl.diag.DiagnosticPrinter;
import dev.heed.dsl.diag.HeedException;
import dev.heed.dsl.diag.SourceFile;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class GenerateMojoTest {
  @Test
  void diagnosticsNameTheSpecByItsAbsolutePath() {
    String text = "model M {\n  input x: f32[n, 4];\n  output y = softmax(z);\n}\n";
    HeedException e = org.junit.jupiter.api.Assertions.assertThrows(HeedException.class,
        () -> HeedCompiler.compile(new SourceFile("src/main/heed/t.heed", text), HeedCompiler.Options.defaults(), s -> { }));
    Path file = Path.of("/abs/project/src/main/heed/t.heed");
    String rendered = DiagnosticPrinter.render(GenerateMojo.locate(e.diagnostics(), "src/main/heed/t.heed", file));
    assertEquals(e.render().replace("src/main/heed/t.heed:", file + ":"), rendered);
    assertEquals(file + ":3:22: error:", rendered.substring(0, rendered.indexOf(" error:") + 7));
  }

  @Test
  void fingerprintIsStableAndCoversHeed() {
    assertEquals(HeedFingerprint.current(), HeedFingerprint.current());
    assertEquals(64, HeedFingerprint.current().length());
    assertEquals(HeedFingerprint.current(), HeedFingerprint.compute(
        java.util.List.of(HeedCompiler.class, dev.heed.dsl.SpecParser.class, HeedFingerprint.class)));
  }
}
