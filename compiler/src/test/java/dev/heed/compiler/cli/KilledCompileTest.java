package dev.heed.compiler.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.runtime.Tensor;
import dev.heed.runtime.io.RandomWeights;
import dev.heed.runtime.io.SafetensorsWriter;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code heed compile} stopped at any moment leaves no OUT.jar, or a complete one: it writes
 * a hidden temporary file and moves it into place. Stopped politely (SIGTERM) it also leaves
 * no temporary file; killed outright (SIGKILL) it may leave its hidden
 * {@code .OUT.jar.PID.HEX.tmp}, which the next compile into that folder removes.
 */
class KilledCompileTest {
  /** A big parameter, embedded in the jar, so that writing the jar takes a while. */
  private static final String SPEC = """
      model Big {
        input x: f32[batch, 1024];
        param w: [2048, 1024];
        output y = linear(x, w);
      }
      """;

  @Test
  void killedAtAnyMomentLeavesNoJarOrACompleteOne(@TempDir Path dir) throws Exception {
    Path spec = dir.resolve("big.heed");
    Files.writeString(spec, SPEC);
    Path weights = dir.resolve("big.safetensors");
    float[] w = new RandomWeights(1).get("w", new int[] {2048, 1024}, "uniform");
    SafetensorsWriter.write(weights, Map.of("w", Tensor.ofFloats(w, 2048, 1024)));
    Path out = dir.resolve("out");
    Files.createDirectories(out);
    Path jar = out.resolve("OUT.jar");

    int killedMidWay = 0;
    long[] delaysMs = {150, 600, 1200, 2000, 3000, 4000, 5500, 7000};
    for (int i = 0; i < delaysMs.length; i++) {
      boolean politely = i % 2 == 1;
      Process p = start(spec, weights, jar);
      boolean finished = p.waitFor(delaysMs[i], TimeUnit.MILLISECONDS);
      if (!finished) {
        if (politely) p.destroy(); else p.destroyForcibly();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the killed compile ends");
        killedMidWay++;
      }
      String what = (politely ? "SIGTERM" : "SIGKILL") + " after " + delaysMs[i] + " ms"
          + (finished ? " (it had finished, exit " + p.exitValue() + ")" : "");
      if (Files.exists(jar)) {
        assertCompleteJar(jar, what);
        Files.delete(jar);
      }
      for (Path f : list(out)) {
        String name = f.getFileName().toString();
        assertTrue(name.matches("\\.OUT\\.jar\\.\\d+\\.[0-9a-f]+\\.tmp"), what + ": unexpected file " + name);
        assertTrue(!politely && !finished, what + ": a temporary file was left: " + name);
      }
    }
    assertTrue(killedMidWay >= 2, "most runs were stopped before they finished: " + killedMidWay);

    // A compile that runs to the end leaves exactly the jar, and sweeps up what a killed one left.
    Path log = dir.resolve("compile.log");
    Process p = start(spec, weights, jar, ProcessBuilder.Redirect.to(log.toFile()));
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "compile finishes");
    assertEquals(0, p.exitValue(), Files.readString(log));
    assertEquals(List.of(jar), list(out));
    assertCompleteJar(jar, "a full run");
  }

  @Test
  void aWriteRemovesTemporaryJarsOfDeadProcessesOnly(@TempDir Path dir) throws Exception {
    Path dead = dir.resolve(".OUT.jar.999999999.1a2b.tmp");        // above any pid_max
    long live = ProcessHandle.current().parent().orElseThrow().pid();
    Path alive = dir.resolve(".OUT.jar." + live + ".3c4d.tmp");     // another compile, still running
    Path other = dir.resolve(".OTHER.jar.999999999.5e6f.tmp");      // another target's
    for (Path p : List.of(dead, alive, other)) Files.writeString(p, "partial");
    dev.heed.compiler.jar.ModelJar.write(dir.resolve("OUT.jar"), Map.of(), "", Map.of());
    assertEquals(List.of(alive, other, dir.resolve("OUT.jar")).stream().sorted().toList(), list(dir));
  }

  private static Process start(Path spec, Path weights, Path jar) throws IOException {
    return start(spec, weights, jar, ProcessBuilder.Redirect.DISCARD);
  }

  private static Process start(Path spec, Path weights, Path jar, ProcessBuilder.Redirect output) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
        "dev.heed.compiler.cli.HeedCli", "compile", spec.toString(), "-o", jar.toString(),
        "--weights", weights.toString(), "--embed-weights"));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output).start();
  }

  private static List<Path> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  /** The jar opens, and holds the embedded weights and the model class. */
  private static void assertCompleteJar(Path jar, String what) throws IOException {
    try (ZipFile z = new ZipFile(new File(jar.toString()))) {
      assertTrue(z.stream().anyMatch(e -> e.getName().endsWith(".safetensors")), what + ": weights in the jar");
      assertTrue(z.stream().anyMatch(e -> e.getName().endsWith("Big.class")), what + ": model class in the jar");
    }
  }
}
