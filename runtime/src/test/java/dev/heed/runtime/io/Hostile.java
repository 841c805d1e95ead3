package dev.heed.runtime.io;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one fuzz input on a worker thread with a modest stack, and checks what heed promises
 * for hostile files: it returns, or throws one of the documented exceptions with a one-line
 * message naming the file, within a time limit, without allocating much more than the file.
 */
final class Hostile {
  /** Stack of the worker thread: smaller than a typical thread's, so deep recursion shows. */
  private static final long STACK_BYTES = 512 * 1024;
  private static final Duration LIMIT = Duration.ofSeconds(10);

  /** The code under test. */
  interface Body {
    void run() throws Exception;
  }

  /** One daemon worker, reused (a thread per try costs more than most tries); replaced after a hang. */
  private static ExecutorService worker = newWorker();

  private static ExecutorService newWorker() {
    return Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(null, r, "fuzz-worker", STACK_BYTES);
      t.setDaemon(true);
      return t;
    });
  }

  private Hostile() {}

  /**
   * Runs {@code body}; fails unless it completes, or throws one of {@code allowed} whose
   * message is a single line containing {@code file}. Also fails when the body allocated more
   * than {@code maxBytes}.
   */
  static synchronized void check(String what, Path file, long maxBytes, List<Class<? extends Throwable>> allowed, Body body) {
    Future<Object[]> future = worker.submit(() -> {
      var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
      long before = threads.getCurrentThreadAllocatedBytes();
      Throwable thrown = null;
      try {
        body.run();
      } catch (Throwable t) {
        thrown = t;
      }
      long allocated = threads.getCurrentThreadAllocatedBytes() - before;
      return new Object[] {thrown, allocated};
    });
    Object[] result;
    try {
      result = future.get(LIMIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      worker.shutdownNow();
      worker = newWorker();
      throw new AssertionError(what + ": no answer within " + LIMIT.toSeconds() + " s (hang?)");
    } catch (InterruptedException | ExecutionException e) {
      throw new AssertionError(e);
    }
    Throwable thrown = (Throwable) result[0];
    long allocated = (Long) result[1];
    if (thrown != null) {
      boolean ok = allowed.stream().anyMatch(c -> c.isInstance(thrown));
      if (!ok) fail(what + ": undocumented " + thrown, thrown);
      String message = thrown.getMessage();
      assertTrue(message != null && !message.isBlank(), what + ": empty message");
      assertFalse(message.contains("\n") || message.contains("\r"), what + ": message has several lines: " + message);
      assertTrue(message.contains(file.toString()), what + ": message does not name the file: " + message);
    }
    assertTrue(allocated <= maxBytes, what + ": allocated " + allocated + " bytes, more than " + maxBytes);
  }
}
