package dev.heed.compiler.ir;

import java.util.List;

/** A graph that fails {@link Verifier}; the message lists every problem, one a line. */
public final class IrVerifyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  public IrVerifyException(String graphName, String context, List<String> problems) {
    super(message(graphName, context, problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() { return problems; }

  private static String message(String graphName, String context, List<String> problems) {
    StringBuilder sb = new StringBuilder("invalid IR in graph ").append(graphName);
    if (context != null) sb.append(' ').append(context);
    sb.append(": ").append(problems.size()).append(problems.size() == 1 ? " problem" : " problems");
    for (String p : problems) sb.append("\n  ").append(p);
    return sb.toString();
  }
}
