package dev.heed.compiler.cli;

import dev.heed.compiler.HeedCompiler;
import dev.heed.compiler.onnx.OnnxWeights;
import dev.heed.compiler.onnx.WeightFiles;
import dev.heed.runtime.HeedModelFactory.ParamSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code heed import-weights MODEL.onnx --spec SPEC -o OUT.safetensors}: binds the f32
 * initializers of an ONNX model to a spec's parameters and writes them as a safetensors
 * checkpoint under the spec's checkpoint names.
 */
@Command(
    name = "import-weights",
    mixinStandardHelpOptions = true,
    versionProvider = HeedVersion.class,
    description = {
      // One string per paragraph: picocli wraps them itself, and shows the first in 'heed --help'.
      "Converts the weights of an ONNX model to a safetensors checkpoint for a spec.",
      "Each parameter of the spec is bound to the initializer of its checkpoint name; nn.Linear weights that the "
          + "exporter stored anonymously, transposed, are named from the graph and served as [out, in]. Prints the "
          + "binding report; writes nothing if a parameter is unbound or mis-shaped.",
    })
final class ImportWeightsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL.onnx", description = "The ONNX model to read the weights of.")
  Path onnx;

  @Option(names = "--spec", required = true, paramLabel = "SPEC", description = "The .heed spec whose parameters to bind.")
  Path specFile;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.safetensors",
      description = "The checkpoint to write (replaced atomically; not written at all if a parameter does not fit).")
  Path output;

  @Override public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Files2.requireFile(onnx, "model");
    if (Files.isDirectory(output)) throw new CliException("output " + output + ": is a folder; give the file's name");
    Files2.requireNotAnInput(output, "-o", onnx, specFile);
    if (WeightFiles.format(onnx) != WeightFiles.Format.ONNX) {
      throw new CliException("model " + onnx + ": is a safetensors file, not an ONNX model; 'heed compile --weights'"
          + " and 'heed run --weights' read it as it is");
    }
    HeedCompiler.Result result = SpecPipeline.compile(specFile, HeedCompiler.Options.defaults(), block -> { });
    List<ParamSpec> params = WeightFiles.parameters(result.ir());
    OnnxWeights.Binding b = OnnxWeights.read(onnx).check(params);
    if (!b.ok()) {
      err.print(b.report());
      err.flush();
      throw new CliException("weights " + onnx + " do not fit " + specFile + ": " + b.errorSummary()
          + " (listed above); nothing written");
    }
    out.print(b.report());
    b.writeSafetensors(output);
    out.printf(Locale.ROOT, "wrote %s (%d tensors, %s)%n", output, params.size(), CompileCommand.size(Files.size(output)));
    out.flush();
    return HeedCli.EXIT_OK;
  }
}
