package dev.heed.compiler;

import dev.heed.compiler.ir.Dim;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import dev.heed.runtime.DType;
import dev.heed.runtime.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded random inputs for a model, as a test or demo wants them: f32 inputs uniform
 * in [-1, 1); i64 inputs that feed an embedding get ids across its vocabulary; i64
 * inputs that feed a padding mask get 1s followed by 0s, the first row full length and
 * later rows shorter, so padding is exercised.
 */
public final class SampleInputs {
  private SampleInputs() {}

  /** Inputs for {@code g} with each symbolic dimension set from {@code sizes}. */
  public static Map<String, Tensor> make(Graph g, Map<String, Integer> sizes, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Node in : g.inputs()) {
      int[] shape = new int[in.type().rank()];
      for (int i = 0; i < shape.length; i++) {
        Dim d = in.type().dim(i);
        if (d instanceof Dim.Sym s) {
          Integer v = sizes.get(s.name());
          if (v == null) throw new IllegalArgumentException("no size given for dimension '" + s.name() + "' of input '" + in.strAttr("name") + "'");
          shape[i] = v;
        } else {
          shape[i] = (int) d.size();
        }
      }
      int n = 1;
      for (int s : shape) n *= s;
      String name = in.strAttr("name");
      if (in.type().dtype() == DType.F32) {
        float[] data = new float[n];
        for (int i = 0; i < n; i++) data[i] = (float) (rnd.nextDouble() * 2 - 1);
        out.put(name, Tensor.ofFloats(data, shape));
      } else if (feeds(g, in, Op.PADDING_MASK) && shape.length == 2) {
        long[] data = new long[n];
        int rows = shape[0], len = shape[1];
        for (int r = 0; r < rows; r++) {
          int valid = r == 0 ? len : 1 + rnd.nextInt(len);
          for (int j = 0; j < valid; j++) data[r * len + j] = 1;
        }
        out.put(name, Tensor.ofLongs(data, shape));
      } else {
        long vocab = vocabOf(g, in);
        long[] data = new long[n];
        for (int i = 0; i < n; i++) data[i] = rnd.nextLong(vocab);
        out.put(name, Tensor.ofLongs(data, shape));
      }
    }
    return out;
  }

  private static boolean feeds(Graph g, Node in, Op op) {
    return g.nodes().stream().anyMatch(n -> n.op() == op && n.operands().contains(in.name()));
  }

  /** The smallest embedding table the input indexes, or 2 when it feeds none. */
  private static long vocabOf(Graph g, Node in) {
    Map<String, Node> byName = g.byName();
    long vocab = Long.MAX_VALUE;
    for (Node n : g.nodes()) {
      if (n.op() == Op.EMBEDDING && n.operands().get(0).equals(in.name())) {
        vocab = Math.min(vocab, byName.get(n.operands().get(1)).type().dim(0).size());
      }
    }
    return vocab == Long.MAX_VALUE ? 2 : vocab;
  }
}
