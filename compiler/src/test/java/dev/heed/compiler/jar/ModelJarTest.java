package dev.heed.compiler.jar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarInputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelJarTest {
  @TempDir Path dir;

  private static final Map<String, byte[]> CLASSES = InMemoryJavac.compile(Map.of(
      "demo.M", "package demo; public final class M { public static final class Factory {} }"));

  private void write(Path jar) throws IOException {
    ModelJar.write(jar, CLASSES, "demo.M$Factory\n", Map.of("heed/note.txt", "hi".getBytes(StandardCharsets.UTF_8)));
  }

  private List<String> listing() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void sameInputSameBytes() throws IOException {
    Path a = dir.resolve("a.jar");
    Path b = dir.resolve("b.jar");
    write(a);
    write(b);
    assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    write(a);  // overwriting works and changes nothing
    assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    assertEquals(List.of("a.jar", "b.jar"), listing());
  }

  @Test
  void containsModelServiceRuntimeAndJackson() throws IOException {
    Path jar = dir.resolve("sub/dir/m.jar");
    write(jar);
    var entries = ModelJar.read(jar);
    assertTrue(entries.containsKey("demo/M.class"));
    assertTrue(entries.containsKey("demo/M$Factory.class"));
    assertEquals("demo.M$Factory\n", new String(entries.get(ModelJar.SERVICE_FILE), StandardCharsets.UTF_8));
    assertEquals("hi", new String(entries.get("heed/note.txt"), StandardCharsets.UTF_8));
    assertTrue(entries.containsKey("dev/heed/runtime/Tensor.class"));
    assertTrue(entries.containsKey("dev/heed/runtime/HeedModelFactory.class"));
    // jackson-core, relocated into heed's package (Relocation).
    assertTrue(entries.containsKey("dev/heed/shaded/jackson/core/JsonFactory.class"));
    for (String name : entries.keySet()) {
      assertFalse(name.endsWith("module-info.class"), name);
      assertFalse(name.startsWith("META-INF/versions/"), name);
      assertFalse(name.endsWith(".SF"), name);
      assertTrue(name.startsWith("demo/") || name.startsWith("dev/heed/runtime/") || name.startsWith("heed/")
          || name.startsWith("dev/heed/shaded/jackson/core/") || name.startsWith("META-INF/"), name);
    }
    // The manifest comes first and names the runtime's Main.
    try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
      assertEquals(ModelJar.MAIN_CLASS, in.getManifest().getMainAttributes().getValue("Main-Class"));
      List<String> order = new ArrayList<>();
      for (var e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) order.add(e.getName());
      assertEquals(order.stream().sorted().toList(), order);
      assertEquals(order.size(), order.stream().distinct().count());
    }
  }

  @Test
  void classesLoadFromTheJarAlone() throws Exception {
    Path jar = dir.resolve("m.jar");
    write(jar);
    try (var loader = new java.net.URLClassLoader(new java.net.URL[] {jar.toUri().toURL()},
        ClassLoader.getPlatformClassLoader())) {
      Class<?> tensor = loader.loadClass("dev.heed.runtime.Tensor");
      assertEquals(loader, tensor.getClassLoader());
      assertEquals(loader, loader.loadClass("demo.M$Factory").getClassLoader());
      assertEquals(loader, loader.loadClass("dev.heed.shaded.jackson.core.JsonFactory").getClassLoader());
      // The jar's safetensors reader parses a header with the relocated jackson-core (the
      // platform class loader above it has none).
      Path w = dir.resolve("w.safetensors");
      dev.heed.runtime.io.SafetensorsWriter.write(w, java.util.Map.of("t", dev.heed.runtime.Tensor.ofFloats(new float[] {1f, 2f}, 2)));
      try (AutoCloseable opened = (AutoCloseable) loader.loadClass("dev.heed.runtime.io.Safetensors")
          .getMethod("open", Path.class).invoke(null, w)) {
        assertEquals(loader, opened.getClass().getClassLoader());
        assertEquals("[t]", String.valueOf(opened.getClass().getMethod("names").invoke(opened)));
      }
      try (InputStream in = loader.getResourceAsStream(ModelJar.SERVICE_FILE)) {
        assertEquals("demo.M$Factory\n", new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
  }

  @Test
  void largeFilesAreStoredAndRoundTrip() throws IOException {
    byte[] big = new byte[(1 << 20) + 123];
    new java.util.Random(7).nextBytes(big);
    Path weights = dir.resolve("w.safetensors");
    Files.write(weights, big);
    Path jar = dir.resolve("m.jar");
    ModelJar.write(jar, CLASSES, "demo.M$Factory\n", Map.of(), Map.of(ModelJar.EMBEDDED_WEIGHTS, weights));
    assertArrayEquals(big, ModelJar.read(jar).get(ModelJar.EMBEDDED_WEIGHTS));
    try (var zip = new java.util.zip.ZipFile(jar.toFile())) {
      assertEquals(java.util.zip.ZipEntry.STORED, zip.getEntry(ModelJar.EMBEDDED_WEIGHTS).getMethod());
    }
  }

  @Test
  void failureLeavesNoJarAndNoTempFile() {
    Path jar = dir.resolve("m.jar");
    assertThrows(IOException.class, () -> ModelJar.write(jar, CLASSES, "", Map.of(),
        Map.of("heed/missing.bin", dir.resolve("does-not-exist"))));
    assertEquals(List.of(), assertDoesNotThrowListing());
  }

  @Test
  void failureKeepsAnOldJarUntouched() throws IOException {
    Path jar = dir.resolve("m.jar");
    write(jar);
    byte[] before = Files.readAllBytes(jar);
    assertThrows(IOException.class, () -> ModelJar.write(jar, CLASSES, "", Map.of(),
        Map.of("heed/missing.bin", dir.resolve("does-not-exist"))));
    assertArrayEquals(before, Files.readAllBytes(jar));
    assertEquals(List.of("m.jar"), assertDoesNotThrowListing());
  }

  @Test
  void rejectsBadResourceNames() {
    for (String bad : List.of("/abs", "../up", "a/../../b", "META-INF/MANIFEST.MF", "dir/")) {
      assertThrows(IllegalArgumentException.class,
          () -> ModelJar.write(dir.resolve("m.jar"), CLASSES, "", Map.of(bad, new byte[0])), bad);
    }
  }

  @Test
  void filtersRuntimeEntries() {
    assertTrue(ModelJar.wanted("dev/heed/runtime/Tensor.class", "dev/heed/runtime/"));
    assertTrue(ModelJar.wanted("META-INF/LICENSE", "x/"));
    assertTrue(ModelJar.wanted("META-INF/services/com.fasterxml.jackson.core.JsonFactory", "x/"));
    assertFalse(ModelJar.wanted("module-info.class", "x/"));
    assertFalse(ModelJar.wanted("META-INF/versions/9/module-info.class", "x/"));
    assertFalse(ModelJar.wanted("META-INF/versions/17/com/fasterxml/jackson/core/X.class", "com/"));
    assertFalse(ModelJar.wanted("META-INF/FOO.SF", "x/"));
    assertFalse(ModelJar.wanted("META-INF/FOO.RSA", "x/"));
    assertFalse(ModelJar.wanted("META-INF/MANIFEST.MF", "x/"));
    assertFalse(ModelJar.wanted("dev/heed/compiler/HeedCompiler.class", "dev/heed/runtime/"));
  }

  private List<String> assertDoesNotThrowListing() {
    try {
      return listing();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
