package dev.heed.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {
  @Test void coversEveryIndexExactlyOnce() {
    for (int n : new int[] {0, 1, 2, 3, 17, 1000, 100_003}) {
      for (int grain : new int[] {1, 7, 5000}) {
        AtomicIntegerArray hits = new AtomicIntegerArray(n);
        Parallel.forRange(n, grain, (from, to) -> {
          assertTrue(0 <= from && from < to && to <= n, from + ".." + to);
          for (int i = from; i < to; i++) hits.incrementAndGet(i);
        });
        for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "index " + i + " of " + n + ", grain " + grain);
      }
    }
  }

  /**
   * A loop must not wait for a pool thread that never got to it: here the only pool thread
   * (on two threads) is stuck in another loop, and the caller does every chunk itself.
   */
  @Test void neverWaitsForAHelperThatHasNotStarted() throws Exception {
    assumeTrue(Parallel.threads() > 1);
    CountDownLatch helperBusy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Thread other = new Thread(() -> Parallel.forRange(2, (from, to) -> {
      try {
        if (Thread.currentThread().getName().startsWith("heed-worker")) {
          helperBusy.countDown();
          release.await();
        } else {
          helperBusy.await(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }));
    other.start();
    try {
      assertTrue(helperBusy.await(10, TimeUnit.SECONDS), "a pool thread took a chunk");
      AtomicInteger done = new AtomicInteger();
      assertTimeoutPreemptively(Duration.ofSeconds(10),
          () -> Parallel.forRange(1000, (from, to) -> done.addAndGet(to - from)));
      assertEquals(1000, done.get());
    } finally {
      release.countDown();
      other.join();
    }
  }

  @Test void chunksRespectMinimumSize() {
    AtomicInteger smallest = new AtomicInteger(Integer.MAX_VALUE);
    Parallel.forRange(10_000, 300, (from, to) -> smallest.accumulateAndGet(to - from, Math::min));
    assertTrue(smallest.get() >= 300 || Parallel.threads() == 1, "smallest chunk " + smallest.get());
  }

  /**
   * Chunks shrink as the loop goes (guided self-scheduling): the first is a 2·threads-th of the
   * range, each later one (in index order, which is claim order) no larger than the one before,
   * and the last ones are a single index, so no thread is left with a large chunk at the end.
   */
  @Test void chunksShrinkTowardsTheEnd() {
    assumeTrue(Parallel.threads() > 1, "one thread runs a loop as one chunk");
    int n = 10_000;
    ConcurrentHashMap<Integer, Integer> sizeAt = new ConcurrentHashMap<>();
    Parallel.forRange(n, 1, (from, to) -> sizeAt.put(from, to - from));
    int[] from = sizeAt.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
    assertEquals(Math.ceilDiv(n, 2 * Parallel.threads()), sizeAt.get(0));
    for (int i = 1; i < from.length; i++) {
      assertTrue(sizeAt.get(from[i]) <= sizeAt.get(from[i - 1]), "chunk at " + from[i] + " grew: " + sizeAt);
    }
    assertEquals(1, sizeAt.get(from[from.length - 1]));
    assertTrue(from.length < 100, from.length + " chunks");
  }

  @Test void usesSeveralThreadsWhenAvailable() {
    Set<Thread> threads = ConcurrentHashMap.newKeySet();
    Parallel.forRange(64, (from, to) -> {
      threads.add(Thread.currentThread());
      try {
        Thread.sleep(2L * (to - from));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertTrue(threads.size() >= Math.min(2, Parallel.threads()), "threads used: " + threads.size());
    assertTrue(threads.size() <= Parallel.threads());
  }

  @Test void nestedLoopsCompleteAndCoverEverything() {
    AtomicIntegerArray hits = new AtomicIntegerArray(50 * 40);
    Parallel.forRange(50, (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        int row = r;
        Parallel.forRange(40, (c0, c1) -> {
          for (int c = c0; c < c1; c++) hits.incrementAndGet(row * 40 + c);
        });
      }
    });
    for (int i = 0; i < hits.length(); i++) assertEquals(1, hits.get(i));
  }

  @Test void propagatesWorkerExceptions() {
    IllegalStateException boom = new IllegalStateException("boom at 777");
    IllegalStateException thrown = assertThrows(IllegalStateException.class,
        () -> Parallel.forRange(1000, (from, to) -> {
          if (from <= 777 && 777 < to) throw boom;
        }));
    assertSame(boom, thrown);
    AssertionError error = assertThrows(AssertionError.class,
        () -> Parallel.forRange(1000, (from, to) -> {
          throw new AssertionError("every chunk fails");
        }));
    assertEquals("every chunk fails", error.getMessage());
    // The pool is still usable afterwards.
    AtomicInteger sum = new AtomicInteger();
    Parallel.forRange(100, (from, to) -> sum.addAndGet(to - from));
    assertEquals(100, sum.get());
  }

  /**
   * Pool threads that polled until they gave up and parked, or are about to, still join the
   * next loop: each loop here has two chunks that wait for each other at a barrier, so it ends
   * only if a pool thread takes one. Gaps from none to well past the polling window (parked)
   * cross the moment a thread goes to sleep, where a lost wake-up would hang the loop.
   */
  @Test void parkedAndPollingPoolThreadsJoinTheNextLoop() {
    assumeTrue(Parallel.threads() > 1);
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      long[] gapsNanos = {0, 50_000, 150_000, 250_000, 2_000_000, 20_000_000};
      for (int round = 0; round < 60; round++) {
        long gap = gapsNanos[round % gapsNanos.length] + round * 1_000L;
        long until = System.nanoTime() + gap;
        while (System.nanoTime() < until) Thread.onSpinWait();
        java.util.concurrent.CyclicBarrier both = new java.util.concurrent.CyclicBarrier(2);
        Set<Thread> ran = ConcurrentHashMap.newKeySet();
        Parallel.forRange(2, (from, to) -> {
          ran.add(Thread.currentThread());
          try {
            both.await(20, TimeUnit.SECONDS);
          } catch (Exception e) {
            throw new AssertionError("gap " + gap + " ns: no pool thread joined the loop", e);
          }
        });
        assertEquals(2, ran.size(), "round with gap " + gap + " ns: two threads ran the two chunks");
      }
    });
  }
}
