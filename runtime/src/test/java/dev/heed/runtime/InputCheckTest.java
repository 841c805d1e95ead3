package dev.heed.runtime;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class InputCheckTest {
  @Test
  void namesRejectsAKeyThatIsNoInputAndNull() {
    java.util.List<TensorSpec> specs = java.util.List.of(new TensorSpec("ids", DType.I64, java.util.List.of("batch", "seq")));
    Tensor ids = Tensor.ofLongs(new long[2], 1, 2);
    assertDoesNotThrow(() -> InputCheck.names(java.util.Map.of("ids", ids), specs));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> InputCheck.names(java.util.Map.of("ids", ids, "idz", ids), specs));
    org.junit.jupiter.api.Assertions.assertEquals("unknown input 'idz'; the model's inputs are ids: i64[batch, seq]", e.getMessage());
    assertThrows(NullPointerException.class, () -> InputCheck.names(null, specs));
  }

  @Test
  void fitsAcceptsTheLargestArrayAndRejectsOneMore() {
    assertDoesNotThrow(() -> InputCheck.fits("f32[n]", InputCheck.MAX_ELEMENTS));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> InputCheck.fits("f32[n]", InputCheck.MAX_ELEMENTS + 1));
    assertTrue(e.getMessage().contains("f32[n]") && e.getMessage().contains("2147483640"), e.getMessage());
  }

  @Test
  void fitsDetectsProductsThatOverflowLong() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> InputCheck.fits("f32[a, b, c]", Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE));
    assertTrue(e.getMessage().contains("more than 2^63"), e.getMessage());
  }
}
