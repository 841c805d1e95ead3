package dev.heed.bench;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.heed.compiler.onnx.WeightFiles;
import dev.heed.runtime.HeedModelFactory.ParamSpec;
import dev.heed.runtime.Parallel;
import dev.heed.runtime.Tensor;
import dev.heed.runtime.Weights;
import dev.heed.runtime.io.SafetensorsWriter;
import heed.examples.minilm.MiniLM;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * From a weights file on disk to a model ready to run, all-MiniLM-L6-v2's real weights:
 * <ul>
 *   <li>{@code heed-safetensors}: {@code new MiniLM(WeightFiles.open(file.safetensors))} — the
 *       file heed's {@code import-weights} writes; every tensor checked, read, and each linear
 *       weight packed for the GEMM kernel;
 *   <li>{@code heed-onnx}: the same from the ONNX file itself (protobuf parsed, MatMul weights
 *       found in the graph and transposed);
 *   <li>{@code ort}: ONNX Runtime's session creation on the same ONNX file (all graph
 *       optimisations, as {@link MiniLmBench} runs it).
 * </ul>
 * One shot per iteration: what a process pays once at start-up.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class LoadBench {
  @Param({"heed-safetensors", "heed-onnx", "ort"})
  public String engine;

  private Path dir;
  private Path onnx;
  private Path safetensors;
  private OrtEnvironment env;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    dir = Files.createTempDirectory("heed-load-bench");
    onnx = dir.resolve("all-minilm-l6-v2.onnx");
    try (InputStream in = LoadBench.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2.onnx")) {
      if (in == null) throw new IOException("all-minilm-l6-v2.onnx is not on the classpath");
      Files.copy(in, onnx);
    }
    // What `heed import-weights` writes: every parameter, by checkpoint name, in heed's layout.
    safetensors = dir.resolve("minilm.safetensors");
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    try (Weights w = WeightFiles.open(onnx, MiniLM.PARAMETERS)) {
      for (ParamSpec p : MiniLM.PARAMETERS) {
        tensors.put(p.name(), Tensor.ofFloats(w.get(p.name(), p.shape(), p.init()), p.shape()));
      }
    } catch (Exception e) {
      throw new IOException(e);
    }
    SafetensorsWriter.write(safetensors, tensors);
    if (engine.equals("ort")) env = OrtEnvironment.getEnvironment();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  @Benchmark
  public Object load() throws Exception {
    switch (engine) {
      case "heed-safetensors" -> {
        try (Weights w = WeightFiles.open(safetensors, MiniLM.PARAMETERS)) {
          return new MiniLM(w);
        }
      }
      case "heed-onnx" -> {
        try (Weights w = WeightFiles.open(onnx, MiniLM.PARAMETERS)) {
          return new MiniLM(w);
        }
      }
      default -> {
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
          opts.setIntraOpNumThreads(Parallel.threads());
          opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
          opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
          OrtSession s = env.createSession(onnx.toString(), opts);
          s.close();
          return s;
        } catch (OrtException e) {
          throw new IllegalStateException(e);
        }
      }
    }
  }
}
