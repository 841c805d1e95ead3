package dev.heed.compiler.cli;

import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/** Sizes of symbolic dimensions given on the command line ({@code --dims}, {@code --dim}, {@code --batch}, {@code --seq}). */
final class DimSizes {
  /** The largest size a dimension may have: the largest Java array, as in a compiled model's input checks. */
  static final long MAX = Integer.MAX_VALUE;

  private DimSizes() {}

  /** {@code value} as a size from 1 to {@link #MAX}, else a usage error naming {@code what}. */
  static long size(CommandLine cl, String what, String value) {
    try {
      long n = Long.parseLong(value.strip());
      if (n >= 1 && n <= MAX) return n;
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ParameterException(cl, what + ": expected a whole number from 1 to " + MAX + ", got '" + value + "'");
  }
}
