package dev.heed.compiler.cli;

import dev.heed.compiler.jar.InMemoryJavac;
import dev.heed.dsl.diag.HeedException;
import dev.heed.runtime.WeightsException;
import dev.heed.runtime.io.NpyException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code heed} command line: {@code compile}, {@code emit} and {@code run}.
 *
 * <p>Exit codes: 0 success; 1 an error in the spec (printed with file, line, column and a
 * caret) or in a file, weights or input (one line, {@code heed: error: ...}); 2 a bad command
 * line; 3 an internal error (a bug in heed). Stack traces only with {@code --debug} or
 * {@code HEED_DEBUG=1}.
 */
@Command(
    name = "heed",
    mixinStandardHelpOptions = true,
    versionProvider = HeedVersion.class,
    description = "Compiles .heed attention-model specs to fast, readable Java.",
    synopsisSubcommandLabel = "COMMAND",
    subcommands = {CompileCommand.class, EmitCommand.class, RunCommand.class, ImportWeightsCommand.class, ExportCommand.class, InspectCommand.class, CommandLine.HelpCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:success",
      "1:an error in the spec, a file, the weights or the inputs",
      "2:a bad command line",
      "3:an internal error (a bug in heed)",
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  heed compile model.heed -o model.jar",
      "  heed emit model.heed --stage java",
      "  heed run model.jar --random-weights 7 --input x=x.npy --output out/",
      "  heed import-weights model.onnx --spec model.heed -o model.safetensors",
      "  heed export model.heed --onnx model.onnx --weights model.safetensors",
      "  java -jar model.jar --help",
    })
public final class HeedCli implements Callable<Integer> {
  public static final int EXIT_OK = 0;
  public static final int EXIT_ERROR = 1;
  public static final int EXIT_USAGE = 2;
  public static final int EXIT_INTERNAL = 3;

  @Spec CommandSpec spec;

  @Option(names = "--debug", scope = ScopeType.INHERIT,
      description = "Print stack traces with errors (also: environment HEED_DEBUG=1).")
  boolean debug;

  /** {@code heed} with no command: the usage, on stderr, as a usage error. */
  @Override public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return EXIT_USAGE;
  }

  public static void main(String[] args) {
    System.exit(newCommandLine().execute(args));
  }

  /**
   * The command line with heed's error handling; set its out and err writers to capture
   * output, then call {@link CommandLine#execute}. Never calls {@link System#exit}.
   */
  public static CommandLine newCommandLine() {
    CommandLine cmd = new CommandLine(new HeedCli());
    cmd.setParameterExceptionHandler(HeedCli::usageError);
    cmd.setExecutionExceptionHandler(HeedCli::failure);
    cmd.setCaseInsensitiveEnumValuesAllowed(true);
    // An empty path ('-o ""', a variable that was not set) would mean the current folder.
    cmd.registerConverter(java.nio.file.Path.class, s -> {
      if (s.isBlank()) throw new picocli.CommandLine.TypeConversionException("a file or folder name, not an empty string");
      return java.nio.file.Path.of(s);
    });
    return cmd;
  }

  /** Runs {@code args} with output to {@code out} and {@code err}; returns the exit code. */
  public static int execute(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cmd = newCommandLine();
    cmd.setOut(out);
    cmd.setErr(err);
    try {
      return cmd.execute(args);
    } finally {
      out.flush();
      err.flush();
    }
  }

  private static int usageError(ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    PrintWriter err = cmd.getErr();
    // picocli starts some messages (mutually exclusive options) with its own "Error: ".
    StringBuilder line = new StringBuilder("heed: error: ").append(oneLine(e.getMessage()).replaceFirst("^Error: ", ""));
    if (e instanceof UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
      line.append("; did you mean ").append(String.join(" or ", u.getSuggestions().stream()
          .map(s -> "'" + s + "'").toList())).append('?');
    }
    line.append(" (see '").append(cmd.getCommandSpec().qualifiedName()).append(" --help')");
    err.println(line);
    if (debug(cmd, null)) e.printStackTrace(err);
    err.flush();
    return EXIT_USAGE;
  }

  private static int failure(Exception e, CommandLine cmd, ParseResult parsed) {
    PrintWriter err = cmd.getErr();
    int code;
    if (e instanceof HeedException h) {
      String rendered = h.render();
      err.print(rendered.isEmpty() ? "heed: error: " + oneLine(h.getMessage()) + "\n" : rendered);
      code = EXIT_ERROR;
    } else if (e instanceof CliException c) {
      err.println("heed: error: " + oneLine(c.getMessage()));
      code = c.exitCode();
    } else if (e instanceof NpyException || e instanceof WeightsException) {
      err.println("heed: error: " + oneLine(e.getMessage()));
      code = EXIT_ERROR;
    } else if (e instanceof UncheckedIOException u) {
      String what = u.getMessage() == null || u.getMessage().equals(String.valueOf(u.getCause())) ? "" : u.getMessage() + ": ";
      err.println("heed: error: " + oneLine(what + (what.isEmpty() ? Files2.describeWithFile(u.getCause()) : Files2.describe(u.getCause()))));
      code = EXIT_ERROR;
    } else if (e instanceof IOException io) {
      err.println("heed: error: " + oneLine(Files2.describeWithFile(io)));
      code = EXIT_ERROR;
    } else if (e instanceof InMemoryJavac.CompilationException c) {
      err.print("heed: internal error: " + c.getMessage());
      err.println("Please report this with the spec; 'heed emit SPEC --stage java' shows the generated code.");
      code = EXIT_INTERNAL;
    } else {
      err.println("heed: internal error: " + oneLine(String.valueOf(e))
          + (debug(cmd, parsed) ? "" : " (this is a bug in heed; rerun with --debug for the stack trace)"));
      code = EXIT_INTERNAL;
    }
    if (debug(cmd, parsed)) e.printStackTrace(err);
    err.flush();
    return code;
  }

  static String oneLine(String s) {
    return s == null ? "" : s.strip().replace("\r\n", " ").replace('\n', ' ');
  }

  private static boolean debug(CommandLine cmd, ParseResult parsed) {
    if ("1".equals(System.getenv("HEED_DEBUG")) || "true".equalsIgnoreCase(System.getenv("HEED_DEBUG"))) return true;
    for (CommandLine c = cmd; c != null; c = c.getParent()) {
      if (c.getCommand() instanceof HeedCli h && h.debug) return true;
      ParseResult r = c.getParseResult();
      if (r != null && r.hasMatchedOption("--debug")) return true;
    }
    return false;
  }
}
