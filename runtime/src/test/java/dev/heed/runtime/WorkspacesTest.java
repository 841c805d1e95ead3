package dev.heed.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WorkspacesTest {
  @Test
  void slotsGrowOnlyWhenALargerSizeIsNeeded() {
    Workspace w = new Workspace(2, 1);
    float[] a = w.floats(0, 100);
    assertEquals(100, a.length);
    assertSame(a, w.floats(0, 50), "a smaller request reuses the slot");
    assertSame(a, w.floats(0, 100));
    float[] b = w.floats(0, 101);
    assertEquals(101, b.length);
    assertNotSame(a, w.floats(1, 10), "slots are separate");
    long[] l = w.longs(0, 7);
    assertEquals(7, l.length);
    assertSame(l, w.longs(0, 3));
    assertEquals(4L * (101 + 10) + 8L * 7, w.bytes());
    assertThrows(IllegalArgumentException.class, () -> w.floats(1, -1));
  }

  @Test
  void aGivenBackWorkspaceIsTakenAgain() {
    Workspaces pool = new Workspaces(1, 0);
    Workspace a = pool.take();
    Workspace b = pool.take();
    assertNotSame(a, b, "two callers at once get two workspaces");
    a.floats(0, 1000);
    pool.give(a);
    pool.give(b);
    assertEquals(4000L, pool.idleBytes());
    Set<Workspace> again = Collections.newSetFromMap(new IdentityHashMap<>());
    again.add(pool.take());
    again.add(pool.take());
    assertTrue(again.contains(a) && again.contains(b));
    pool.clear();
    assertEquals(0L, pool.idleBytes());
    assertThrows(IllegalArgumentException.class, () -> pool.give(new Workspace(2, 0)));
  }

  @Test
  void concurrentCallersNeverShareAWorkspace() throws Exception {
    Workspaces pool = new Workspaces(1, 0);
    int threads = 8;
    ExecutorService ex = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    Set<Workspace> inUse = Collections.newSetFromMap(new IdentityHashMap<>());
    List<Future<?>> fs = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      fs.add(ex.submit(() -> {
        start.await();
        for (int i = 0; i < 2000; i++) {
          Workspace w = pool.take();
          synchronized (inUse) {
            if (!inUse.add(w)) throw new AssertionError("workspace handed out twice");
          }
          w.floats(0, 16)[0] = i;
          synchronized (inUse) {
            inUse.remove(w);
          }
          pool.give(w);
        }
        return null;
      }));
    }
    start.countDown();
    for (Future<?> f : fs) f.get(1, TimeUnit.MINUTES);
    ex.shutdown();
    assertTrue(pool.idleBytes() <= (long) threads * 16 * 4);
  }
}
