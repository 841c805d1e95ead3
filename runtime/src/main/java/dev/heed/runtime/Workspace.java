package dev.heed.runtime;

/**
 * The working memory of one {@code forward} call of a generated model: a fixed number of
 * {@code float[]} and {@code long[]} slots, to which the model's buffer plan assigns its
 * intermediate tensors (two tensors whose lifetimes overlap never share a slot). A slot grows
 * when a call needs more than it holds and is then kept, so calls in steady state allocate no
 * working memory. Slot contents are whatever the last user left: kernels overwrite every element
 * they produce.
 *
 * <p>Not thread-safe: one call uses a workspace at a time, taking it from and returning it to
 * the model's {@link Workspaces}.
 */
public final class Workspace {
  private final float[][] floats;
  private final long[][] longs;

  /** A workspace with empty slots. */
  public Workspace(int floatSlots, int longSlots) {
    if (floatSlots < 0 || longSlots < 0) {
      throw new IllegalArgumentException("negative slot count: " + floatSlots + " float, " + longSlots + " long");
    }
    floats = new float[floatSlots][];
    longs = new long[longSlots][];
    for (int i = 0; i < floatSlots; i++) floats[i] = new float[0];
    for (int i = 0; i < longSlots; i++) longs[i] = new long[0];
  }

  /** Float slot {@code slot}, holding at least {@code n} elements (grown if it held fewer). */
  public float[] floats(int slot, int n) {
    float[] a = floats[slot];
    if (a.length < checked(n)) {
      a = new float[n];
      floats[slot] = a;
    }
    return a;
  }

  /** Long slot {@code slot}, holding at least {@code n} elements (grown if it held fewer). */
  public long[] longs(int slot, int n) {
    long[] a = longs[slot];
    if (a.length < checked(n)) {
      a = new long[n];
      longs[slot] = a;
    }
    return a;
  }

  public int floatSlots() { return floats.length; }

  public int longSlots() { return longs.length; }

  /** The bytes the slots hold now. */
  public long bytes() {
    long b = 0;
    for (float[] a : floats) b += 4L * a.length;
    for (long[] a : longs) b += 8L * a.length;
    return b;
  }

  private static int checked(int n) {
    if (n < 0) throw new IllegalArgumentException("negative slot size " + n);
    return n;
  }
}
