package dev.heed.runtime;

/** A weights file that cannot be read, or a tensor that is missing or has the wrong shape. */
public final class WeightsException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public WeightsException(String message) { super(message); }

  public WeightsException(String message, Throwable cause) { super(message, cause); }
}
