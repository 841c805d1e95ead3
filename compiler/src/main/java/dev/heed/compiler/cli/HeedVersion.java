package dev.heed.compiler.cli;

import picocli.CommandLine.IVersionProvider;

/** What {@code heed --version} prints. */
public final class HeedVersion implements IVersionProvider {
  /** heed's version; a test keeps it equal to the version in the root pom.xml. */
  public static final String VERSION = "0.1.0-SNAPSHOT";

  @Override public String[] getVersion() {
    return new String[] {
      "heed " + VERSION,
      "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ", "
          + System.getProperty("java.home") + ")",
      "Targets: jvm (generated code needs Java 21+)",
    };
  }
}
