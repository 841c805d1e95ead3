package dev.heed.runtime;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A generated model's pool of {@link Workspace}s: each {@code forward} call takes one, uses it
 * alone, and gives it back when it ends (also when it throws), so concurrent callers each work
 * in their own memory and a call in steady state allocates nothing but its outputs. The pool
 * holds at most as many workspaces as calls ever ran at once (up to {@value #CAPACITY} idle
 * ones; beyond that a returned workspace is left to the garbage collector). Taking and giving
 * back are lock-free and allocate nothing.
 */
public final class Workspaces {
  /** Idle workspaces kept at most. */
  public static final int CAPACITY = 64;

  private final int floatSlots;
  private final int longSlots;
  private final AtomicReferenceArray<Workspace> idle = new AtomicReferenceArray<>(CAPACITY);

  /** A pool of workspaces with {@code floatSlots} float and {@code longSlots} long slots. */
  public Workspaces(int floatSlots, int longSlots) {
    if (floatSlots < 0 || longSlots < 0) {
      throw new IllegalArgumentException("negative slot count: " + floatSlots + " float, " + longSlots + " long");
    }
    this.floatSlots = floatSlots;
    this.longSlots = longSlots;
  }

  /** An idle workspace, or a new one when every workspace is in use. */
  public Workspace take() {
    for (int i = 0; i < CAPACITY; i++) {
      if (idle.get(i) != null) {
        Workspace w = idle.getAndSet(i, null);
        if (w != null) return w;
      }
    }
    return new Workspace(floatSlots, longSlots);
  }

  /** Returns {@code w}, taken from this pool, for later calls. */
  public void give(Workspace w) {
    if (w == null) return;
    if (w.floatSlots() != floatSlots || w.longSlots() != longSlots) {
      throw new IllegalArgumentException("workspace of another model: " + w.floatSlots() + " float and " + w.longSlots()
          + " long slots, this pool's have " + floatSlots + " and " + longSlots);
    }
    for (int i = 0; i < CAPACITY; i++) {
      if (idle.get(i) == null && idle.compareAndSet(i, null, w)) return;
    }
  }

  /** Drops every idle workspace, releasing its memory (calls in progress keep theirs). */
  public void clear() {
    for (int i = 0; i < CAPACITY; i++) idle.set(i, null);
  }

  /** The bytes the idle workspaces hold. */
  public long idleBytes() {
    long b = 0;
    for (int i = 0; i < CAPACITY; i++) {
      Workspace w = idle.get(i);
      if (w != null) b += w.bytes();
    }
    return b;
  }
}
