package dev.heed.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerationStateTest {
  static GenerationState sample() {
    return new GenerationState("h", "jvm", "/o", "/r", Map.of(
        "b.heed", new GenerationState.SpecState("s2", "p", Map.of("p/B.java", "d2", "p/B2.java", "d3"), List.of("p.B$Factory")),
        "a \"quoted\"\\.heed", new GenerationState.SpecState("s1", "heed.models", Map.of(), List.of())));
  }

  @Test
  void roundTrips(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("x/state.json");
    sample().write(f);
    assertEquals(sample(), GenerationState.read(f));
    assertEquals(List.of("a \"quoted\"\\.heed", "b.heed"), List.copyOf(GenerationState.read(f).specs().keySet()));
  }

  @Test
  void theFileIsStable() throws Exception {
    assertEquals(new String(sample().toJson()), new String(sample().toJson()));
    assertEquals("""
        {
          "format" : 1,
          "heed" : "h",
          "target" : "jvm",
          "outputDirectory" : "/o",
          "resourceOutputDirectory" : "/r",
          "specs" : {
            "b.heed" : {
              "sha256" : "s2",
              "package" : "p",
              "outputs" : {
                "p/B.java" : "d2",
                "p/B2.java" : "d3"
              },
              "services" : [ "p.B$Factory" ]
            }
          }
        }
        """, new String(new GenerationState("h", "jvm", "/o", "/r",
            Map.of("b.heed", sample().specs().get("b.heed"))).toJson()));
  }

  @Test
  void missingBrokenOrForeignFilesReadAsNull(@TempDir Path dir) throws Exception {
    assertNull(GenerationState.read(dir.resolve("none.json")));
    for (String text : List.of("", "{", "[]", "{\"format\":2,\"heed\":\"h\",\"target\":\"jvm\",\"outputDirectory\":\"/o\","
        + "\"resourceOutputDirectory\":\"/r\",\"specs\":{}}", "{\"format\":1}",
        "{\"format\":1,\"heed\":\"h\",\"target\":\"jvm\",\"outputDirectory\":\"/o\",\"resourceOutputDirectory\":\"/r\","
            + "\"specs\":{\"a\":{\"package\":\"p\"}}}")) {
      Path f = dir.resolve("s.json");
      Files.writeString(f, text);
      assertNull(GenerationState.read(f), text);
    }
  }

  @Test
  void unknownFieldsAreIgnored(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("s.json");
    Files.writeString(f, "{\"format\":1,\"extra\":{\"x\":[1,2]},\"heed\":\"h\",\"target\":\"jvm\",\"outputDirectory\":\"/o\","
        + "\"resourceOutputDirectory\":\"/r\",\"specs\":{}}");
    assertEquals(new GenerationState("h", "jvm", "/o", "/r", Map.of()), GenerationState.read(f));
  }
}
