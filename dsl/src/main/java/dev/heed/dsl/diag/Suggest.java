package dev.heed.dsl.diag;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/**
 * "Did you mean" suggestions for unknown names, used by every such error in heed.
 *
 * <p>A candidate is close when its Damerau-Levenshtein distance to the name (adjacent
 * transpositions count as one edit), compared case-insensitively, is at most
 * {@code max(1, name.length() / 3)} and smaller than the longer of the two lengths (so
 * {@code x} never suggests {@code y}). The closest wins; among equally close candidates
 * the one nearer in case wins (so {@code Relu} suggests {@code relu} over {@code RELU}),
 * then the alphabetically first. The name itself is never suggested.
 */
public final class Suggest {
  private Suggest() {}

  /** The candidate closest to {@code name}, if any is close enough. */
  public static Optional<String> closest(String name, Collection<String> candidates) {
    String lower = name.toLowerCase(Locale.ROOT);
    int limit = Math.max(1, name.length() / 3);
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    int bestCaseDistance = Integer.MAX_VALUE;
    for (String candidate : candidates) {
      if (candidate == null || candidate.equals(name)) continue;
      int d = distance(lower, candidate.toLowerCase(Locale.ROOT));
      if (d > limit || d >= Math.max(name.length(), candidate.length())) continue;
      int caseDistance = distance(name, candidate);
      boolean better = best == null
          || d < bestDistance
          || (d == bestDistance && caseDistance < bestCaseDistance)
          || (d == bestDistance && caseDistance == bestCaseDistance && candidate.compareTo(best) < 0);
      if (better) {
        best = candidate;
        bestDistance = d;
        bestCaseDistance = caseDistance;
      }
    }
    return Optional.ofNullable(best);
  }

  /** {@code "; did you mean 'X'?"} for the closest candidate, or {@code ""} when none is close. */
  public static String didYouMean(String name, Collection<String> candidates) {
    return closest(name, candidates).map(s -> "; did you mean '" + s + "'?").orElse("");
  }

  /**
   * The Damerau-Levenshtein distance (optimal string alignment: insertions, deletions,
   * substitutions and transpositions of adjacent characters each cost one).
   */
  public static int distance(String a, String b) {
    int n = a.length();
    int m = b.length();
    int[][] d = new int[n + 1][m + 1];
    for (int i = 0; i <= n; i++) d[i][0] = i;
    for (int j = 0; j <= m; j++) d[0][j] = j;
    for (int i = 1; i <= n; i++) {
      for (int j = 1; j <= m; j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        int v = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          v = Math.min(v, d[i - 2][j - 2] + 1);
        }
        d[i][j] = v;
      }
    }
    return d[n][m];
  }
}
