package dev.heed.runtime;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Tiny hand-written models, and class loaders that register them as services. */
public final class TestModels {
  private TestModels() {}

  /**
   * "adder": {@code y = x + w} per row, with {@code x: f32[batch, 3]}, {@code w} a learned
   * f32[3] (init "ones"), and {@code count: i64[batch]} echoing {@code ids: i64[batch]} plus one.
   */
  public static final class Adder implements HeedModelFactory {
    @Override public String name() { return "adder"; }

    @Override public List<TensorSpec> inputs() {
      return List.of(new TensorSpec("x", DType.F32, List.of("batch", "3")),
          new TensorSpec("ids", DType.I64, List.of("batch")));
    }

    @Override public List<TensorSpec> outputs() {
      return List.of(new TensorSpec("y", DType.F32, List.of("batch", "3")),
          new TensorSpec("count", DType.I64, List.of("batch")));
    }

    @Override public List<ParamSpec> parameters() {
      return List.of(new ParamSpec("w", new int[] {3}, "ones"));
    }

    @Override public HeedModel create(Weights weights) {
      float[] w = weights.get("w", new int[] {3}, "ones");
      Adder factory = this;
      return new HeedModel() {
        @Override public String name() { return factory.name(); }

        @Override public List<TensorSpec> inputs() { return factory.inputs(); }

        @Override public List<TensorSpec> outputs() { return factory.outputs(); }

        @Override public Map<String, Tensor> run(Map<String, Tensor> in) {
          Tensor x = in.get("x");
          float[] y = x.floats().clone();
          for (int i = 0; i < y.length; i++) y[i] += w[i % 3];
          long[] ids = in.get("ids").longs();
          long[] count = new long[ids.length];
          for (int i = 0; i < ids.length; i++) count[i] = ids[i] + 1;
          Map<String, Tensor> out = new LinkedHashMap<>();
          out.put("y", Tensor.ofFloats(y, x.shape()));
          out.put("count", Tensor.ofLongs(count, ids.length));
          return out;
        }
      };
    }
  }

  /** "failing": no inputs; running it throws. */
  public static final class Failing implements HeedModelFactory {
    @Override public String name() { return "failing"; }

    @Override public List<TensorSpec> inputs() { return List.of(); }

    @Override public List<TensorSpec> outputs() { return List.of(); }

    @Override public List<ParamSpec> parameters() { return List.of(); }

    @Override public HeedModel create(Weights weights) {
      throw new IllegalStateException("model failing: cannot be created");
    }
  }

  /** A class loader that sees {@code factories} as HeedModelFactory services. */
  public static ClassLoader loaderWith(Path dir, Class<?>... factories) throws IOException {
    Path services = dir.resolve("META-INF/services");
    Files.createDirectories(services);
    StringBuilder sb = new StringBuilder();
    for (Class<?> c : factories) sb.append(c.getName()).append('\n');
    Files.writeString(services.resolve(HeedModelFactory.class.getName()), sb);
    return new URLClassLoader(new URL[] {dir.toUri().toURL()}, TestModels.class.getClassLoader());
  }
}
