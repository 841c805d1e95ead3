package dev.heed.runtime;

import java.util.Arrays;
import java.util.Objects;

/**
 * A dense row-major tensor: an element type, a shape, and the data in a Java array
 * ({@code float[]} for F32, {@code long[]} for I64). The array is shared, not copied.
 */
public final class Tensor {
  private final DType dtype;
  private final int[] shape;
  private final float[] floats;
  private final long[] longs;

  private Tensor(DType dtype, int[] shape, float[] floats, long[] longs) {
    this.dtype = dtype;
    this.shape = shape.clone();
    this.floats = floats;
    this.longs = longs;
    long n = elements(shape);
    int len = floats != null ? floats.length : longs.length;
    if (n != len) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " holds " + n + " elements but the data has " + len);
    }
  }

  public static Tensor ofFloats(float[] data, int... shape) {
    return new Tensor(DType.F32, shape, Objects.requireNonNull(data), null);
  }

  public static Tensor ofLongs(long[] data, int... shape) {
    return new Tensor(DType.I64, shape, null, Objects.requireNonNull(data));
  }

  public static Tensor zeros(DType dtype, int... shape) {
    Objects.requireNonNull(dtype, "dtype");
    long n = elements(shape);
    if (n > InputCheck.MAX_ELEMENTS) throw new IllegalArgumentException("tensor too large: " + Arrays.toString(shape));
    return dtype == DType.F32 ? ofFloats(new float[(int) n], shape) : ofLongs(new long[(int) n], shape);
  }

  /**
   * The element count of {@code shape}, or {@link Long#MAX_VALUE} when it exceeds a long (no
   * array holds that many, so it never matches one).
   *
   * @throws IllegalArgumentException for a negative dimension
   */
  private static long elements(int[] shape) {
    long n = 1;
    for (int d : shape) {
      if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      try {
        n = Math.multiplyExact(n, d);
      } catch (ArithmeticException e) {
        n = Long.MAX_VALUE;
      }
    }
    for (int d : shape) if (d == 0) return 0;
    return n;
  }

  public DType dtype() { return dtype; }

  public int[] shape() { return shape.clone(); }

  public int rank() { return shape.length; }

  public int dim(int axis) { return shape[axis]; }

  public int size() { return floats != null ? floats.length : longs.length; }

  /** The F32 data; throws if this tensor is I64. */
  public float[] floats() {
    if (floats == null) throw new IllegalStateException("tensor is " + dtype.irName() + ", not f32");
    return floats;
  }

  /** The I64 data; throws if this tensor is F32. */
  public long[] longs() {
    if (longs == null) throw new IllegalStateException("tensor is " + dtype.irName() + ", not i64");
    return longs;
  }

  /** {@code f32[2, 3]} */
  public String typeString() {
    StringBuilder sb = new StringBuilder(dtype.irName()).append('[');
    for (int i = 0; i < shape.length; i++) sb.append(i == 0 ? "" : ", ").append(shape[i]);
    return sb.append(']').toString();
  }

  @Override public String toString() { return "Tensor " + typeString(); }
}
