package dev.heed.runtime.io;

import java.util.Collection;

/** Finds the stored name closest to a requested one, for "did you mean" hints. */
final class Names {
  private Names() {}

  /**
   * The candidate closest to {@code name}: one that equals it up to a dotted prefix
   * ("model.encoder.w" for "encoder.w" or the reverse), else the one with the smallest edit
   * distance if that is at most a third of the name's length (at least 2); null if none is close.
   */
  static String closest(String name, Collection<String> candidates) {
    for (String c : candidates) {
      if (c.endsWith("." + name) || name.endsWith("." + c)) return c;
    }
    int limit = Math.max(2, name.length() / 3);
    String best = null;
    int bestDistance = limit + 1;
    for (String c : candidates) {
      if (Math.abs(c.length() - name.length()) >= bestDistance) continue;
      int d = distance(name, c, bestDistance);
      if (d < bestDistance) {
        bestDistance = d;
        best = c;
      }
    }
    return best;
  }

  /** Levenshtein distance, or any value ≥ {@code cap} once it is known to reach cap. */
  static int distance(String a, String b, int cap) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) prev[j] = j;
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      int rowMin = cur[0];
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
        rowMin = Math.min(rowMin, cur[j]);
      }
      if (rowMin >= cap) return cap;
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
