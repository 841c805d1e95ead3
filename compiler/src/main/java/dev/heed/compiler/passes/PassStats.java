package dev.heed.compiler.passes;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** Named counts a pass reports, in the order first counted: {@code nodes removed: 3, constants folded: 2}. */
public final class PassStats {
  private final Map<String, Long> counts = new LinkedHashMap<>();

  /** Adds {@code n} to the statistic {@code name} (recording it even when {@code n} is 0). */
  public PassStats add(String name, long n) {
    counts.merge(name, n, Long::sum);
    return this;
  }

  /** Adds 1 to {@code name}. */
  public PassStats increment(String name) { return add(name, 1); }

  /** The count for {@code name}, 0 if never counted. */
  public long get(String name) { return counts.getOrDefault(name, 0L); }

  public Map<String, Long> counts() { return Collections.unmodifiableMap(counts); }

  public boolean isEmpty() { return counts.isEmpty(); }

  /** One line: {@code nodes removed: 3, constants folded: 2}, or {@code nothing counted}. */
  @Override public String toString() {
    if (counts.isEmpty()) return "nothing counted";
    return counts.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining(", "));
  }
}
