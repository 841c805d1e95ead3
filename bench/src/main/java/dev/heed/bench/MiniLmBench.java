package dev.heed.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.heed.compiler.onnx.WeightFiles;
import dev.heed.runtime.Parallel;
import dev.heed.runtime.Tensor;
import dev.heed.runtime.Weights;
import heed.examples.minilm.MiniLM;
import java.io.IOException;
import java.io.InputStream;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * all-MiniLM-L6-v2 forward at {@code batch x seq}: heed's generated {@link MiniLM} against
 * ONNX Runtime, both with the real weights of the same ONNX export (heed reads them from it,
 * as {@code heed compile --weights model.onnx} does) and on {@code -Dheed.threads} threads
 * (ORT: intra-op threads, sequential execution, all graph optimisations, as in the baselines
 * of shared/CONTEXT.md).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class MiniLmBench {
  /** {@code batch x seq}. */
  @Param({"1x128", "8x128", "32x128", "1x512"})
  public String shape;

  @Param({"heed", "ort"})
  public String engine;

  private MiniLM heed;
  private Tensor ids;
  private Tensor mask;
  private Tensor types;
  private OrtEnvironment env;
  private OrtSession ort;
  private Map<String, OnnxTensor> feeds;

  @Setup
  public void setUp() throws IOException, OrtException {
    String[] bs = shape.split("x");
    int batch = Integer.parseInt(bs[0]);
    int seq = Integer.parseInt(bs[1]);
    long[] idData = new SplittableRandom(3).longs((long) batch * seq, 1000, 30000).toArray();
    long[] ones = new long[batch * seq];
    Arrays.fill(ones, 1);
    long[] zeros = new long[batch * seq];
    byte[] model;
    try (InputStream in = MiniLmBench.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2.onnx")) {
      if (in == null) throw new IOException("all-minilm-l6-v2.onnx is not on the classpath");
      model = in.readAllBytes();
    }
    if (engine.equals("heed")) {
      Path onnx = Files.createTempFile("heed-minilm-bench", ".onnx");
      try {
        Files.write(onnx, model);
        try (Weights w = WeightFiles.open(onnx, MiniLM.PARAMETERS)) {
          heed = new MiniLM(w);
        }
      } finally {
        Files.deleteIfExists(onnx);
      }
      ids = Tensor.ofLongs(idData, batch, seq);
      mask = Tensor.ofLongs(ones, batch, seq);
      types = Tensor.ofLongs(zeros, batch, seq);
      return;
    }
    env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setIntraOpNumThreads(Parallel.threads());
      opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      ort = env.createSession(model, opts);
    }
    long[] dims = {batch, seq};
    feeds = Map.of(
        "input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(idData), dims),
        "attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(ones), dims),
        "token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(zeros), dims));
  }

  @TearDown
  public void tearDown() throws OrtException {
    if (feeds != null) feeds.values().forEach(OnnxTensor::close);
    if (ort != null) ort.close();
  }

  @Benchmark
  public float forward() throws OrtException {
    if (heed != null) return heed.forward(ids, mask, types).lastHiddenState().floats()[0];
    try (OrtSession.Result r = ort.run(feeds)) {
      return ((OnnxTensor) r.get(0)).getFloatBuffer().get(0);
    }
  }
}
