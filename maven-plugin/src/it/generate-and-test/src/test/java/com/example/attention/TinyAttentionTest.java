package com.example.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.runtime.HeedModelFactory;
import dev.heed.runtime.HeedModels;
import dev.heed.runtime.Tensor;
import dev.heed.runtime.io.RandomWeights;
import org.junit.jupiter.api.Test;

class TinyAttentionTest {
  @Test
  void forwardGivesTheDeclaredShapeAndFiniteValues() {
    TinyAttention model = new TinyAttention(new RandomWeights(7));
    int batch = 2, seq = 5;
    float[] x = new float[batch * seq * 8];
    for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
    long[] pad = new long[batch * seq];
    java.util.Arrays.fill(pad, 1);
    pad[pad.length - 1] = 0; // the second sequence's last position is padding

    Tensor out = model.forward(Tensor.ofFloats(x, batch, seq, 8), Tensor.ofLongs(pad, batch, seq)).out();

    assertArrayEquals(new int[] {batch, seq, 8}, out.shape());
    for (float v : out.floats()) assertTrue(Float.isFinite(v), "non-finite output " + v);
  }

  @Test
  void theServicesFileRegistersTheModel() {
    HeedModelFactory factory = HeedModels.find(getClass().getClassLoader(), "TinyAttention");
    assertEquals("TinyAttention", factory.name());
    assertEquals(3, factory.parameters().size());
  }
}
