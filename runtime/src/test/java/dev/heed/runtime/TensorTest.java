package dev.heed.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TensorTest {
  @Test void aShapeMustHoldTheDataExactly() {
    Tensor t = Tensor.ofFloats(new float[6], 2, 3);
    assertArrayEquals(new int[] {2, 3}, t.shape());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.ofFloats(new float[5], 2, 3));
    assertTrue(e.getMessage().contains("holds 6 elements but the data has 5"), e.getMessage());
  }

  @Test void aShapeWhoseCountOverflowsIsNoEmptyTensor() {
    // 2^64 elements: a long product would wrap to 0 and match an empty array.
    assertThrows(IllegalArgumentException.class, () -> Tensor.ofFloats(new float[0], 65536, 65536, 65536, 65536));
    assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(DType.F32, 65536, 65536, 65536, 65536));
    assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(DType.F32, 65536, 65536));
    // A zero dimension anywhere is an empty tensor, however large the others.
    assertEquals(0, Tensor.zeros(DType.F32, 65536, 65536, 65536, 0).size());
  }

  @Test void badArgumentsAreIllegalArgumentsNotArrayErrors() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(DType.F32, -1));
    assertTrue(e.getMessage().contains("negative dimension"), e.getMessage());
    NullPointerException n = assertThrows(NullPointerException.class, () -> Tensor.zeros(null, 2));
    assertEquals("dtype", n.getMessage());
  }
}
