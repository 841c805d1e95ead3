package dev.heed.dsl.diag;

import java.util.ArrayList;
import java.util.List;

/**
 * The text of one spec file, with the name diagnostics print for it. A leading UTF-8 byte
 * order mark (U+FEFF, as some editors write) is dropped, so it is neither a token nor a
 * column of line 1.
 */
public final class SourceFile {
  private final String name;
  private final String text;
  private final int[] lineStarts;

  public SourceFile(String name, String text) {
    this.name = name;
    this.text = text.startsWith("\uFEFF") ? text.substring(1) : text;
    List<Integer> starts = new ArrayList<>();
    starts.add(0);
    for (int i = 0; i < this.text.length(); i++) {
      if (this.text.charAt(i) == '\n') starts.add(i + 1);
    }
    this.lineStarts = starts.stream().mapToInt(Integer::intValue).toArray();
  }

  public String name() { return name; }

  public String text() { return text; }

  public int lineCount() { return lineStarts.length; }

  /** The text of 1-based line {@code line}, without its line terminator; "" when out of range. */
  public String line(int line) {
    if (line < 1 || line > lineStarts.length) return "";
    int start = lineStarts[line - 1];
    int end = line < lineStarts.length ? lineStarts[line] - 1 : text.length();
    if (end > start && text.charAt(end - 1) == '\r') end--;
    return text.substring(start, Math.max(start, end));
  }

  @Override public String toString() { return name; }
}
