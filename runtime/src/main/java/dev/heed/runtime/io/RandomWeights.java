package dev.heed.runtime.io;

import dev.heed.runtime.Weights;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Seeded random weights, for running a model before it has a checkpoint. Each tensor's values
 * depend only on the seed and the tensor's name (through a 64-bit FNV-1a hash of its UTF-8
 * bytes), so they do not change with the order tensors are requested in, and the generator
 * uses no JDK-version-dependent algorithm beyond {@link SplittableRandom#nextDouble()}.
 *
 * <p>Init rules: "uniform" draws from U(-1/√fanIn, 1/√fanIn) with fanIn the last dimension
 * (U(-0.1, 0.1) for tensors of rank 0 or 1); "normal" from N(0, 0.02²); "zeros" and "ones"
 * are constant.
 */
public final class RandomWeights implements Weights {
  private final long seed;

  /** Random weights drawn from {@code seed}. */
  public RandomWeights(long seed) {
    this.seed = seed;
  }

  /** The seed these weights are drawn from. */
  public long seed() { return seed; }

  /**
   * @throws IllegalArgumentException if {@code init} is not one of the four rules, or the
   *     shape has a negative dimension or too many elements
   */
  @Override public float[] get(String name, int[] shape, String init) {
    if (!List.of("zeros", "ones", "uniform", "normal").contains(String.valueOf(init))) {
      throw new IllegalArgumentException("tensor '" + name + "': unknown init '" + init
          + "' (expected uniform, normal, zeros or ones)");
    }
    long count = 1;
    for (int d : shape) {
      if (d < 0) throw new IllegalArgumentException("tensor '" + name + "': negative dimension in "
          + Safetensors.dims(shape));
      count *= d;
      if (count > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("tensor '" + name + "': shape " + Safetensors.dims(shape)
            + " is too large for a Java array");
      }
    }
    float[] out = new float[(int) count];
    switch (init == null ? "null" : init) {
      case "zeros" -> { }
      case "ones" -> Arrays.fill(out, 1f);
      case "uniform" -> {
        double bound = shape.length >= 2 ? 1.0 / Math.sqrt(shape[shape.length - 1]) : 0.1;
        SplittableRandom r = random(name);
        for (int i = 0; i < out.length; i++) out[i] = (float) ((2 * r.nextDouble() - 1) * bound);
      }
      case "normal" -> {
        SplittableRandom r = random(name);
        for (int i = 0; i < out.length; i += 2) {
          // Box-Muller: two independent standard normals from two uniforms.
          double u1 = 1.0 - r.nextDouble(); // in (0, 1], so log is finite
          double u2 = r.nextDouble();
          double radius = Math.sqrt(-2 * Math.log(u1)) * 0.02;
          out[i] = (float) (radius * Math.cos(2 * Math.PI * u2));
          if (i + 1 < out.length) out[i + 1] = (float) (radius * Math.sin(2 * Math.PI * u2));
        }
      }
      default -> throw new IllegalArgumentException("tensor '" + name + "': unknown init '" + init
          + "' (expected uniform, normal, zeros or ones)");
    }
    return out;
  }

  private SplittableRandom random(String name) {
    return new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ fnv1a64(name));
  }

  /** The 64-bit FNV-1a hash of {@code s}'s UTF-8 bytes. */
  static long fnv1a64(String s) {
    long h = 0xcbf29ce484222325L;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return h;
  }

  /** Always empty: tensors are made on demand. */
  @Override public Set<String> names() { return Set.of(); }

  /** {@code random(seed=7)} */
  @Override public String origin() { return "random(seed=" + seed + ")"; }
}
