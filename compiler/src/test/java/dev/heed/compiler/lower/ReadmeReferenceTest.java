package dev.heed.compiler.lower;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's DSL reference lists every built-in function and standard layer heed has. */
class ReadmeReferenceTest {
  @Test
  void everyBuiltinAndPreludeLayerIsDocumented() throws Exception {
    String readme = Files.readString(Path.of(System.getProperty("heed.repoRoot", "..")).resolve("README.md"));
    List<String> missing = new ArrayList<>();
    for (String signature : Builtins.reference().keySet()) {
      if (!readme.contains("| `" + signature + "` |")) missing.add(signature);
    }
    for (String layer : Lowering.preludeLayers()) {
      if (!readme.contains("| `" + layer + "(")) missing.add(layer);
    }
    assertTrue(missing.isEmpty(), "README's DSL reference misses: " + missing);
  }
}
