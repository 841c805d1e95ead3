package dev.heed.bench;

import dev.heed.runtime.Tensor;
import dev.heed.runtime.io.RandomWeights;
import heed.examples.seed.Transformer;
import java.util.Arrays;
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

/**
 * One forward pass of the seed example's encoder–decoder ({@code examples/seed/transformer.heed},
 * d_model 64, vocab 1000) with random weights, at {@code batch x seq} shapes (source and
 * target the same length, no padding).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class TransformerBench {
  /** {@code batch x seq}. */
  @Param({"1x16", "8x64", "8x128"})
  public String shape;

  private Transformer model;
  private Tensor src;
  private Tensor srcPad;
  private Tensor tgt;

  @Setup
  public void setUp() {
    String[] bs = shape.split("x");
    int batch = Integer.parseInt(bs[0]);
    int seq = Integer.parseInt(bs[1]);
    model = new Transformer(new RandomWeights(1));
    SplittableRandom r = new SplittableRandom(2);
    src = Tensor.ofLongs(r.longs((long) batch * seq, 0, 1000).toArray(), batch, seq);
    tgt = Tensor.ofLongs(r.longs((long) batch * seq, 0, 1000).toArray(), batch, seq);
    long[] keep = new long[batch * seq];
    Arrays.fill(keep, 1);
    srcPad = Tensor.ofLongs(keep, batch, seq);
  }

  @Benchmark
  public Transformer.Outputs forward() {
    return model.forward(src, srcPad, tgt);
  }
}
