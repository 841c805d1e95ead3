package dev.heed.compiler.cli;

import dev.heed.compiler.HeedCompiler;
import dev.heed.compiler.emit.BufferPlan;
import dev.heed.compiler.emit.KernelNames;
import dev.heed.compiler.inspect.Costs;
import dev.heed.compiler.inspect.FusionBoundaries;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.IrPrinter;
import dev.heed.compiler.ir.Loc;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.lower.Lowering;
import dev.heed.compiler.passes.OpCategory;
import dev.heed.compiler.passes.Pass;
import dev.heed.compiler.passes.PassManager;
import dev.heed.dsl.AstPrinter;
import dev.heed.dsl.ast.Spec;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code heed emit SPEC --stage ast|ir|kernels|plan|java}: prints what one stage of the pipeline made. */
@Command(
    name = "emit",
    mixinStandardHelpOptions = true,
    versionProvider = HeedVersion.class,
    description = "Prints a spec's AST, its IR after all passes, its kernels and why each edge between them is not "
        + "fused, its buffer plan (the kernels with their buffers, the workspace slots and the peak memory), or the "
        + "generated Java.")
final class EmitCommand implements Callable<Integer> {
  /** What {@code --stage} selects. */
  enum Stage { ast, ir, java, kernels, plan }

  @picocli.CommandLine.Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "SPEC", description = "The .heed spec.")
  Path specFile;

  @Option(names = "--stage", paramLabel = "STAGE", defaultValue = "java",
      description = "What to print: ast, ir (after all passes), kernels (each kernel after fusion, its op and "
          + "category, and why each edge into it is not fused), plan (the kernels in order with the buffers they "
          + "read and write, the workspace slots they share, and the peak activation memory) or java (default; each "
          + "file headed '// ===== path/To/Class.java =====').")
  Stage stage;

  @Option(names = "--dims", paramLabel = "NAME=N,...", split = ",", mapFallbackValue = "",
      description = "Sizes of symbolic dimensions for --stage plan, e.g. batch=8,seq=128 (default: batch 1, every "
          + "other symbol 128).")
  Map<String, String> dims = new TreeMap<>();

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
      description = "Code to generate: jvm (default), or tornadovm (the jvm classes plus TornadoVM TaskGraph classes).")
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
      case kernels -> printBlock(out, kernels(result));
      case plan -> printBlock(out, plan(result.ir(), sizes(result.ir())));
      case java -> printBlock(out, java(result.javaSources()));
    }
    out.flush();
    return HeedCli.EXIT_OK;
  }

  /** The sizes given with --dims, checked against the symbols of {@code g}. */
  private Map<String, Long> sizes(Graph g) {
    Map<String, Long> sizes = new TreeMap<>();
    for (Map.Entry<String, String> e : dims.entrySet()) {
      String name = e.getKey().strip();
      if (name.isEmpty()) {
        throw new ParameterException(spec.commandLine(), "--dims: expected NAME=N, got '" + e.getKey() + "=" + e.getValue() + "'");
      }
      sizes.put(name, DimSizes.size(spec.commandLine(), "--dims " + name, e.getValue()));
    }
    String unknown = g.unknownSymbols(sizes.keySet());
    if (!unknown.isEmpty()) throw new ParameterException(spec.commandLine(), "--dims: " + unknown);
    String oversized = new Costs(sizes).oversized(g);
    if (!oversized.isEmpty()) throw new ParameterException(spec.commandLine(), "--dims: " + oversized);
    return sizes;
  }

  /** {@code --stage plan}: the buffer plan for the given sizes (others: batch 1, 128). */
  static String plan(Graph g, Map<String, Long> sizes) {
    BufferPlan plan = BufferPlan.of(g);
    Set<String> syms = g.symbols();
    List<String> line = new ArrayList<>();
    for (String s : syms) line.add(s + " = " + sizes.getOrDefault(s, Costs.defaultSize(s)));
    return plan.describe(KernelNames.of(plan), s -> sizes.getOrDefault(s, Costs.defaultSize(s)),
        line.isEmpty() ? "all static" : String.join(", ", line));
  }

  /** {@code --stage kernels}: each kernel after fusion and, for each edge into it, why it is not fused. */
  static String kernels(HeedCompiler.Result result) {
    Graph g = result.ir();
    PassManager.Result runs = PassManager.standard().runWithStats(result.loweredIr());
    Map<String, String> names = KernelNames.of(g);
    Map<String, List<FusionBoundaries.Boundary>> into = new LinkedHashMap<>();
    for (FusionBoundaries.Boundary b : FusionBoundaries.of(g, names, FusionBoundaries.declined(runs.runs()))) {
      into.computeIfAbsent(b.consumer(), k -> new ArrayList<>()).add(b);
    }
    BufferPlan plan = BufferPlan.of(g);
    Map<String, OpCategory> categories = OpCategory.all(g);
    StringBuilder sb = new StringBuilder();
    sb.append("kernels of ").append(g.name()).append(" after fusion: ").append(plan.kernels().size()).append(" per call");
    if (!plan.loadTime().isEmpty()) sb.append(", ").append(plan.loadTime().size()).append(" computed once at load time");
    sb.append('\n');
    int width = Integer.toString(plan.kernels().size()).length();
    for (int i = 0; i < plan.kernels().size(); i++) {
      Node k = plan.kernels().get(i);
      sb.append(String.format(Locale.ROOT, "%" + width + "d  %-24s %%%s = %s [%s] : %s%s%n", i, names.get(k.name()), k.name(),
          k.op().irName(), categories.get(k.name()).label(), k.type(), k.loc().isKnown() ? "  at " + specPlaces(k.loc()) : ""));
      for (FusionBoundaries.Boundary b : into.getOrDefault(k.name(), List.of())) {
        sb.append(" ".repeat(width + 2)).append("<- %").append(b.producer()).append(" (").append(b.producerKernel()).append(')')
            .append(b.viaView() == null ? "" : " via %" + b.viaView()).append(": ").append(b.reason()).append('\n');
      }
    }
    return sb.toString();
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

  /**
   * The spec's own places a kernel comes from, each once: for a node of a standard layer, the
   * call of that layer (the IR stage prints the whole chain).
   */
  static String specPlaces(Loc loc) {
    Set<String> out = new LinkedHashSet<>();
    for (Loc place : loc.places()) {
      Loc at = place.innermost(file -> !file.equals(Lowering.PRELUDE_NAME));
      if (at == null) at = place;
      out.add(at.file() + ":" + at.line() + ":" + at.col());
    }
    return String.join(", ", out);
  }
}
