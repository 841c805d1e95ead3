package dev.heed.compiler.fuzz;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.compiler.HeedCompiler;
import dev.heed.compiler.SampleInputs;
import dev.heed.compiler.interp.Interpreter;
import dev.heed.compiler.jar.ClassBytesLoader;
import dev.heed.compiler.jar.InMemoryJavac;
import dev.heed.dsl.diag.Diagnostic;
import dev.heed.dsl.diag.SourceFile;
import dev.heed.runtime.HeedModel;
import dev.heed.runtime.Tensor;
import dev.heed.runtime.io.RandomWeights;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Inputs that once crashed, hung or injected code (src/test/resources/fuzz/crashers). Each
 * file's first line says what must happen now: {@code // expect: TEXT} (an error whose
 * message contains TEXT) or {@code // expect: (compiles)} (javac accepts the generated code
 * and the model runs, matching the interpreter).
 */
class CrashersTest {
  @TestFactory
  Stream<DynamicTest> everyCrasherIsHandled() throws IOException, URISyntaxException {
    Path dir = Path.of(getClass().getResource("/fuzz/crashers").toURI());
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.toString().endsWith(".heed")).sorted().toList();
    }
    assertFalse(files.isEmpty());
    return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
      String text = Files.readString(f, StandardCharsets.UTF_8);
      String expect = text.lines().findFirst().orElseThrow().replaceFirst("^// expect: ", "");
      List<Diagnostic> ds = SpecChecks.compile(f.getFileName().toString(), text);
      if (!expect.equals("(compiles)")) {
        assertTrue(ds.stream().anyMatch(d -> d.message().contains(expect)), "want '" + expect + "', got " + ds);
        return;
      }
      assertTrue(ds.isEmpty(), ds.toString());
      HeedCompiler.Result r = HeedCompiler.compile(new SourceFile(f.getFileName().toString(), text),
          HeedCompiler.Options.defaults().withPackage("t.crash"), s -> { });
      Map<String, byte[]> classes = InMemoryJavac.compile(r.javaSources());
      HeedModel model = new ClassBytesLoader(classes, getClass().getClassLoader()).factories(r.serviceEntries()).get(0)
          .create(new RandomWeights(3));
      String dim = r.ir().inputs().get(0).type().dim(0).toString();
      Map<String, Tensor> inputs = SampleInputs.make(r.ir(), Map.of(dim, 2), 5);
      Map<String, Tensor> want = Interpreter.run(r.ir(), inputs, new RandomWeights(3));
      Map<String, Tensor> got = model.run(inputs);
      for (String name : want.keySet()) {
        float[] a = want.get(name).floats(), b = got.get(name).floats();
        for (int i = 0; i < a.length; i++) assertTrue(Math.abs(a[i] - b[i]) <= 1e-5 * Math.max(1, Math.abs(a[i])), name);
      }
    }));
  }

  @org.junit.jupiter.api.Test
  void aHugeSpecFileIsRefusedBeforeItIsRead(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
    Path spec = dir.resolve("huge.heed");
    try (var out = Files.newOutputStream(spec)) {
      byte[] line = "// padding padding padding padding padding padding padding padding padding padding\n"
          .getBytes(StandardCharsets.US_ASCII);
      for (long written = 0; written <= HeedCompiler.MAX_SPEC_BYTES; written += line.length) out.write(line);
    }
    IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
        () -> HeedCompiler.compile(spec, HeedCompiler.Options.defaults(), s -> { }));
    assertTrue(e.getMessage().contains("a spec may be at most " + HeedCompiler.MAX_SPEC_BYTES + " bytes"), e.getMessage());
  }

  @org.junit.jupiter.api.Test
  void anEndlessSpecIsCutOffAtTheLimit() {
    // A character device (Linux, where CI runs): its size reads 0, and it never ends.
    Path zero = Path.of("/dev/zero");
    IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> HeedCompiler.readSpec(zero));
    assertTrue(e.getMessage().contains("a spec may be at most " + HeedCompiler.MAX_SPEC_BYTES + " bytes"), e.getMessage());
  }
}
