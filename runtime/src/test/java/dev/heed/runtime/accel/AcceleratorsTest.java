package dev.heed.runtime.accel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.runtime.Tensor;
import dev.heed.runtime.Weights;
import dev.heed.runtime.io.RandomWeights;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/** The run-time choice between TornadoVM and the jvm kernels, with stand-in accelerators. */
@Isolated
class AcceleratorsTest {
  static final Tensor[] RESULT = {Tensor.ofFloats(new float[] {1f}, 1)};

  /** Works. */
  public static final class Good implements AcceleratedModel {
    public Good(Weights w) {}

    @Override public Tensor[] forward(Tensor[] inputs) {
      if (inputs.length != 1) throw new IllegalArgumentException("expected 1 input");
      return RESULT;
    }

    @Override public String device() { return "stand-in"; }
  }

  /** No device: the constructor throws, as the generated class does. */
  public static final class NoDevice implements AcceleratedModel {
    public NoDevice(Weights w) { throw new IllegalStateException("TornadoVM has no backend with a device"); }

    @Override public Tensor[] forward(Tensor[] inputs) { return null; }

    @Override public String device() { return ""; }
  }

  /** Fails at run time, like a bailout with recovery off. */
  public static final class Breaks implements AcceleratedModel {
    public Breaks(Weights w) {}

    @Override public Tensor[] forward(Tensor[] inputs) { throw new RuntimeException("Bailout is disabled"); }

    @Override public String device() { return "stand-in"; }
  }

  @AfterEach
  void reset() {
    System.clearProperty(Accelerators.MODE);
    Accelerators.resetNotice();
  }

  private static String stderr(Runnable r) {
    PrintStream err = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setErr(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      r.run();
    } finally {
      System.setErr(err);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static <T> T quietly(Supplier<T> s) {
    Object[] box = new Object[1];
    stderr(() -> box[0] = s.get());
    @SuppressWarnings("unchecked") T t = (T) box[0];
    return t;
  }

  private static Accelerators.Accelerated load(Class<?> c) {
    return Accelerators.load(AcceleratorsTest.class, c.getName(), "M", new RandomWeights(1));
  }

  @Test
  void aWorkingAcceleratorRunsTheForwardPass() {
    Accelerators.Accelerated a = load(Good.class);
    assertNotNull(a);
    assertEquals("stand-in", a.device());
    assertSame(RESULT, a.forward(Tensor.ofFloats(new float[1], 1)));
    assertThrows(IllegalArgumentException.class, () -> a.forward(), "bad inputs are the caller's error, not a fallback");
    assertSame(RESULT, a.forward(Tensor.ofFloats(new float[1], 1)));
  }

  @Test
  void missingClassesOrDeviceGiveTheJvmKernelsAfterOneNotice() {
    String err = stderr(() -> {
      assertNull(Accelerators.load(AcceleratorsTest.class, "heed.models.NoSuchTornado", "M", new RandomWeights(1)));
      assertNull(load(NoDevice.class));
    });
    assertEquals(1, err.lines().count(), err);
    assertTrue(err.startsWith("heed: TornadoVM is not available (class heed.models.NoSuchTornado not found); running the jvm kernels"), err);
    Accelerators.resetNotice();
    err = stderr(() -> assertNull(load(NoDevice.class)));
    assertTrue(err.contains("IllegalStateException: TornadoVM has no backend with a device"), err);
  }

  @Test
  void aFailureAtRunTimeSwitchesToTheJvmKernelsForGood() {
    Accelerators.Accelerated a = load(Breaks.class);
    String err = stderr(() -> {
      assertNull(a.forward(Tensor.ofFloats(new float[1], 1)));
      assertNull(a.forward(Tensor.ofFloats(new float[1], 1)));
    });
    assertEquals("heed: M: TornadoVM failed (RuntimeException: Bailout is disabled); running the jvm kernels from now on\n", err);
  }

  @Test
  void theModeProperty() {
    System.setProperty(Accelerators.MODE, "off");
    assertNull(quietly(() -> load(Good.class)), "off: never");
    System.setProperty(Accelerators.MODE, "require");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> load(NoDevice.class));
    assertTrue(e.getMessage().contains("TornadoVM is required (-Dheed.tornado=require) but cannot be used"), e.getMessage());
    Accelerators.Accelerated a = load(Breaks.class);
    assertThrows(RuntimeException.class, () -> a.forward(Tensor.ofFloats(new float[1], 1)), "require: no fallback");
    System.setProperty(Accelerators.MODE, "sometimes");
    assertThrows(IllegalArgumentException.class, Accelerators::mode);
  }

  @Test
  void idsAndMasksKeepTheirMeaningAsInts() {
    assertEquals(Integer.MAX_VALUE, Accelerators.saturatedInt(1L << 40));
    assertEquals(Integer.MIN_VALUE, Accelerators.saturatedInt(-(1L << 40)));
    assertEquals(7, Accelerators.saturatedInt(7));
  }
}
