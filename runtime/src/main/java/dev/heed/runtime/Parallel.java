package dev.heed.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Data-parallel loops over an index range, on one shared pool of daemon threads. The pool
 * has {@code -Dheed.threads=N} threads (default: the available processors); the calling
 * thread works too. Loops nested inside a parallel loop run inline on the thread that
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

  /** Chunks per thread, so threads that finish early can take over work. */
  private static final int CHUNKS_PER_THREAD = 4;

  /** True on pool threads and on callers while they run a chunk: nested loops run inline. */
  private static final ThreadLocal<Boolean> INSIDE = ThreadLocal.withInitial(() -> Boolean.FALSE);

  private Parallel() {}

  /** The pool, created on first parallel use. */
  private static final class Pool {
    static final ExecutorService EXECUTOR = Executors.newFixedThreadPool(THREADS - 1, new java.util.concurrent.ThreadFactory() {
      private final AtomicInteger count = new AtomicInteger();

      @Override public Thread newThread(Runnable r) {
        Thread t = new Thread(() -> {
          INSIDE.set(Boolean.TRUE);
          r.run();
        }, "heed-worker-" + count.incrementAndGet());
        t.setDaemon(true);
        return t;
      }
    });
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
    int chunks = (int) Math.min((n + (long) grain - 1) / grain, (long) THREADS * CHUNKS_PER_THREAD);
    int tasks = Math.min(THREADS, chunks);
    Loop loop = new Loop(n, chunks, body);
    List<Future<?>> futures = new ArrayList<>(tasks - 1);
    for (int i = 1; i < tasks; i++) futures.add(Pool.EXECUTOR.submit(loop::work));
    INSIDE.set(Boolean.TRUE);
    try {
      loop.work();
    } finally {
      INSIDE.set(Boolean.FALSE);
    }
    boolean interrupted = false;
    for (Future<?> f : futures) {
      while (true) {
        try {
          f.get();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException e) {
          loop.fail(e.getCause()); // work() catches everything, so this is unexpected
          break;
        }
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
    loop.rethrow();
  }

  /** One parallel loop: hands out chunks until they run out or one fails. */
  private static final class Loop {
    final int n;
    final int chunks;
    final RangeBody body;
    final AtomicInteger next = new AtomicInteger();
    private Throwable failure;
    private volatile boolean failed;

    Loop(int n, int chunks, RangeBody body) {
      this.n = n;
      this.chunks = chunks;
      this.body = body;
    }

    void work() {
      for (int c = next.getAndIncrement(); c < chunks && !failed; c = next.getAndIncrement()) {
        int from = (int) ((long) n * c / chunks);
        int to = (int) ((long) n * (c + 1) / chunks);
        try {
          body.run(from, to);
        } catch (Throwable t) {
          fail(t);
        }
      }
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
