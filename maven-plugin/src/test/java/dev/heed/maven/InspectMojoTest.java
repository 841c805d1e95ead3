package dev.heed.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectMojoTest {
  @TempDir Path tmp;

  @Test
  void writesOneReportPerSpec() throws IOException {
    Path src = Files.createDirectories(tmp.resolve("src/main/heed/com/example"));
    Files.writeString(src.resolve("tiny.heed"), """
        model Tiny {
          input x: f32[batch, seq, 8];
          param w: [8, 8];
          output y = softmax(linear(x, w));
        }
        """);
    List<String> warnings = new ArrayList<>();
    List<Path> written = InspectMojo.inspectAll(tmp.resolve("src/main/heed"), List.of("com/example/tiny.heed"),
        tmp.resolve("target/heed-report"), Map.of("seq", 4L), warnings::add);
    Path index = tmp.resolve("target/heed-report/com/example/tiny/index.html");
    assertEquals(List.of(index), written);
    String html = Files.readString(index);
    assertTrue(html.contains("batch = 1, seq = 4"), html);
    assertTrue(html.contains("<section id=\"kernels\">"));
    assertTrue(warnings.size() <= 1, warnings.toString());
  }
}
