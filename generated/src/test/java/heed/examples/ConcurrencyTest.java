package heed.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.compiler.SampleInputs;
import dev.heed.compiler.ir.Graph;
import dev.heed.runtime.HeedModel;
import dev.heed.runtime.Tensor;
import dev.heed.runtime.io.RandomWeights;
import heed.examples.attention.MultiHead;
import heed.examples.seed.Transformer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * One instance of a generated model serves many threads: 8 threads × 500 calls with mixed
 * shapes on a shared {@link MultiHead} and a shared {@link Transformer} give, bit for bit, what
 * one thread gets, and leave their inputs as they were.
 */
class ConcurrencyTest {
  private static final int THREADS = 8;
  private static final int CALLS = 500;

  /** One call: which model, its inputs, and what a single thread got for them. */
  private record Call(HeedModel model, Map<String, Tensor> inputs, Map<String, Tensor> expected, String what) {}

  @Test
  void sharedInstancesGiveSingleThreadedResultsBitForBit() throws Exception {
    HeedModel multiHead = new MultiHead(new RandomWeights(7));
    HeedModel transformer = new Transformer(new RandomWeights(7));
    Graph multiHeadIr = Examples.compile("examples/attention/multi_head.heed").ir();
    Graph transformerIr = Examples.compile("examples/seed/transformer.heed").ir();

    // Mixed shapes, the reference results computed single-threaded, before any sharing.
    List<Call> calls = new ArrayList<>();
    int seed = 0;
    for (int batch = 1; batch <= 3; batch++) {
      for (int seq : new int[] {1, 2, 5, 9}) {
        Map<String, Tensor> in = SampleInputs.make(multiHeadIr, Map.of("batch", batch, "seq", seq), seed++);
        calls.add(new Call(multiHead, in, multiHead.run(in), "MultiHead " + batch + "x" + seq));
        Map<String, Tensor> t = SampleInputs.make(transformerIr,
            Map.of("batch", batch, "src_seq", seq, "tgt_seq", 1 + (seq * 3) % 7), seed++);
        calls.add(new Call(transformer, t, transformer.run(t), "Transformer " + batch + "x" + seq));
      }
    }
    List<Map<String, Tensor>> inputCopies = calls.stream().map(c -> copy(c.inputs())).toList();

    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Integer>> results = new ArrayList<>();
    // Set when the test ends, passed or failed: no thread keeps calling models after it.
    AtomicBoolean stop = new AtomicBoolean();
    for (int t = 0; t < THREADS; t++) {
      int thread = t;
      Callable<Integer> work = () -> {
        start.await();
        int checked = 0;
        for (int i = 0; i < CALLS && !stop.get(); i++) {
          // Each thread walks the calls in its own order, so different shapes overlap.
          Call c = calls.get((i * (2 * thread + 1) + thread * 7) % calls.size());
          Map<String, Tensor> got = c.model().run(c.inputs());
          assertEquals(c.expected().keySet(), got.keySet(), c.what());
          for (String name : got.keySet()) {
            assertTrue(sameBits(c.expected().get(name), got.get(name)),
                c.what() + " output " + name + " differs from the single-threaded run (thread " + thread + ", call " + i + ")");
          }
          checked++;
        }
        return checked;
      };
      results.add(pool.submit(work));
    }
    start.countDown();
    int total = 0;
    try {
      for (Future<Integer> f : results) total += f.get(10, TimeUnit.MINUTES);
    } finally {
      stop.set(true);
      pool.shutdown();
      pool.awaitTermination(1, TimeUnit.MINUTES);
    }
    assertEquals(THREADS * CALLS, total);
    for (int i = 0; i < calls.size(); i++) {
      for (String name : inputCopies.get(i).keySet()) {
        assertTrue(sameBits(inputCopies.get(i).get(name), calls.get(i).inputs().get(name)), calls.get(i).what() + ": input "
            + name + " was changed");
      }
    }
  }

  private static boolean sameBits(Tensor a, Tensor b) {
    if (a.dtype() != b.dtype() || !Arrays.equals(a.shape(), b.shape())) return false;
    if (a.dtype() == dev.heed.runtime.DType.I64) return Arrays.equals(a.longs(), b.longs());
    float[] x = a.floats(), y = b.floats();
    if (x.length != y.length) return false;
    for (int i = 0; i < x.length; i++) {
      if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])) return false;
    }
    return true;
  }

  private static Map<String, Tensor> copy(Map<String, Tensor> inputs) {
    Map<String, Tensor> out = new java.util.LinkedHashMap<>();
    inputs.forEach((k, v) -> out.put(k, v.dtype() == dev.heed.runtime.DType.F32
        ? Tensor.ofFloats(v.floats().clone(), v.shape()) : Tensor.ofLongs(v.longs().clone(), v.shape())));
    return out;
  }
}
