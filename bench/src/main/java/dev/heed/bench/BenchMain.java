package dev.heed.bench;

import dev.heed.runtime.Parallel;
import dev.heed.runtime.kernels.Simd;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs heed's benchmarks with JMH and prints one table: the FMA ceiling, GEMM at 1024³, the
 * seed transformer's forward pass and MiniLM, each on 1 and 2 threads. {@code --quick}: fewer and
 * shorter iterations, for a smoke run. Started by {@code bench/run}.
 *
 * <p>Then loading MiniLM's real weights into a ready model against ONNX Runtime's session creation
 * ({@link LoadBench}), and all-MiniLM-L6-v2 against ONNX Runtime ({@link MiniLmBench}); the table ends with one
 * ratio line per shape and thread count, the last one
 * {@code minilm 8x128 threads=2: heed/ort throughput = X.XX} (above 1: heed is faster).
 *
 * <p>{@code --paired [N]}: MiniLM against ONNX Runtime only, on 2 threads, as N pairs of JMH forks
 * per shape (default 5), one fork of each engine per pair, the engine that goes first alternating
 * from pair to pair; each pair gives a ratio and the table ends with their medians and ranges.
 * On a shared machine whose speed drifts for seconds or minutes at a time, the plain run (every
 * heed fork, then every ORT fork) can put the two engines in different weather; a pair's two
 * forks are a few seconds apart. The same goes for the GEMM target: {@code --paired} also runs
 * GEMM 1024³ ({@code linear}, packed weight) and the FMA ceiling as N pairs of forks on 2 threads
 * and reports the GEMM's share of the ceiling per pair, with the median and range.
 */
public final class BenchMain {
  private static final String ADD_VECTOR = "--add-modules=jdk.incubator.vector";

  /** One line of the table. */
  private record Row(String what, int threads, double value, String unit, String note) {}

  private BenchMain() {}

  public static void main(String[] args) throws RunnerException {
    boolean quick = List.of(args).contains("--quick");
    int pairedAt = List.of(args).indexOf("--paired");
    if (pairedAt >= 0) {
      int pairs = pairedAt + 1 < args.length && args[pairedAt + 1].matches("\\d+") ? Integer.parseInt(args[pairedAt + 1]) : 5;
      if (pairs < 1) throw new IllegalArgumentException("--paired: at least one pair");
      paired(quick, pairs);
      return;
    }
    List<Row> rows = new ArrayList<>();

    double[] ceiling = new double[3];
    for (int t = 1; t <= 2; t++) {
      RunResult r = single(run(options(quick, t).include(FmaCeiling.class.getName() + ".fma").threads(t)));
      ceiling[t] = ceilingGflops(r, t);
      rows.add(new Row("fma ceiling (registers only)", t, ceiling[t], "GFLOP/s", ""));
    }

    for (int t = 1; t <= 2; t++) {
      for (RunResult r : run(options(quick, t).include(GemmBench.class.getName()))) {
        int n = Integer.parseInt(r.getParams().getParam("n"));
        double gflops = gemmGflops(r, n);
        String kind = r.getParams().getBenchmark().endsWith("linearPacked") ? "linear, packed weight" : "matmul, packs B";
        rows.add(new Row("gemm " + n + "³ " + kind, t, gflops, "GFLOP/s",
            String.format("%.0f%% of ceiling", 100 * gflops / ceiling[t])));
      }
    }

    for (int t = 2; t >= 1; t--) {
      for (RunResult r : run(modelOptions(quick, t).include(TransformerBench.class.getName()))) {
        String shape = r.getParams().getParam("shape");
        int batch = Integer.parseInt(shape.split("x")[0]);
        double ms = micros(r) / 1e3;
        rows.add(new Row("seed transformer " + shape, t, ms, "ms", String.format("%.1f seq/s", batch * 1e3 / ms)));
      }
    }

    // MiniLM: heed against ONNX Runtime at each shape and thread count; the ratio lines close the table.
    List<String> ratios = new ArrayList<>();
    Map<String, Double> loadMs = new LinkedHashMap<>();
    for (RunResult r : run(loadOptions(quick).include(LoadBench.class.getName()))) {
      String engine = r.getParams().getParam("engine");
      double ms = r.getPrimaryResult().getScore();
      loadMs.put(engine, ms);
      rows.add(new Row("minilm load " + engine, Parallel.threads(), ms, "ms", "weights file → ready model"));
    }
    for (String engine : List.of("heed-safetensors", "heed-onnx")) {
      ratios.add(String.format("minilm load: %s/ort session creation time = %.2f", engine,
          loadMs.get(engine) / loadMs.get("ort")));
    }
    for (int t = 1; t <= 2; t++) {
      Map<String, Double> heedMs = new LinkedHashMap<>(), ortMs = new HashMap<>();
      for (RunResult r : run(modelOptions(quick, t).include(MiniLmBench.class.getName()))) {
        String shape = r.getParams().getParam("shape");
        String engine = r.getParams().getParam("engine");
        double ms = micros(r) / 1e3;
        (engine.equals("heed") ? heedMs : ortMs).put(shape, ms);
        int batch = Integer.parseInt(shape.split("x")[0]);
        rows.add(new Row("minilm " + shape + " " + engine, t, ms, "ms", String.format("%.1f seq/s", batch * 1e3 / ms)));
      }
      for (String shape : heedMs.keySet()) {
        ratios.add(String.format("minilm %s threads=%d: heed/ort throughput = %.2f", shape, t,
            ortMs.get(shape) / heedMs.get(shape)));
      }
    }
    // The headline goes last: 8x128 on 2 threads.
    ratios.sort(Comparator.comparing((String line) -> line.startsWith("minilm 8x128 threads=2")));

    System.out.println();
    System.out.printf("heed bench: kernels %s, %s, Java %s, %d processors%s%n", Simd.describe(),
        System.getProperty("os.arch"), Runtime.version().feature(), Runtime.getRuntime().availableProcessors(),
        quick ? ", --quick (indicative only)" : "");
    System.out.printf("%-40s %7s %10s  %-8s %s%n", "benchmark", "threads", "score", "unit", "");
    for (Row row : rows) {
      System.out.printf("%-40s %7d %10.2f  %-8s %s%n", row.what(), row.threads(), row.value(), row.unit(), row.note());
    }
    ratios.forEach(System.out::println);
  }

  /** {@code --paired}: see the class comment. */
  private static void paired(boolean quick, int pairs) throws RunnerException {
    int threads = 2;
    String[] shapes = {"1x128", "8x128", "32x128", "1x512"};
    List<String> lines = new ArrayList<>(), ratios = new ArrayList<>();
    for (String shape : shapes) {
      double[] ratio = new double[pairs];
      for (int i = 0; i < pairs; i++) {
        double[] ms = pair(i, () -> minilmMs(quick, threads, shape, "heed"), () -> minilmMs(quick, threads, shape, "ort"));
        double heed = ms[0], ort = ms[1];
        ratio[i] = ort / heed;
        lines.add(String.format("%-8s %4d %10.2f %10.2f %10.2f", shape, i + 1, heed, ort, ratio[i]));
      }
      Arrays.sort(ratio);
      ratios.add(String.format("minilm %s threads=%d: heed/ort throughput = %.2f (median of %d paired forks, %.2f–%.2f)",
          shape, threads, median(ratio), pairs, ratio[0], ratio[pairs - 1]));
    }
    // GEMM 1024³ against the FMA ceiling, in pairs of forks as well.
    List<String> gemmLines = new ArrayList<>();
    double[] share = new double[pairs];
    int n = 1024;
    for (int i = 0; i < pairs; i++) {
      double[] gflops = pair(i,
          () -> gemmGflops(single(run(pairedOptions(quick, threads).include(GemmBench.class.getName() + ".linearPacked")
              .param("n", String.valueOf(n)).param("shape", "square"))), n),
          () -> ceilingGflops(single(run(pairedOptions(quick, threads).include(FmaCeiling.class.getName() + ".fma")
              .threads(threads))), threads));
      double gemm = gflops[0], ceiling = gflops[1];
      share[i] = gemm / ceiling;
      gemmLines.add(String.format("%-8s %4d %10.2f %10.2f %9.0f%%", "1024³", i + 1, gemm, ceiling, 100 * share[i]));
    }
    Arrays.sort(share);
    ratios.add(0, String.format(
        "gemm %d³ threads=%d: linear, packed weight = %.0f%% of the FMA ceiling (median of %d paired forks, %.0f–%.0f%%)",
        n, threads, 100 * median(share), pairs, 100 * share[0], 100 * share[pairs - 1]));
    ratios.sort(Comparator.comparing((String line) -> line.startsWith("minilm 8x128 threads=2")));
    System.out.println();
    System.out.printf("heed bench --paired: kernels %s, %s, Java %s, %d processors, %d threads%s%n", Simd.describe(),
        System.getProperty("os.arch"), Runtime.version().feature(), Runtime.getRuntime().availableProcessors(), threads,
        quick ? ", --quick (indicative only)" : "");
    System.out.printf("%-8s %4s %10s %10s %10s%n", "shape", "pair", "heed ms", "ort ms", "heed/ort");
    lines.forEach(System.out::println);
    System.out.printf("%-8s %4s %10s %10s %10s%n", "gemm", "pair", "GFLOP/s", "ceiling", "share");
    gemmLines.forEach(System.out::println);
    ratios.forEach(System.out::println);
  }

  /** One JMH fork's measurement. */
  @FunctionalInterface
  private interface Fork {
    double measure() throws RunnerException;
  }

  /**
   * Pair {@code i} of a {@code --paired} comparison: both forks, {@code a} first in even pairs and
   * {@code b} first in odd ones; returns {a's result, b's result}.
   */
  private static double[] pair(int i, Fork a, Fork b) throws RunnerException {
    if (i % 2 == 0) {
      double first = a.measure();
      return new double[] {first, b.measure()};
    }
    double first = b.measure();
    return new double[] {a.measure(), first};
  }

  /** One fork of MiniLM's forward pass on {@code engine}: milliseconds per call. */
  private static double minilmMs(boolean quick, int threads, String shape, String engine) throws RunnerException {
    return micros(single(run(pairedOptions(quick, threads).include(MiniLmBench.class.getName() + ".forward")
        .param("shape", shape).param("engine", engine)))) / 1e3;
  }

  /** GFLOP/s of one {@link GemmBench} result for an {@code n × n × n} product. */
  private static double gemmGflops(RunResult r, int n) {
    return 2.0 * n * n * n / micros(r) / 1e3;
  }

  /** GFLOP/s of one {@link FmaCeiling} result run on {@code threads} JMH threads. */
  private static double ceilingGflops(RunResult r, int threads) {
    return threads * FmaCeiling.flops() / micros(r) / 1e3;
  }

  /** The median of sorted values. */
  private static double median(double[] sorted) {
    int k = sorted.length;
    return k % 2 == 1 ? sorted[k / 2] : (sorted[k / 2 - 1] + sorted[k / 2]) / 2;
  }

  /** One short fork per engine and shape for {@code --paired}: the pair's two forks should be close in time. */
  private static ChainedOptionsBuilder pairedOptions(boolean quick, int threads) {
    return options(quick, threads, quick ? 4 : 6).measurementIterations(quick ? 2 : 4).measurementTime(TimeValue.seconds(1));
  }

  private static ChainedOptionsBuilder options(boolean quick, int threads) {
    return options(quick, threads, quick ? 2 : 4);
  }

  /**
   * Options for a whole model's forward pass, which warms up far longer than a kernel: its first
   * call runs the generated forward and the Vector API kernels interpreted (over a second for
   * the seed transformer at 8x128), and C2 then compiles them for seconds more, on cores that
   * heed's threads are using too. Measured after 2 warm-up seconds, the 2-thread runs were still
   * compiling and read 1.7–3× slower than 1 thread; warmed up, they are faster.
   */
  private static ChainedOptionsBuilder modelOptions(boolean quick, int threads) {
    return options(quick, threads, quick ? 6 : 10);
  }

  /** Single shots of loading a model: each iteration one load, after a few warm-up loads. */
  private static ChainedOptionsBuilder loadOptions(boolean quick) {
    String[] jvm = Runtime.version().feature() >= 23
        ? new String[] {ADD_VECTOR, "--sun-misc-unsafe-memory-access=allow"} : new String[] {ADD_VECTOR};
    return new OptionsBuilder()
        .forks(1)
        .jvmArgsPrepend(jvm)
        .jvmArgsAppend("-Dheed.threads=" + Parallel.threads(), "-Xmx4g")
        .warmupIterations(quick ? 3 : 5)
        .measurementIterations(quick ? 5 : 10)
        .verbosity(VerboseMode.SILENT);
  }

  private static ChainedOptionsBuilder options(boolean quick, int threads, int warmupSeconds) {
    // JMH reads fields through sun.misc.Unsafe, which JDK 24+ warns about in every fork.
    String[] jvm = Runtime.version().feature() >= 23
        ? new String[] {ADD_VECTOR, "--sun-misc-unsafe-memory-access=allow"} : new String[] {ADD_VECTOR};
    return new OptionsBuilder()
        .forks(1)
        .jvmArgsPrepend(jvm)
        .jvmArgsAppend("-Dheed.threads=" + threads)
        .warmupIterations(warmupSeconds)
        .warmupTime(TimeValue.seconds(1))
        .measurementIterations(quick ? 3 : 6)
        .measurementTime(TimeValue.seconds(quick ? 1 : 2))
        .verbosity(VerboseMode.SILENT);
  }

  private static Collection<RunResult> run(ChainedOptionsBuilder o) throws RunnerException {
    return new Runner(o.build()).run();
  }

  private static RunResult single(Collection<RunResult> results) {
    if (results.size() != 1) throw new IllegalStateException("expected one result, got " + results.size());
    return results.iterator().next();
  }

  /** Average microseconds per call (per thread). */
  private static double micros(RunResult r) {
    return r.getPrimaryResult().getScore();
  }
}
