package dev.heed.compiler.cli;

import dev.heed.compiler.HeedCompiler;
import dev.heed.compiler.ir.IrPrinter;
import dev.heed.compiler.passes.Pass;
import dev.heed.compiler.passes.PassManager;
import dev.heed.dsl.AstPrinter;
import dev.heed.dsl.ast.Spec;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code heed emit SPEC --stage ast|ir|java}: prints what one stage of the pipeline made. */
@Command(
    name = "emit",
    mixinStandardHelpOptions = true,
    versionProvider = HeedVersion.class,
    description = "Prints a spec's AST, its IR after all passes, or the generated Java.")
final class EmitCommand implements Callable<Integer> {
  /** What {@code --stage} selects. */
  enum Stage { ast, ir, java }

  @picocli.CommandLine.Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "SPEC", description = "The .heed spec.")
  Path specFile;

  @Option(names = "--stage", paramLabel = "STAGE", defaultValue = "java",
      description = "What to print: ast, ir (after all passes) or java (default; each file headed "
          + "'// ===== path/To/Class.java =====').")
  Stage stage;

  @Option(names = "--print-ir-after", paramLabel = "PASS",
      description = "Also print the IR after pass PASS, or after every pass with 'all', before the stage "
          + "output; each block is headed '// ----- IR after PASS -----'.")
  String printIrAfter;

  @Option(names = "--dump-ir", paramLabel = "DIR",
      description = "Write the IR after each pass to files in DIR.")
  Path dumpIr;

  @Option(names = "--package", paramLabel = "P",
      description = "Java package of the generated classes (default: heed.models).")
  String javaPackage;

  @Option(names = "--target", paramLabel = "TARGET", defaultValue = "jvm",
      description = "Code to generate: jvm (default).")
  String target;

  @Override public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    HeedCompiler.Options options = SpecPipeline.options(spec, target, javaPackage);
    if (printIrAfter != null) {
      List<String> passes = PassManager.standard().passes().stream().map(Pass::name).toList();
      if (!printIrAfter.equals("all") && !passes.contains(printIrAfter)) {
        throw new ParameterException(spec.commandLine(), "--print-ir-after: unknown pass '" + printIrAfter
            + "' (passes: " + String.join(", ", passes) + ", or all)");
      }
      options = options.withPrintIrAfter(printIrAfter);
    }
    if (dumpIr != null) options = options.withDumpIr(dumpIr);

    HeedCompiler.Result result = SpecPipeline.compile(specFile, options, block -> printBlock(out, block));
    switch (stage) {
      case ast -> printBlock(out, ast(result.ast()));
      case ir -> printBlock(out, IrPrinter.print(result.ir()));
      case java -> printBlock(out, java(result.javaSources()));
    }
    out.flush();
    return HeedCli.EXIT_OK;
  }

  /** Every source, each headed {@code // ===== heed/models/Tiny.java =====}. */
  static String java(Map<String, String> sources) {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, String> e : sources.entrySet()) {
      sb.append("// ===== ").append(e.getKey().replace('.', '/')).append(".java =====\n");
      sb.append(e.getValue());
      if (!e.getValue().endsWith("\n")) sb.append('\n');
    }
    return sb.toString();
  }

  static String ast(Spec ast) {
    return AstPrinter.print(ast);
  }

  private static void printBlock(PrintWriter out, String text) {
    out.print(text);
    if (!text.isEmpty() && !text.endsWith("\n")) out.println();
  }
}
