package dev.heed.runtime.kernels;

import java.io.PrintStream;

/**
 * Which kernels run: the Vector API ones when {@code jdk.incubator.vector} is in the boot
 * layer (start Java with {@code --add-modules jdk.incubator.vector}), else the plain scalar
 * ones, after a one-line notice on stderr. {@code -Dheed.kernels=scalar} forces the scalar
 * kernels without a notice (to compare, or to test them).
 *
 * <p>Only {@link VectorGemm} names Vector API types, and it is loaded only when this class
 * says they are available, so heed's jars run on a JVM started without the module.
 */
public final class Simd {
  static final String NOTICE =
      "heed: jdk.incubator.vector not available; using scalar kernels (run with --add-modules jdk.incubator.vector)";

  private static final boolean ENABLED = decide(
      ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(), System.getProperty("heed.kernels"), System.err);

  private Simd() {}

  /** True when the Vector API kernels run. */
  public static boolean enabled() {
    return ENABLED;
  }

  /** What runs, for logs and benchmark tables: e.g. {@code "vector 512-bit"} or {@code "scalar"}. */
  public static String describe() {
    return ENABLED ? "vector " + VectorGemm.bits() + "-bit" : "scalar";
  }

  /**
   * The decision, apart from the JVM it runs in: vector kernels when the module is present
   * and {@code property} is not {@code "scalar"}; the notice goes to {@code err} only when the
   * module is missing and nobody asked for scalar kernels.
   */
  static boolean decide(boolean modulePresent, String property, PrintStream err) {
    if ("scalar".equals(property)) return false;
    if (property != null && !property.equals("vector")) {
      throw new IllegalArgumentException("heed.kernels must be 'vector' or 'scalar', not '" + property + "'");
    }
    if (!modulePresent) err.println(NOTICE);
    return modulePresent;
  }
}
