package dev.heed.compiler.ir;

/** An op applied to operands whose types it does not accept; the message names the types. */
public final class ShapeError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ShapeError(String message) { super(message); }
}
