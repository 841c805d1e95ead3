package dev.heed.compiler.cli;

import dev.heed.compiler.HeedCompiler;
import dev.heed.compiler.onnx.OnnxExporter;
import dev.heed.compiler.onnx.WeightFiles;
import dev.heed.compiler.onnx.proto.ModelProto;
import dev.heed.runtime.Weights;
import dev.heed.runtime.io.RandomWeights;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code heed export SPEC --onnx OUT.onnx}: the compiled model as a standard ONNX model. */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    versionProvider = HeedVersion.class,
    description = {
      // One string per paragraph: picocli wraps them itself, and shows the first in 'heed --help'.
      "Exports a spec's model with its weights as a standard ONNX model (IR version " + OnnxExporter.IR_VERSION
          + ", opset " + OnnxExporter.OPSET + ") for ONNX Runtime and other ONNX tools: the IR after heed's passes, "
          + "each op as standard ONNX ops, parameters as initializers, dimensions such as 'seq' symbolic.",
      "Weights: --weights (safetensors or ONNX) or --random-weights, else random weights with seed 0.",
    })
final class ExportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "SPEC", description = "The .heed spec to export.")
  Path specFile;

  @Option(names = "--onnx", required = true, paramLabel = "OUT.onnx",
      description = "The ONNX model to write (replaced atomically; not written at all if there are errors).")
  Path output;

  static final class WeightsChoice {
    @Option(names = "--weights", paramLabel = "FILE", required = true,
        description = "Weights from a .safetensors checkpoint or an .onnx model.")
    Path file;

    @Option(names = "--random-weights", paramLabel = "SEED", required = true,
        description = "Seeded random weights, the same as 'heed run --random-weights SEED' uses.")
    Long seed;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  WeightsChoice weights;

  @Option(names = "--package", paramLabel = "P",
      description = "Ignored (accepted like compile's --package); an ONNX model has no Java package.")
  String javaPackage;

  @Override public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    HeedCompiler.Options options = SpecPipeline.options(spec, null, javaPackage);
    if (weights != null && weights.file != null) Files2.requireFile(weights.file, "weights");
    if (Files.isDirectory(output)) throw new CliException("output " + output + ": is a folder; give the .onnx file's name");
    Files2.requireNotAnInput(output, "--onnx", specFile, weights == null ? null : weights.file);

    HeedCompiler.Result result = SpecPipeline.compile(specFile, options, block -> { });
    ModelProto model;
    Weights w;
    if (weights != null && weights.file != null) {
      w = WeightFiles.open(weights.file, WeightFiles.parameters(result.portableIr()));
    } else {
      long seed = weights != null && weights.seed != null ? weights.seed : 0;
      if (weights == null && !result.ir().params().isEmpty()) {
        err.println("heed: note: no --weights given; using random weights (seed 0)");
        err.flush();
      }
      w = new RandomWeights(seed);
    }
    try (w) {
      model = OnnxExporter.export(result.portableIr(), w);
    } catch (OnnxExporter.Unexportable e) {
      throw new CliException(specFile + ": " + e.getMessage(), e);
    }
    try {
      OnnxExporter.write(model, output);
    } catch (IOException e) {
      throw new CliException("cannot write " + output + ": " + Files2.describe(e), e);
    }
    out.println("wrote " + output + " (model " + result.ir().name() + ", " + model.getGraph().getNodeCount() + " ONNX nodes, "
        + model.getGraph().getInitializerCount() + " initializers, opset " + OnnxExporter.OPSET + ", "
        + CompileCommand.size(Files.size(output)) + ")");
    return HeedCli.EXIT_OK;
  }
}
