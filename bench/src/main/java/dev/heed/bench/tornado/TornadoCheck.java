package dev.heed.bench.tornado;

import dev.heed.compiler.HeedCompiler;
import dev.heed.compiler.SampleInputs;
import dev.heed.compiler.emit.JvmEmitter;
import dev.heed.compiler.emit.tornado.TornadoApi;
import dev.heed.compiler.emit.tornado.TornadoEmitter;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.IrParser;
import dev.heed.compiler.jar.InMemoryJavac;
import dev.heed.compiler.jar.ModelJar;
import dev.heed.compiler.onnx.WeightFiles;
import dev.heed.runtime.DType;
import dev.heed.runtime.HeedModel;
import dev.heed.runtime.HeedModelFactory;
import dev.heed.runtime.HeedModels;
import dev.heed.runtime.Tensor;
import dev.heed.runtime.Weights;
import dev.heed.runtime.io.RandomWeights;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a model compiled with {@code --target tornadovm} twice in one JVM: on its jvm kernels
 * ({@code -Dheed.tornado=off}) and on TornadoVM ({@code -Dheed.tornado=require}), on the same
 * seeded inputs, and compares every output. Prints the max abs difference, both forward times,
 * and TornadoVM's profiler kernel time per task, slowest first (when run with
 * {@code -Dtornado.profiler=True}).
 * Exits 1 on a mismatch above the tolerance, on any TornadoVM bailout, or when TornadoVM cannot
 * be used.
 *
 * <p>It uses the model only through {@code HeedModel}: no TornadoVM class is compiled into it.
 * {@code bench/tornadovm-check} runs it under {@code java @$TORNADOVM_HOME/tornado-argfile}, with
 * the model jar first on the class path: TornadoVM reads kernel class files through the system
 * class loader, so a model loaded by a child class loader cannot run on it.
 *
 * <pre>
 * java @$TORNADOVM_HOME/tornado-argfile -cp M.jar:HEED_CLASSPATH dev.heed.bench.tornado.TornadoCheck \
 *   --spec S.heed [--weights F | --random-weights SEED] [--dim batch=2 ...] [--runs N] [--tolerance 1e-4] [--reshape]
 * </pre>
 */
public final class TornadoCheck {
  private TornadoCheck() {}

  public static void main(String[] args) throws Exception {
    Path spec = null, weightsFile = null, makeJar = null, api = null;
    long seed = 7;
    int runs = 3;
    boolean reshape = false;
    double tolerance = 1e-4;
    Map<String, Integer> dims = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String v = i + 1 < args.length ? args[i + 1] : null;
      switch (a) {
        case "--spec" -> spec = Path.of(need(a, v));
        case "--weights" -> weightsFile = Path.of(need(a, v));
        case "--make-jar" -> makeJar = Path.of(need(a, v));
        case "--tornado-api" -> api = Path.of(need(a, v));
        case "--random-weights" -> seed = Long.parseLong(need(a, v));
        case "--runs" -> runs = Integer.parseInt(need(a, v));
        case "--reshape" -> {
          reshape = true;
          i--;
        }
        case "--tolerance" -> tolerance = Double.parseDouble(need(a, v));
        case "--dim" -> {
          String[] kv = need(a, v).split("=", 2);
          dims.put(kv[0], Integer.parseInt(kv[1]));
        }
        default -> throw new IllegalArgumentException("unknown option " + a);
      }
      i++;
    }
    if (spec == null) throw new IllegalArgumentException("--spec is required");

    Graph ir = spec.toString().endsWith(".ir") ? IrParser.parse(java.nio.file.Files.readString(spec), spec.toString())
        : HeedCompiler.compile(spec, HeedCompiler.Options.defaults(), s -> { }).ir();
    if (makeJar != null) {
      makeJar(ir, spec, api, makeJar);
      return;
    }
    // Inputs: heed's seeded sample inputs for the spec (ids across the vocabulary, padded masks).
    Map<String, Integer> sizes = new LinkedHashMap<>();
    ir.inputs().forEach(in -> in.type().shape().forEach(d -> {
      if (d instanceof dev.heed.compiler.ir.Dim.Sym sym) sizes.put(sym.name(), dims.getOrDefault(sym.name(), sym.name().equals("batch") ? 2 : 7));
    }));
    Map<String, Tensor> inputs = SampleInputs.make(ir, sizes, 42);

    {
      HeedModelFactory f = HeedModels.find(ClassLoader.getSystemClassLoader(), ir.name());
      String weightsName = weightsFile == null ? "random(" + seed + ")" : weightsFile.getFileName().toString();
      System.out.printf(Locale.ROOT, "== %s, sizes %s, weights %s%n", f.name(), sizes, weightsName);

      System.setProperty("heed.tornado", "off");
      HeedModel jvm = f.create(weights(weightsFile, seed, f));
      System.setProperty("heed.tornado", "require");
      HeedModel tornado = f.create(weights(weightsFile, seed, f));

      // First calls: JIT warm-up and, on TornadoVM, kernel compilation and weight upload.
      long t0 = System.nanoTime();
      Map<String, Tensor> expected = jvm.run(inputs);
      long jvmFirst = System.nanoTime() - t0;
      PrintStream out = System.out;
      ByteArrayOutputStream captured = new ByteArrayOutputStream();
      Map<String, Tensor> actual;
      long tornadoFirst;
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      try {
        t0 = System.nanoTime();
        actual = tornado.run(inputs);
        tornadoFirst = System.nanoTime() - t0;
      } finally {
        System.setOut(out);
      }
      // TornadoVM says "Bailout" on stdout or stderr when it runs a task as sequential Java instead.
      String firstCall = captured.toString(StandardCharsets.UTF_8);
      boolean bailout = firstCall.contains("Bailout");
      if (bailout) System.out.print(firstCall);
      long jvmBest = Long.MAX_VALUE, tornadoBest = Long.MAX_VALUE;
      String lastProfile = "";
      for (int r = 0; r < runs; r++) {
        t0 = System.nanoTime();
        expected = jvm.run(inputs);
        jvmBest = Math.min(jvmBest, System.nanoTime() - t0);
        captured.reset();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
          t0 = System.nanoTime();
          actual = tornado.run(inputs);
          tornadoBest = Math.min(tornadoBest, System.nanoTime() - t0);
        } finally {
          System.setOut(out);
        }
        lastProfile = captured.toString(StandardCharsets.UTF_8);
      }

      boolean ok = true;
      if (reshape) {
        // Another shape on the same instance (a second plan), then the first again (from the cache).
        Map<String, Integer> other = new LinkedHashMap<>();
        sizes.forEach((k, n) -> other.put(k, k.equals("batch") ? n : n + 3));
        Map<String, Tensor> otherInputs = SampleInputs.make(ir, other, 43);
        Map<String, Tensor> want = jvm.run(otherInputs), got = tornado.run(otherInputs);
        for (Map.Entry<String, Tensor> e : want.entrySet()) {
          double diff = maxAbsDiff(e.getValue(), got.get(e.getKey()));
          ok &= diff <= tolerance;
          System.out.printf(Locale.ROOT, "output %-20s %-28s max abs diff %.3g %s (second shape %s)%n", e.getKey(),
              e.getValue().typeString(), diff, diff <= tolerance ? "ok" : "MISMATCH", other);
        }
        actual = tornado.run(inputs);
      }
      for (Map.Entry<String, Tensor> e : expected.entrySet()) {
        double diff = maxAbsDiff(e.getValue(), actual.get(e.getKey()));
        boolean good = diff <= tolerance;
        ok &= good;
        System.out.printf(Locale.ROOT, "output %-20s %-28s max abs diff %.3g %s%n", e.getKey(), e.getValue().typeString(), diff,
            good ? "ok" : "MISMATCH (tolerance " + tolerance + ")");
      }
      System.out.printf(Locale.ROOT, "forward, first call: jvm %.1f ms, tornadovm %.1f ms (kernel compilation, weight upload)%n",
          jvmFirst / 1e6, tornadoFirst / 1e6);
      System.out.printf(Locale.ROOT, "forward, best of %d:  jvm %.3f ms, tornadovm %.3f ms%n", runs, jvmBest / 1e6, tornadoBest / 1e6);
      List<String[]> tasks = new ArrayList<>(kernelTimes(lastProfile));
      tasks.sort((x, y) -> Long.compare(Long.parseLong(y[1]), Long.parseLong(x[1])));
      if (tasks.isEmpty()) {
        System.out.println("(no TornadoVM profile: run with -Dtornado.profiler=True for kernel times per task)");
      } else {
        long total = 0;
        int width = 4;
        for (String[] t : tasks) width = Math.max(width, t[0].length());
        System.out.printf(Locale.ROOT, "  %-" + width + "s  %12s%n", "task", "kernel µs");
        for (String[] t : tasks) {
          long ns = Long.parseLong(t[1]);
          total += ns;
          System.out.printf(Locale.ROOT, "  %-" + width + "s  %12.1f%n", t[0], ns / 1e3);
        }
        System.out.printf(Locale.ROOT, "  %-" + width + "s  %12.1f   (jvm forward, same call: %.1f µs)%n", "all kernels", total / 1e3,
            jvmBest / 1e3);
      }
      if (bailout || lastProfile.contains("Bailout")) {
        System.out.println("FAIL: TornadoVM bailed out to sequential Java");
        ok = false;
      }
      System.out.println(ok ? "PASS " + f.name() : "FAIL " + f.name());
      System.exit(ok ? 0 : 1);
    }
  }

  /** Compiles IR for target tornadovm into a model jar, as {@code heed compile --target tornadovm} does a spec. */
  static void makeJar(Graph g, Path file, Path api, Path out) throws java.io.IOException {
    if (api == null) throw new IllegalArgumentException("--make-jar needs --tornado-api JAR");
    Map<String, String> sources = TornadoEmitter.emit(g, new JvmEmitter.Options("heed.models", Map.of(), file.getFileName().toString()));
    Map<String, String> jvm = new LinkedHashMap<>(), tornado = new LinkedHashMap<>();
    sources.forEach((fqcn, src) -> (TornadoEmitter.isTornadoClass(fqcn, sources) ? tornado : jvm).put(fqcn, src));
    List<Path> cp = new ArrayList<>(InMemoryJavac.runtimeClasspath());
    cp.add(api);
    Map<String, byte[]> classes = new java.util.TreeMap<>(InMemoryJavac.compile(jvm));
    classes.putAll(InMemoryJavac.compile(tornado, cp, TornadoApi.release(api)));
    ModelJar.write(out, classes, JvmEmitter.serviceEntry(g, "heed.models") + "\n", Map.of());
    System.out.println("wrote " + out);
  }

  private static String need(String option, String value) {
    if (value == null) throw new IllegalArgumentException(option + " needs a value");
    return value;
  }

  private static Weights weights(Path file, long seed, HeedModelFactory f) {
    return file == null ? new RandomWeights(seed) : WeightFiles.open(file, f.parameters());
  }

  static double maxAbsDiff(Tensor a, Tensor b) {
    if (b == null || a.dtype() != b.dtype() || !java.util.Arrays.equals(a.shape(), b.shape())) return Double.POSITIVE_INFINITY;
    double max = 0;
    if (a.dtype() == DType.F32) {
      float[] x = a.floats(), y = b.floats();
      for (int i = 0; i < x.length; i++) {
        double d = Math.abs((double) x[i] - y[i]);
        if (!(d <= max)) max = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
      }
    } else {
      long[] x = a.longs(), y = b.longs();
      for (int i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
    }
    return max;
  }

  /** (task, kernel ns) from TornadoVM's profiler JSON, in the order printed. */
  static List<String[]> kernelTimes(String profile) {
    List<String[]> out = new ArrayList<>();
    Matcher m = Pattern.compile("\"([^\"]+)\":\\s*\\{[^{}]*?\"TASK_KERNEL_TIME\":\\s*\"(\\d+)\"", Pattern.DOTALL).matcher(profile);
    while (m.find()) out.add(new String[] {m.group(1), m.group(2)});
    return out;
  }
}
