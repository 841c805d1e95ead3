package dev.heed.compiler.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the CLI in-process and captures what it prints. */
record Cli(int code, String out, String err) {
  static Cli run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = HeedCli.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Cli(code, out.toString(), err.toString());
  }

  /** The lines of stderr. */
  String[] errLines() { return err.isEmpty() ? new String[0] : err.split("\n"); }

  @Override public String toString() { return "exit " + code + "\n--- out:\n" + out + "--- err:\n" + err; }
}
