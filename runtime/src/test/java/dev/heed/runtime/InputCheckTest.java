package dev.heed.runtime;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class InputCheckTest {
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
