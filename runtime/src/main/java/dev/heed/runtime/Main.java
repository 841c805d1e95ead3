package dev.heed.runtime;

import dev.heed.runtime.io.Npy;
import dev.heed.runtime.io.NpyException;
import dev.heed.runtime.io.RandomWeights;
import dev.heed.runtime.io.Safetensors;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The entry point of compiled model jars: runs a model on {@code .npy} inputs and prints a
 * summary of its outputs.
 *
 * <pre>
 * java -jar model.jar [--model NAME] [--weights FILE.safetensors | --random-weights SEED]
 *     --input NAME=FILE.npy ... [--output DIR]
 * </pre>
 *
 * Errors are one line on stderr, {@code error: ...}; the exit code is 2 for bad usage and
 * 1 for failures while loading or running. {@code -Dheed.trace=true} adds stack traces.
 */
public final class Main {
  /** Exit code for bad arguments. */
  public static final int EXIT_USAGE = 2;
  /** Exit code for failures while reading files or running the model. */
  public static final int EXIT_FAILURE = 1;

  private static final String USAGE = """
      Usage: java -jar MODEL.jar [options]
      Runs a heed-compiled model once and prints its outputs.
        --model NAME              the model to run, if the jar holds several
        --weights FILE            weights from a .safetensors checkpoint
        --random-weights SEED     seeded random weights
                                  (default: the weights embedded in the jar, if any, else seed 0)
        --input NAME=FILE.npy     an input tensor; give one for each model input
        --output DIR              also write each output to DIR/NAME.npy
        --help                    show this help and the models in this jar
      """;

  /** A bad command line: exit code 2. */
  private static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) { super(message); }
  }

  private Main() {}

  /** Runs the command line and exits with its code (only when it is not 0). */
  public static void main(String[] args) {
    int code = run(args, System.out, System.err, Main.class.getClassLoader());
    System.out.flush();
    if (code != 0) System.exit(code);
  }

  /**
   * Runs the command line {@code args}, finding models through {@code loader}.
   *
   * @return the exit code: 0, {@link #EXIT_FAILURE} or {@link #EXIT_USAGE}
   */
  /** Where {@code heed compile --embed-weights} stores the checkpoint inside a model jar. */
  public static final String EMBEDDED_WEIGHTS = "heed/weights.safetensors";

  /** What messages call the embedded weights (they are read from a temporary copy). */
  public static final String EMBEDDED_NAME = EMBEDDED_WEIGHTS + " (embedded in the jar)";

  public static int run(String[] args, PrintStream out, PrintStream err, ClassLoader loader) {
    try {
      return execute(args, out, err, loader);
    } catch (UsageException e) {
      report(err, e.getMessage(), e);
      err.println("(try --help)");
      return EXIT_USAGE;
    } catch (WeightsException | NpyException | IllegalArgumentException | IllegalStateException e) {
      report(err, e.getMessage(), e);
      return EXIT_FAILURE;
    } catch (java.io.IOException e) {
      report(err, "I/O error: " + e.getMessage(), e);
      return EXIT_FAILURE;
    } catch (OutOfMemoryError e) {
      report(err, "out of memory (give the JVM more with -Xmx)", e);
      return EXIT_FAILURE;
    } catch (RuntimeException | StackOverflowError e) {
      report(err, "internal error: " + e, e);
      return EXIT_FAILURE;
    }
  }

  private static void report(PrintStream err, String message, Throwable e) {
    String text = message == null ? e.getClass().getSimpleName() : message;
    err.println("error: " + text.replace('\n', ' '));
    if (Boolean.getBoolean("heed.trace")) e.printStackTrace(err);
  }

  private static int execute(String[] args, PrintStream out, PrintStream err, ClassLoader loader) throws java.io.IOException {
    String modelName = null;
    Path weightsFile = null;
    Long seed = null;
    Path outputDir = null;
    Map<String, Path> inputFiles = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        value = arg.substring(eq + 1);
        arg = arg.substring(0, eq);
      }
      switch (arg) {
        case "--help", "-h" -> {
          if (value != null) throw new UsageException(arg + " takes no value");
          out.print(USAGE);
          printModels(out, loader);
          return 0;
        }
        case "--model", "--weights", "--random-weights", "--input", "--output" -> {
          if (value == null) {
            if (i + 1 >= args.length) throw new UsageException(arg + " needs a value");
            value = args[++i];
          }
          switch (arg) {
            case "--model" -> modelName = once(arg, modelName, value);
            case "--weights" -> weightsFile = Path.of(once(arg, weightsFile, value));
            case "--random-weights" -> {
              once(arg, seed, value);
              try {
                seed = Long.parseLong(value);
              } catch (NumberFormatException e) {
                throw new UsageException("--random-weights needs an integer seed, not '" + value + "'");
              }
            }
            case "--output" -> outputDir = Path.of(once(arg, outputDir, value));
            default -> {
              int sep = value.indexOf('=');
              if (sep <= 0 || sep == value.length() - 1) {
                throw new UsageException("--input needs NAME=FILE.npy, not '" + value + "'");
              }
              String name = value.substring(0, sep);
              if (inputFiles.put(name, Path.of(value.substring(sep + 1))) != null) {
                throw new UsageException("input '" + name + "' given twice");
              }
            }
          }
        }
        default -> throw new UsageException(arg.startsWith("-") ? "unknown option " + arg
            : "unexpected argument '" + arg + "'");
      }
    }
    if (weightsFile != null && seed != null) {
      throw new UsageException("give --weights or --random-weights, not both");
    }

    HeedModelFactory factory;
    try {
      factory = HeedModels.find(loader, modelName);
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage() + (modelName == null && e.getMessage().startsWith("found")
          ? " with --model" : ""));
    }
    try {
      ModelRunner.checkInputNames(factory, inputFiles.keySet());
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    for (var e : inputFiles.entrySet()) inputs.put(e.getKey(), Npy.read(e.getValue()));
    try {
      ModelRunner.checkInputs(factory, inputs);
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }

    if (weightsFile != null && weightsFile.getFileName() != null
        && weightsFile.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx")) {
      throw new UsageException("--weights " + weightsFile + ": the jar reads .safetensors weights; convert an ONNX "
          + "model with 'heed import-weights', or run the jar with 'heed run', which reads it as it is");
    }
    ModelRunner.Result result;
    if (weightsFile != null) {
      try (Safetensors weights = Safetensors.open(weightsFile)) {
        result = ModelRunner.run(factory, weights, inputs);
      }
    } else if (seed == null && loader.getResource(EMBEDDED_WEIGHTS) != null) {
      // `heed compile --embed-weights` put the checkpoint inside the jar: map a copy of it.
      Path tmp = Files.createTempFile("heed-weights", ".safetensors");
      try {
        try (var in = loader.getResourceAsStream(EMBEDDED_WEIGHTS)) {
          Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        try (Safetensors weights = Safetensors.open(tmp, EMBEDDED_NAME)) {
          result = ModelRunner.run(factory, weights, inputs);
        }
      } finally {
        Files.deleteIfExists(tmp);
      }
    } else {
      if (seed == null) {
        err.println("note: no --weights given; using random weights (seed 0)");
        seed = 0L;
      }
      result = ModelRunner.run(factory, new RandomWeights(seed), inputs);
    }

    if (outputDir != null) {
      try {
        Files.createDirectories(outputDir);
      } catch (IOException e) {
        throw new IllegalStateException("cannot create output folder " + outputDir + ": " + e.getMessage(), e);
      }
      for (var e : result.outputs().entrySet()) Npy.write(outputDir.resolve(e.getKey() + ".npy"), e.getValue());
    }
    out.print(ModelRunner.summary(result.outputs(), result.forwardMillis()));
    return 0;
  }

  private static String once(String option, Object previous, String value) {
    if (previous != null) throw new UsageException(option + " given twice");
    return value;
  }

  private static void printModels(PrintStream out, ClassLoader loader) {
    var models = HeedModels.all(loader);
    if (models.isEmpty()) {
      out.println("No models found on the class path.");
      return;
    }
    out.println("Models:");
    for (HeedModelFactory f : models) {
      out.println("  " + f.name() + "  inputs: " + f.inputs() + "  outputs: " + f.outputs());
    }
  }
}
