package dev.heed.compiler.cli;

/**
 * A user error the CLI reports as one line, {@code heed: error: MESSAGE}, without a stack trace
 * (unless {@code --debug}): a missing file, a bad input, weights that do not fit.
 */
public final class CliException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int exitCode;

  public CliException(String message) {
    this(message, null);
  }

  public CliException(String message, Throwable cause) {
    this(HeedCli.EXIT_ERROR, message, cause);
  }

  public CliException(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  /** {@link HeedCli#EXIT_ERROR}, or {@link HeedCli#EXIT_USAGE} for a bad command line. */
  public int exitCode() { return exitCode; }
}
