package com.example.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.example.models.Encoder;
import dev.heed.runtime.Tensor;
import org.junit.jupiter.api.Test;

class AppTest {
  @Test
  void encodesThroughTheModelsJar() {
    Tensor out = App.encodeOnes(3, 4);
    assertArrayEquals(new int[] {3, 4, 8}, out.shape());
    for (float v : out.floats()) assertTrue(Float.isFinite(v));
    assertTrue(Encoder.OUTPUTS.size() == 1);
  }
}
