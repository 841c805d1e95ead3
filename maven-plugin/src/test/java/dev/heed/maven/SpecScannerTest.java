package dev.heed.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpecScannerTest {
  @Test
  void antPatterns() {
    assertTrue(SpecScanner.matches("**/*.heed", "t.heed"));
    assertTrue(SpecScanner.matches("**/*.heed", "a/b/t.heed"));
    assertFalse(SpecScanner.matches("**/*.heed", "a/t.heed.bak"));
    assertTrue(SpecScanner.matches("*.heed", "t.heed"));
    assertFalse(SpecScanner.matches("*.heed", "a/t.heed"));
    assertTrue(SpecScanner.matches("a/**", "a/b/c.heed"));
    assertTrue(SpecScanner.matches("a/", "a/b/c.heed"));
    assertFalse(SpecScanner.matches("a/**", "ab/c.heed"));
    assertTrue(SpecScanner.matches("a/**/c.heed", "a/c.heed"));
    assertTrue(SpecScanner.matches("a/**/c.heed", "a/x/y/c.heed"));
    assertTrue(SpecScanner.matches("**/draft/**", "x/draft/y.heed"));
    assertTrue(SpecScanner.matches("t?.heed", "t1.heed"));
    assertFalse(SpecScanner.matches("t?.heed", "t.heed"));
    assertTrue(SpecScanner.matches("a\\*.heed", "a/x.heed"));
    assertTrue(SpecScanner.matches("/b.heed", "b.heed"));
  }

  @Test
  void scanAppliesIncludesAndExcludesAndSorts(@TempDir Path dir) throws Exception {
    for (String f : List.of("z.heed", "a.heed", "com/x/m.heed", "com/x/notes.txt", "draft/d.heed")) {
      Files.createDirectories(dir.resolve(f).getParent());
      Files.writeString(dir.resolve(f), "");
    }
    assertEquals(List.of("a.heed", "com/x/m.heed", "draft/d.heed", "z.heed"), SpecScanner.scan(dir, null, null));
    assertEquals(List.of("a.heed", "com/x/m.heed", "z.heed"), SpecScanner.scan(dir, List.of(), List.of("draft/")));
    assertEquals(List.of("com/x/m.heed"), SpecScanner.scan(dir, List.of("com/**"), List.of("**/*.txt")));
    assertEquals(List.of(), SpecScanner.scan(dir.resolve("missing"), null, null));
  }

  @Test
  void packageFromFolder() {
    assertEquals("heed.models", SpecScanner.derivePackage("t.heed"));
    assertEquals("com.example.attn", SpecScanner.derivePackage("com/example/attn/t.heed"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SpecScanner.derivePackage("my-models/t.heed"));
    assertEquals("spec my-models/t.heed: its folder 'my-models' does not name a Java package (each folder must be"
        + " a Java identifier, not a keyword); move the spec or set <packageName>", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> SpecScanner.derivePackage("com/class/t.heed"));
  }
}
