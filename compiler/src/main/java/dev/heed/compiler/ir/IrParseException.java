package dev.heed.compiler.ir;

/** IR text that does not parse; the message is {@code sourceName:line:col: what is wrong}. */
public final class IrParseException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String sourceName;
  private final int line;
  private final int col;
  private final String detail;

  public IrParseException(String sourceName, int line, int col, String detail) {
    super(sourceName + ":" + line + ":" + col + ": " + detail);
    this.sourceName = sourceName;
    this.line = line;
    this.col = col;
    this.detail = detail;
  }

  public String sourceName() { return sourceName; }

  /** 1-based. */
  public int line() { return line; }

  /** 1-based, in characters. */
  public int col() { return col; }

  /** The message without the location. */
  public String detail() { return detail; }
}
