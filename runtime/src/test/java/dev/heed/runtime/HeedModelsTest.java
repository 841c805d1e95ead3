package dev.heed.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HeedModelsTest {
  @TempDir Path dir;

  @Test void findsTheOnlyModelWithoutAName() throws IOException {
    ClassLoader loader = TestModels.loaderWith(dir, TestModels.Adder.class);
    assertEquals(List.of("adder"), HeedModels.all(loader).stream().map(HeedModelFactory::name).toList());
    assertEquals("adder", HeedModels.find(loader, null).name());
    assertEquals("adder", HeedModels.find(loader, "adder").name());
  }

  @Test void needsANameWhenThereAreSeveral() throws IOException {
    ClassLoader loader = TestModels.loaderWith(dir, TestModels.Failing.class, TestModels.Adder.class);
    assertEquals(List.of("adder", "failing"), HeedModels.all(loader).stream().map(HeedModelFactory::name).toList());
    String m = assertThrows(IllegalArgumentException.class, () -> HeedModels.find(loader, null)).getMessage();
    assertTrue(m.contains("found 2 models (adder, failing)"), m);
    assertEquals("failing", HeedModels.find(loader, "failing").name());
    String unknown = assertThrows(IllegalArgumentException.class, () -> HeedModels.find(loader, "bert")).getMessage();
    assertEquals("no model named 'bert' (available: adder, failing)", unknown);
  }

  @Test void reportsWhenThereAreNone() throws IOException {
    ClassLoader loader = TestModels.loaderWith(dir);
    assertTrue(HeedModels.all(loader).isEmpty());
    String m = assertThrows(IllegalArgumentException.class, () -> HeedModels.find(loader, null)).getMessage();
    assertTrue(m.contains("no heed model found"), m);
  }

  @Test void reportsBrokenRegistration() throws IOException {
    ClassLoader loader = TestModels.loaderWith(dir, TestModels.Adder.class);
    Files.writeString(dir.resolve("META-INF/services/" + HeedModelFactory.class.getName()), "dev.heed.NoSuchModel\n");
    String m = assertThrows(IllegalStateException.class, () -> HeedModels.all(loader)).getMessage();
    assertTrue(m.contains("cannot load a heed model") && m.contains("dev.heed.NoSuchModel"), m);
  }
}
