package dev.heed.compiler.interp;

import dev.heed.runtime.Weights;
import dev.heed.runtime.WeightsException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/** Weights for tests: given tensors from a map, or (for {@link #random}) values made from a seed and the name. */
public final class TestWeights implements Weights {
  private final Map<String, float[]> tensors;
  private final Long seed;

  private TestWeights(Map<String, float[]> tensors, Long seed) {
    this.tensors = tensors;
    this.seed = seed;
  }

  /** Exactly these tensors; anything else is missing. */
  public static TestWeights of(Map<String, float[]> tensors) { return new TestWeights(new LinkedHashMap<>(tensors), null); }

  /** No tensors. */
  public static TestWeights none() { return of(Map.of()); }

  /** Any tensor, asked for by any name: uniform in [-1, 1) from {@code seed} and the name, or zeros/ones per init. */
  public static TestWeights random(long seed) { return new TestWeights(Map.of(), seed); }

  @Override public float[] get(String name, int[] shape, String init) {
    int n = 1;
    for (int d : shape) n *= d;
    float[] t = tensors.get(name);
    if (t != null) {
      if (t.length != n) {
        throw new WeightsException(name + ": has " + t.length + " values, asked for shape " + Arrays.toString(shape));
      }
      return t.clone();
    }
    if (seed == null) throw new WeightsException("no tensor " + name);
    float[] out = new float[n];
    switch (init) {
      case "zeros" -> {}
      case "ones" -> Arrays.fill(out, 1f);
      default -> {
        Random r = new Random(seed * 31 + name.hashCode());
        for (int i = 0; i < n; i++) out[i] = r.nextFloat() * 2 - 1;
      }
    }
    return out;
  }

  @Override public Set<String> names() { return tensors.keySet(); }

  @Override public String origin() { return seed == null ? "test map" : "test random(seed=" + seed + ")"; }
}
