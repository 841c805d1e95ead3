package dev.heed.runtime;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Data-parallel loops over an index range, on one shared pool of daemon threads. The pool
 * has {@code -Dheed.threads=N} threads (default: the available processors); the calling
 * thread works too. Idle pool threads poll for new loops for a while before they park (see
 * {@link #SPIN_NANOS}). Loops nested inside a parallel loop run inline on the thread that
 * reaches them, so nesting never deadlocks or oversubscribes the machine.
 */
public final class Parallel {
  /** The body of a parallel loop: handles the indices {@code [from, to)}. */
  @FunctionalInterface
  public interface RangeBody {
    /** Handles indices {@code from} (inclusive) to {@code to} (exclusive). */
    void run(int from, int to);
  }

  private static final int THREADS = Math.max(1, Integer.getInteger("heed.threads",
      Runtime.getRuntime().availableProcessors()));

  /**
   * Each chunk a thread claims is this many threads' share of what is left (guided
   * self-scheduling, down to the loop's minimum chunk): large chunks first, small ones at the end,
   * so that threads finish close together without many chunks. Equal chunks (four per thread)
   * left the last thread to finish up to a whole chunk after the others. Measured on a 2-core
   * AMD EPYC Zen 3, MiniLM on 2 threads, pairs of JMH forks (the two builds alternating which
   * runs first), equal chunks against these: medians of the per-pair speedups 1.08 at 1 × 128
   * (1.02–1.21 over 6 pairs), 1.15 at 8 × 128 (1.04–1.26), 1.05 at 1 × 512 (0.95–1.30). Against
   * this divisor, a whole thread's share per chunk (first chunks twice as large) measured 0.85 at
   * 1 × 128, and a quarter of it (twice as many chunks) 1.01 at 1 × 128 and 0.99 at 8 × 128.
   */
  private static final int SHARE_DIVISOR = 2 * THREADS;

  /** True on pool threads and on callers while they run a chunk: nested loops run inline. */
  private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> Boolean.FALSE);

  private Parallel() {}

  /**
   * How long an idle pool thread keeps polling for the next loop before it parks, in
   * microseconds ({@code -Dheed.spinMicros}, default 200; 0 parks at once). A parked thread
   * takes tens of microseconds to wake (measured here: about 40 µs), which on a two-core
   * machine left the caller doing a short loop alone; a model's kernels follow each other
   * within microseconds, so a polling thread joins each one at once. The cost is a core kept
   * busy for at most this long after the last loop.
   */
  private static final long SPIN_NANOS = Math.max(0L, Long.getLong("heed.spinMicros", 200L)) * 1000L;

  /** The pool, started on first parallel use. */
  private static final class Pool {
    /** Loops waiting for helpers: each loop is offered once per helper it wants. */
    static final ConcurrentLinkedQueue<Loop> QUEUE = new ConcurrentLinkedQueue<>();
    static final Worker[] WORKERS = new Worker[THREADS - 1];

    static {
      for (int i = 0; i < WORKERS.length; i++) {
        WORKERS[i] = new Worker("heed-worker-" + (i + 1));
        WORKERS[i].start();
      }
    }

    /** Offers {@code loop} to {@code helpers} pool threads and wakes parked ones. */
    static void submit(Loop loop, int helpers) {
      for (int i = 0; i < helpers; i++) QUEUE.offer(loop);
      int woken = 0;
      for (Worker w : WORKERS) {
        if (woken == helpers) break;
        if (w.parked) {
          LockSupport.unpark(w);
          woken++;
        }
      }
    }
  }

  /**
   * A pool thread: takes loops from the queue, polls for {@link #SPIN_NANOS} once the queue is
   * empty, then parks. It announces {@link #parked} before its last look at the queue, and a
   * submitter offers before it reads the flag, so a loop offered while it goes to sleep either
   * is seen by that last look or finds the flag set and unparks it.
   */
  private static final class Worker extends Thread {
    volatile boolean parked;

    Worker(String name) {
      super(name);
      setDaemon(true);
    }

    @Override public void run() {
      INSIDE.set(Boolean.TRUE);
      long idleSince = System.nanoTime();
      while (true) {
        Loop loop = Pool.QUEUE.poll();
        if (loop != null) {
          loop.work();
          idleSince = System.nanoTime();
        } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
          Thread.onSpinWait();
        } else {
          parked = true;
          if (Pool.QUEUE.isEmpty()) LockSupport.park(this);
          parked = false;
          idleSince = System.nanoTime();
        }
      }
    }
  }

  /** The number of threads parallel loops use, the caller included. */
  public static int threads() { return THREADS; }

  /**
   * Runs {@code body} over {@code [0, n)} split into chunks of at least one index, in
   * parallel. Use for loops whose every index is substantial work (a row of a large matrix
   * product, one attention head); see {@link #forRange(int, int, RangeBody)} otherwise.
   */
  public static void forRange(int n, RangeBody body) {
    forRange(n, 1, body);
  }

  /**
   * Runs {@code body} over {@code [0, n)} split into chunks of at least {@code minChunk}
   * indices, in parallel; inline when {@code n <= minChunk}, when there is one thread, or
   * when already inside a parallel loop. Returns once every chunk has finished; if any chunk
   * throws, the remaining chunks are skipped and the first exception is rethrown here (with
   * later ones attached as suppressed).
   */
  public static void forRange(int n, int minChunk, RangeBody body) {
    if (n <= 0) return;
    int grain = Math.max(1, minChunk);
    if (THREADS == 1 || n <= grain || INSIDE.get()) {
      body.run(0, n);
      return;
    }
    int helpers = (int) Math.min(THREADS, (n + (long) grain - 1) / grain) - 1;
    Loop loop = new Loop(n, grain, body, Thread.currentThread());
    Pool.submit(loop, helpers);
    INSIDE.set(Boolean.TRUE);
    try {
      loop.work();
    } finally {
      INSIDE.set(Boolean.FALSE);
    }
    loop.awaitClaimedChunks();
    loop.rethrow();
  }

  /**
   * One parallel loop: hands out chunks until they run out or one fails, each a
   * {@link #SHARE_DIVISOR}-th of the indices left and at least {@code grain} (a remainder
   * below {@code grain} joins the chunk before it). The caller takes chunks too and then waits
   * only for the chunks other threads have claimed, never for a helper that has not started
   * yet: on a busy machine a pool thread can wait milliseconds for a core, and a late helper
   * finds no chunk left and returns at once.
   */
  private static final class Loop {
    /** Spins before the caller parks: most chunks end within microseconds of each other. */
    private static final int SPINS = 1 << 12;

    final int n;
    final int grain;
    final RangeBody body;
    final Thread caller;
    /** The first index no chunk has claimed yet. */
    final AtomicInteger next = new AtomicInteger();
    /** Indices whose chunks have ended. */
    final AtomicInteger finished = new AtomicInteger();
    private Throwable failure;
    private volatile boolean failed;

    Loop(int n, int grain, RangeBody body, Thread caller) {
      this.n = n;
      this.grain = grain;
      this.body = body;
      this.caller = caller;
    }

    void work() {
      for (int from = next.get(); from < n; from = next.get()) {
        int left = n - from;
        int size = Math.max(grain, Math.ceilDiv(left, SHARE_DIVISOR));
        int to = left - size < grain ? n : from + size;
        if (!next.compareAndSet(from, to)) continue;
        try {
          if (!failed) body.run(from, to);
        } catch (Throwable t) {
          fail(t);
        } finally {
          if (finished.addAndGet(to - from) == n && Thread.currentThread() != caller) LockSupport.unpark(caller);
        }
      }
    }

    /** Called by the caller once {@link #work} returned there: every chunk is claimed, so each one ends. */
    void awaitClaimedChunks() {
      for (int i = 0; i < SPINS && finished.get() < n; i++) Thread.onSpinWait();
      boolean interrupted = false;
      while (finished.get() < n) {
        LockSupport.park(this);
        if (Thread.interrupted()) interrupted = true; // chunks still use the caller's arrays: keep waiting
      }
      if (interrupted) Thread.currentThread().interrupt();
    }

    synchronized void fail(Throwable t) {
      if (failure == null) failure = t; else if (failure != t) failure.addSuppressed(t);
      failed = true;
    }

    synchronized void rethrow() {
      if (failure == null) return;
      if (failure instanceof RuntimeException e) throw e;
      if (failure instanceof Error e) throw e;
      throw new RuntimeException(failure);
    }
  }
}
