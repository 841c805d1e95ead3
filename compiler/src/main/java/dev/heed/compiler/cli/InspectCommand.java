package dev.heed.compiler.cli;

import dev.heed.compiler.inspect.InspectReport;
import dev.heed.dsl.diag.SourceFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code heed inspect SPEC -o DIR}: a static HTML report of the graph, passes, kernels and costs. */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    versionProvider = HeedVersion.class,
    description = {
      "Writes a static HTML report on what heed makes of a spec: the graph before and after the passes "
          + "(pictures with Graphviz 'dot' when installed), the generated kernels with FLOPs, bytes and "
          + "arithmetic intensity, peak activation memory (the buffer plan's workspace and its slots), fusion boundaries "
          + "and why, the IR after each pass "
          + "with diffs, and the generated Java linked to the spec.",
      "Costs use the sizes given for the symbolic dimensions: batch 1 and every other symbol 128 unless set."
    })
final class InspectCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "SPEC", description = "The .heed spec.")
  Path specFile;

  @Option(names = {"-o", "--output"}, paramLabel = "DIR", required = true,
      description = "Folder for the report (index.html and assets/); replaced as a whole.")
  Path output;

  @Option(names = "--batch", paramLabel = "N", description = "Size of the symbol 'batch' (default 1).")
  Long batch;

  @Option(names = "--seq", paramLabel = "N", description = "Size of the symbol 'seq' (default 128).")
  Long seq;

  @Option(names = "--dim", paramLabel = "NAME=N", mapFallbackValue = "",
      description = "Size of any symbolic dimension; repeatable (--dim src_seq=64 --dim tgt_seq=32).")
  Map<String, String> dims = new TreeMap<>();

  @Override public Integer call() {
    Map<String, Long> sizes = new TreeMap<>();
    for (Map.Entry<String, String> e : dims.entrySet()) {
      sizes.put(e.getKey().strip(), DimSizes.size(spec.commandLine(), "--dim " + e.getKey(), e.getValue()));
    }
    if (batch != null && sizes.containsKey("batch") || seq != null && sizes.containsKey("seq")) {
      throw new ParameterException(spec.commandLine(), "give a size once: --" + (batch != null && sizes.containsKey("batch")
          ? "batch" : "seq") + " and --dim " + (batch != null && sizes.containsKey("batch") ? "batch" : "seq") + " both set it");
    }
    if (batch != null) sizes.put("batch", DimSizes.size(spec.commandLine(), "--batch", String.valueOf(batch)));
    if (seq != null) sizes.put("seq", DimSizes.size(spec.commandLine(), "--seq", String.valueOf(seq)));
    SourceFile source = SpecPipeline.read(specFile);
    InspectReport.Report r;
    try {
      r = InspectReport.render(source, InspectReport.Options.defaults().withDims(sizes));
      if (!r.badSizes().isEmpty()) throw new ParameterException(spec.commandLine(), r.badSizes());
      InspectReport.write(r, output);
    } catch (IOException e) {
      // Plain IOExceptions are heed's own messages; others name a file the system could not use.
      throw new CliException(e.getClass() == IOException.class ? e.getMessage()
          : "cannot write the report to " + output + ": " + Files2.describeWithFile(e), e);
    }
    PrintWriter err = spec.commandLine().getErr();
    for (String n : r.notices()) err.println("heed: notice: " + n);
    err.flush();
    PrintWriter out = spec.commandLine().getOut();
    out.println("wrote " + output.resolve("index.html"));
    out.flush();
    return HeedCli.EXIT_OK;
  }
}
