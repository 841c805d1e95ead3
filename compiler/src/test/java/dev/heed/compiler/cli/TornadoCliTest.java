package dev.heed.compiler.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.heed.compiler.emit.tornado.TornadoApi;
import dev.heed.compiler.jar.ClassBytesLoader;
import dev.heed.compiler.jar.InMemoryJavac;
import dev.heed.compiler.jar.ModelJar;
import dev.heed.runtime.HeedModel;
import dev.heed.runtime.HeedModelFactory;
import dev.heed.runtime.Tensor;
import dev.heed.runtime.io.RandomWeights;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --target tornadovm} on the command line: emitting needs nothing, compiling needs
 * tornado-api (and says where it looked when there is none), the TornadoVM classes are compiled
 * with {@code -g} for tornado-api's Java release, and the jar runs on a plain JVM, on the jvm
 * kernels, after one notice.
 */
class TornadoCliTest {
  static final String SPEC = """
      model Tiny {
        input x: f32[batch, 8];
        param w: [4, 8] = "proj.weight";
        param b: [4] = "proj.bias";
        output y = softmax(linear(x, w, b));
      }
      """;

  @TempDir Path dir;
  Map<String, String> env = new HashMap<>();

  @BeforeEach
  void isolate() {
    CompileCommand.environment = () -> env;
    CompileCommand.userHome = () -> dir.resolve("home");
  }

  @AfterEach
  void restore() {
    CompileCommand.environment = System::getenv;
    CompileCommand.userHome = () -> Path.of(System.getProperty("user.home"));
  }

  private Path spec() throws IOException {
    return Files.writeString(dir.resolve("tiny.heed"), SPEC);
  }

  @Test
  void emittingTheJavaNeedsNoTornadoApi() throws IOException {
    Cli r = Cli.run("emit", spec().toString(), "--stage", "java", "--target", "tornadovm");
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().contains("// ===== heed/models/Tiny.java ====="), r.out());
    assertTrue(r.out().contains("// ===== heed/models/TinyTornado.java ====="), r.out());
    assertTrue(r.out().contains("TaskGraph graph = new TaskGraph(GRAPH);"), r.out());
  }

  @Test
  void compilingWithoutTornadoApiSaysWhatToProvide() throws IOException {
    Path jar = dir.resolve("tiny.jar");
    Cli r = Cli.run("compile", spec().toString(), "-o", jar.toString(), "--target", "tornadovm");
    assertEquals(1, r.code(), r.toString());
    assertTrue(r.err().startsWith("heed: error: target tornadovm needs TornadoVM's API jar"), r.toString());
    assertTrue(r.err().contains("--tornado-api JAR"), r.err());
    assertTrue(r.err().contains("TORNADOVM_HOME"), r.err());
    assertTrue(r.err().contains("io.github.beehive-lab:tornado-api:5.2.0-jdk25"), r.err());
    assertTrue(r.err().contains(dir.resolve("home").toString()), "names where it looked: " + r.err());
    assertEquals(1, r.errLines().length, r.err());
    assertFalse(Files.exists(jar), "nothing written");

    env.put("TORNADOVM_HOME", dir.resolve("no-tornado").toString());
    r = Cli.run("compile", spec().toString(), "-o", jar.toString(), "--target", "tornadovm");
    assertEquals(1, r.code(), r.toString());
    assertTrue(r.err().contains(dir.resolve("no-tornado") + "/share/java/tornado/tornado-api*.jar (TORNADOVM_HOME)"), r.err());

    r = Cli.run("compile", spec().toString(), "-o", jar.toString(), "--target", "tornadovm", "--tornado-api",
        dir.resolve("missing.jar").toString());
    assertEquals(1, r.code(), r.toString());
    assertTrue(r.err().contains("--tornado-api " + dir.resolve("missing.jar") + ": no such file"), r.err());
    assertFalse(Files.exists(jar));
  }

  @Test
  void badTargetsAndOptionsAreUsageErrors() throws IOException {
    Cli r = Cli.run("compile", spec().toString(), "-o", dir.resolve("t.jar").toString(), "--target", "cuda");
    assertEquals(2, r.code(), r.toString());
    assertTrue(r.err().startsWith("heed: error: unknown target 'cuda' (supported: jvm, tornadovm)"), r.err());
    r = Cli.run("compile", spec().toString(), "-o", dir.resolve("t.jar").toString(), "--tornado-api", "x.jar");
    assertEquals(2, r.code(), r.toString());
    assertTrue(r.err().contains("--tornado-api is for --target tornadovm"), r.err());
  }

  @Test
  void theTornadoApiIsFoundInTornadovmHomeThenInM2() throws IOException {
    Path home = dir.resolve("tvm");
    Path shared = Files.createDirectories(home.resolve("share/java/tornado"));
    Path api = Files.writeString(shared.resolve("tornado-api-5.2.0-jdk25.jar"), "");
    Files.writeString(shared.resolve("tornado-runtime-5.2.0-jdk25.jar"), "");
    assertEquals(api, TornadoApi.locate(null, Map.of("TORNADOVM_HOME", home.toString()), dir));
    Path m2 = dir.resolve("user/.m2/repository/io/github/beehive-lab/tornado-api/5.2.0-jdk25/tornado-api-5.2.0-jdk25.jar");
    Files.createDirectories(m2.getParent());
    Files.writeString(m2, "");
    assertEquals(m2, TornadoApi.locate(null, Map.of(), dir.resolve("user")));
    assertEquals(api, TornadoApi.locate(api, Map.of(), null), "an explicit jar wins");
  }

  @Test
  void aJarThatIsNotTornadoApiIsOneLine() throws IOException {
    // A real jar of classes, not TornadoVM's: heed's own compiled model.
    Path other = TestModels.tinyJar(dir.resolve("other.jar"), false, Map.of());
    Cli r = Cli.run("compile", spec().toString(), "-o", dir.resolve("t.jar").toString(), "--target", "tornadovm",
        "--tornado-api", other.toString());
    assertEquals(1, r.code(), r.toString());
    assertEquals(1, r.errLines().length, r.toString());
    assertTrue(r.err().contains("not a tornado-api jar (it has no uk/ac/manchester/tornado/api/TaskGraph.class)"), r.toString());
    assertFalse(Files.exists(dir.resolve("t.jar")));
  }

  /** Only where a tornado-api jar is at hand (not on CI): the whole compile, then a run without TornadoVM. */
  @Test
  void theJarHoldsTornadoClassesWithLocalVariableTablesAndRunsWithoutTornadoVm() throws Exception {
    Path api = realTornadoApi();
    assumeTrue(api != null, "no tornado-api jar here (TORNADOVM_HOME or ~/.m2)");
    Path jar = dir.resolve("tiny.jar");
    Cli r = Cli.run("compile", spec().toString(), "-o", jar.toString(), "--target", "tornadovm", "--tornado-api", api.toString());
    assertEquals(0, r.code(), r.toString());
    SortedMap<String, byte[]> entries = ModelJar.read(jar);
    byte[] tornado = entries.get("heed/models/TinyTornado.class");
    byte[] model = entries.get("heed/models/Tiny.class");
    assertTrue(tornado != null && model != null, entries.keySet().toString());
    assertEquals(44 + TornadoApi.release(api), major(tornado), "the TornadoVM class is built for tornado-api's Java");
    assertEquals(65, major(model), "the model class runs on Java 21");
    assertTrue(new String(tornado, StandardCharsets.ISO_8859_1).contains("LocalVariableTable"), "compiled with -g");
    assertEquals("heed.models.Tiny$Factory\n", new String(entries.get(ModelJar.SERVICE_FILE), StandardCharsets.UTF_8));

    // On this plain JVM there is no TornadoVM: the jvm kernels run, after one notice.
    Map<String, byte[]> classes = new TreeMap<>();
    entries.forEach((name, bytes) -> {
      if (name.startsWith("heed/models/")) classes.put(name.replace('/', '.').replaceAll("\\.class$", ""), bytes);
    });
    List<HeedModelFactory> factories = new ClassBytesLoader(classes, getClass().getClassLoader()).factories("heed.models.Tiny$Factory\n");
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    String mode = System.getProperty("heed.tornado");
    try {
      System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
      System.clearProperty("heed.tornado");
      HeedModel m = factories.get(0).create(new RandomWeights(3));
      Tensor y = m.run(Map.of("x", Tensor.ofFloats(new float[16], 2, 8))).get("y");
      assertEquals(2 * 4, y.floats().length);
      System.setProperty("heed.tornado", "require");
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> factories.get(0).create(new RandomWeights(3)));
      assertTrue(e.getMessage().contains("TornadoVM is required"), e.getMessage());
    } finally {
      System.setErr(err);
      if (mode == null) System.clearProperty("heed.tornado");
      else System.setProperty("heed.tornado", mode);
    }
    String notice = captured.toString(StandardCharsets.UTF_8);
    assertTrue(notice.isEmpty() || notice.startsWith("heed: TornadoVM is not available ("), notice);
    assertTrue(notice.lines().count() <= 1, "one line at most: " + notice);
  }

  @Test
  void everyCompileKeepsLocalVariableTables() {
    assertTrue(InMemoryJavac.OPTIONS.contains("-g"));
    Map<String, byte[]> c = InMemoryJavac.compile(Map.of("t.A", "package t; public final class A { static int f(int x) { int y = x + 1; return y; } }"),
        InMemoryJavac.runtimeClasspath(), 21);
    assertTrue(new String(c.get("t.A"), StandardCharsets.ISO_8859_1).contains("LocalVariableTable"));
  }

  private static int major(byte[] classFile) {
    return ((classFile[6] & 0xff) << 8) | (classFile[7] & 0xff);
  }

  private static Path realTornadoApi() {
    try {
      Path p = TornadoApi.locate(null, System.getenv(), Path.of(System.getProperty("user.home")));
      return Files.size(p) > 0 ? p : null;
    } catch (RuntimeException | IOException e) {
      return null;
    }
  }
}
