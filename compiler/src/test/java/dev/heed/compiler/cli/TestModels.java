package dev.heed.compiler.cli;

import dev.heed.compiler.jar.InMemoryJavac;
import dev.heed.compiler.jar.ModelJar;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A hand-written model jar, so that {@code heed run} is tested without the compiler pipeline:
 * {@code Tiny}: input x: f32[batch, seq, 8], param w: [8, 8], output y = relu(x @ w).
 */
final class TestModels {
  private TestModels() {}

  static final String TINY = """
      package test.models;

      import dev.heed.runtime.*;
      import java.util.*;

      public final class Tiny implements HeedModel {
        static final List<TensorSpec> INPUTS = List.of(new TensorSpec("x", DType.F32, List.of("batch", "seq", "8")));
        static final List<TensorSpec> OUTPUTS = List.of(new TensorSpec("y", DType.F32, List.of("batch", "seq", "8")));
        static final List<HeedModelFactory.ParamSpec> PARAMS = List.of(new HeedModelFactory.ParamSpec("w", new int[] {8, 8}, "uniform"));

        private final float[] w;

        Tiny(Weights weights) { this.w = weights.get("w", new int[] {8, 8}, "uniform"); }

        @Override public String name() { return "Tiny"; }
        @Override public List<TensorSpec> inputs() { return INPUTS; }
        @Override public List<TensorSpec> outputs() { return OUTPUTS; }

        @Override public Map<String, Tensor> run(Map<String, Tensor> inputs) {
          Tensor x = inputs.get("x");
          if (BOOM) throw new IllegalStateException("boom");
          int rows = x.dim(0) * x.dim(1);
          float[] in = x.floats();
          float[] out = new float[rows * 8];
          for (int r = 0; r < rows; r++) {
            for (int j = 0; j < 8; j++) {
              float acc = 0;
              for (int k = 0; k < 8; k++) acc += in[r * 8 + k] * w[k * 8 + j];
              out[r * 8 + j] = Math.max(0f, acc);
            }
          }
          return Map.of("y", Tensor.ofFloats(out, x.dim(0), x.dim(1), 8));
        }

        static final boolean BOOM = false;

        public static final class Factory implements HeedModelFactory {
          @Override public String name() { return "Tiny"; }
          @Override public List<TensorSpec> inputs() { return INPUTS; }
          @Override public List<TensorSpec> outputs() { return OUTPUTS; }
          @Override public List<ParamSpec> parameters() { return PARAMS; }
          @Override public HeedModel create(Weights weights) { return new Tiny(weights); }
        }
      }
      """;

  /** Writes the Tiny model jar; with {@code boom}, its forward pass throws (an internal error). */
  static Path tinyJar(Path jar, boolean boom, Map<String, Path> extraFiles) throws IOException {
    String src = boom ? TINY.replace("BOOM = false", "BOOM = true") : TINY;
    var classes = InMemoryJavac.compile(Map.of("test.models.Tiny", src));
    ModelJar.write(jar, classes, "test.models.Tiny$Factory\n", Map.of(), extraFiles);
    return jar;
  }

  /** What Tiny computes, for checking outputs. */
  static float[] tiny(float[] x, float[] w) {
    int rows = x.length / 8;
    float[] out = new float[rows * 8];
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < 8; j++) {
        float acc = 0;
        for (int k = 0; k < 8; k++) acc += x[r * 8 + k] * w[k * 8 + j];
        out[r * 8 + j] = Math.max(0f, acc);
      }
    }
    return out;
  }
}
