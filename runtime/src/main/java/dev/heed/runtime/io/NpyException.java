package dev.heed.runtime.io;

/** A {@code .npy} file that cannot be read or written; the message is one line naming the file. */
public final class NpyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** An error with a one-line message. */
  public NpyException(String message) { super(message); }

  /** An error with a one-line message and the failure behind it. */
  public NpyException(String message, Throwable cause) { super(message, cause); }
}
