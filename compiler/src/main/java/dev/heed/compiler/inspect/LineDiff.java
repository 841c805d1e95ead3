package dev.heed.compiler.inspect;

import java.util.ArrayList;
import java.util.List;

/** A line diff by longest common subsequence: small, exact, and enough for IR listings. */
public final class LineDiff {
  /** How a line of the diff relates the two texts. */
  public enum Tag { SAME, REMOVED, ADDED }

  /** One line of the diff. */
  public record Line(Tag tag, String text) {}

  private LineDiff() {}

  /** The lines of {@code before} and {@code after}, each kept, removed or added. */
  public static List<Line> diff(List<String> before, List<String> after) {
    int n = before.size(), m = after.size();
    int[][] lcs = new int[n + 1][m + 1];
    for (int i = n - 1; i >= 0; i--) {
      for (int j = m - 1; j >= 0; j--) {
        lcs[i][j] = before.get(i).equals(after.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    List<Line> out = new ArrayList<>();
    int i = 0, j = 0;
    while (i < n && j < m) {
      if (before.get(i).equals(after.get(j))) {
        out.add(new Line(Tag.SAME, before.get(i++)));
        j++;
      } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
        out.add(new Line(Tag.REMOVED, before.get(i++)));
      } else {
        out.add(new Line(Tag.ADDED, after.get(j++)));
      }
    }
    while (i < n) out.add(new Line(Tag.REMOVED, before.get(i++)));
    while (j < m) out.add(new Line(Tag.ADDED, after.get(j++)));
    return out;
  }

  /** True when the diff changes nothing. */
  public static boolean unchanged(List<Line> diff) {
    return diff.stream().allMatch(l -> l.tag() == Tag.SAME);
  }
}
