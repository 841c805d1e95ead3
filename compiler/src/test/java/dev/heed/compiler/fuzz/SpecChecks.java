package dev.heed.compiler.fuzz;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.heed.compiler.HeedCompiler;
import dev.heed.compiler.lower.Lowering;
import dev.heed.dsl.diag.Diagnostic;
import dev.heed.dsl.diag.HeedException;
import dev.heed.dsl.diag.SourceFile;
import dev.heed.dsl.diag.Span;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What heed promises for any spec text: {@link HeedCompiler#compile} returns Java sources or
 * throws a {@link HeedException} whose diagnostics all lie inside the spec (or the prelude),
 * within a time limit, on a thread with a modest stack, without allocating gigabytes.
 */
final class SpecChecks {
  private static final long STACK_BYTES = 512 * 1024;
  private static final Duration LIMIT = Duration.ofSeconds(20);
  private static final long MAX_ALLOCATED = 2_000_000_000L;

  /** One daemon worker, reused; replaced when a try hangs, so later tries still get answers. */
  private static ExecutorService worker = newWorker();

  private static ExecutorService newWorker() {
    return Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(null, r, "fuzz-worker", STACK_BYTES);
      t.setDaemon(true);
      return t;
    });
  }

  private SpecChecks() {}

  /** The spec as a failure message shows it: long ones cut in the middle. */
  static String shown(String text) {
    return text.length() <= 3000 ? text : text.substring(0, 1500) + "\n[... " + (text.length() - 3000)
        + " characters ...]\n" + text.substring(text.length() - 1500);
  }

  /** Compiles {@code text} as {@code name} and checks the outcome; returns the diagnostics (empty: compiled). */
  static synchronized List<Diagnostic> compile(String name, String text) {
    SourceFile file = new SourceFile(name, text);
    Future<Object[]> future = worker.submit(() -> {
      var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
      long before = threads.getCurrentThreadAllocatedBytes();
      Object outcome;
      try {
        HeedCompiler.Result r = HeedCompiler.compile(file, HeedCompiler.Options.defaults(), s -> { });
        outcome = r;
      } catch (Throwable t) {
        outcome = t;
      }
      return new Object[] {outcome, threads.getCurrentThreadAllocatedBytes() - before};
    });
    Object[] result;
    try {
      result = future.get(LIMIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      worker.shutdownNow();
      worker = newWorker();
      throw new AssertionError("no answer within " + LIMIT.toSeconds() + " s (hang?) for:\n" + shown(text));
    } catch (InterruptedException | ExecutionException e) {
      throw new AssertionError(e);
    }
    long allocated = (Long) result[1];
    assertTrue(allocated < MAX_ALLOCATED, "allocated " + allocated + " bytes for:\n" + shown(text));
    if (result[0] instanceof HeedCompiler.Result r) {
      assertFalse(r.javaSources().isEmpty(), "a compiled spec has Java sources");
      return List.of();
    }
    if (!(result[0] instanceof HeedException e)) {
      Throwable t = (Throwable) result[0];
      fail("undocumented " + t + " for:\n" + shown(text), t);
      return List.of();
    }
    assertFalse(e.diagnostics().isEmpty(), "a HeedException has diagnostics");
    List<Diagnostic> errors = new ArrayList<>();
    for (Diagnostic d : e.diagnostics()) {
      String where = d.headline() + "\nin:\n" + shown(text);
      inside(d.span(), file, where);
      for (Diagnostic.Note n : d.notes()) inside(n.span(), file, "note " + n.message() + " of " + where);
      assertFalse(d.message().isBlank() || d.message().contains("null") || d.message().contains("<INVALID>"), where);
      if (d.severity() == Diagnostic.Severity.ERROR) errors.add(d);
    }
    assertFalse(errors.isEmpty(), "a HeedException has an error");
    e.render();
    return e.diagnostics();
  }

  /** The span lies on a line of its file, at a column no further than one past the line's end. */
  static void inside(Span span, SourceFile spec, String where) {
    SourceFile f = span.file();
    assertTrue(f == spec || f.name().equals(Lowering.PRELUDE_NAME), "span in an unknown file: " + where);
    assertTrue(span.line() >= 1 && span.line() <= f.lineCount(), "line outside the file: " + where);
    assertTrue(span.col() >= 1 && span.col() <= f.line(span.line()).length() + 1, "column outside the line: " + where);
  }
}
