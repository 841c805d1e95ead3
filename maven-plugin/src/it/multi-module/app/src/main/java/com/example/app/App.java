package com.example.app;

import dev.heed.runtime.HeedModel;
import dev.heed.runtime.HeedModels;
import dev.heed.runtime.Tensor;
import dev.heed.runtime.io.RandomWeights;
import java.util.Map;

/** Runs the Encoder model from the models module, found through its services file. */
public final class App {
  private App() {}

  /** The Encoder's output for a batch of ones. */
  public static Tensor encodeOnes(int batch, int seq) {
    HeedModel model = HeedModels.find(App.class.getClassLoader(), "Encoder").create(new RandomWeights(1));
    float[] x = new float[batch * seq * 8];
    java.util.Arrays.fill(x, 1f);
    long[] pad = new long[batch * seq];
    java.util.Arrays.fill(pad, 1);
    return model.run(Map.of("x", Tensor.ofFloats(x, batch, seq, 8), "pad", Tensor.ofLongs(pad, batch, seq))).get("out");
  }
}
