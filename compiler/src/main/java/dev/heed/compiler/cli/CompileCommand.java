package dev.heed.compiler.cli;

import dev.heed.compiler.HeedCompiler;
import dev.heed.compiler.emit.tornado.TornadoApi;
import dev.heed.compiler.emit.tornado.TornadoEmitter;
import dev.heed.compiler.jar.ClassBytesLoader;
import dev.heed.compiler.jar.InMemoryJavac;
import dev.heed.compiler.jar.ModelJar;
import dev.heed.compiler.onnx.WeightFiles;
import dev.heed.runtime.HeedModelFactory;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code heed compile SPEC -o OUT.jar}: spec → Java → class files → a runnable jar. */
@Command(
    name = "compile",
    mixinStandardHelpOptions = true,
    versionProvider = HeedVersion.class,
    description = {
      "Compiles a spec to a self-contained model jar.",
      "The jar holds the generated classes and the heed runtime, and runs with 'java -jar OUT.jar --help' or "
          + "'heed run OUT.jar'.",
    })
final class CompileCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "SPEC", description = "The .heed spec to compile.")
  Path specFile;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.jar",
      description = "The jar to write (replaced atomically; not written at all if there are errors).")
  Path output;

  @Option(names = "--target", paramLabel = "TARGET", defaultValue = "jvm",
      description = "Code to generate: jvm (default), or tornadovm: TornadoVM kernels as well, used when the jar "
          + "runs under TornadoVM with a device (java @$TORNADOVM_HOME/tornado-argfile ...), else the jvm kernels.")
  String target;

  @Option(names = "--tornado-api", paramLabel = "JAR",
      description = "With --target tornadovm: TornadoVM's tornado-api jar to compile against. Default: "
          + "$TORNADOVM_HOME/share/java/tornado/tornado-api*.jar, else ~/.m2's " + TornadoApi.COORDINATES + ".")
  Path tornadoApi;

  @Option(names = "--package", paramLabel = "P",
      description = "Java package of the generated classes (default: heed.models).")
  String javaPackage;

  @Option(names = "--weights", paramLabel = "FILE",
      description = "A .safetensors checkpoint or an .onnx model to check against the model's parameters "
          + "(names and shapes); an ONNX model's tensors are bound as 'heed import-weights' binds them.")
  Path weights;

  @Option(names = "--embed-weights",
      description = "Also copy the --weights file into the jar (as " + ModelJar.EMBEDDED_WEIGHTS
          + "), so the jar runs without it; an ONNX model is converted to safetensors first.")
  boolean embedWeights;

  /** Where --target tornadovm looks for tornado-api: the environment and the home folder (tests replace them). */
  static java.util.function.Supplier<Map<String, String>> environment = System::getenv;
  static java.util.function.Supplier<Path> userHome = () -> Path.of(System.getProperty("user.home"));

  @Override public Integer call() throws IOException {
    HeedCompiler.Options options = SpecPipeline.options(spec, target, javaPackage);
    if (embedWeights && weights == null) {
      throw new ParameterException(spec.commandLine(), "--embed-weights needs --weights FILE");
    }
    if (weights != null) Files2.requireFile(weights, "weights");
    if (Files.isDirectory(output)) throw new CliException("output " + output + ": is a folder; give the jar's file name");
    Files2.requireNotAnInput(output, "-o", specFile, weights, tornadoApi);
    boolean tornado = HeedCompiler.TARGET_TORNADOVM.equals(options.target());
    if (tornadoApi != null && !tornado) {
      throw new ParameterException(spec.commandLine(), "--tornado-api is for --target tornadovm");
    }
    Path api = null;
    if (tornado) {
      try {
        api = TornadoApi.locate(tornadoApi, environment.get(), userHome.get());
      } catch (TornadoApi.MissingException e) {
        throw new CliException(e.getMessage(), e);
      }
    }

    HeedCompiler.Result result = SpecPipeline.compile(specFile, options, block -> { });
    Map<String, byte[]> classes = tornado ? compileTornado(result.javaSources(), api) : InMemoryJavac.compile(result.javaSources());
    List<HeedModelFactory> factories = new ClassBytesLoader(classes).factories(result.serviceEntries());
    Path embedded = weights;
    if (weights != null) {
      PrintWriter err = spec.commandLine().getErr();
      for (HeedModelFactory f : factories) {
        CliWeights.open(weights, f.parameters(), "model " + f.name(), err).close();
      }
      if (embedWeights && WeightFiles.format(weights) == WeightFiles.Format.ONNX) {
        List<List<HeedModelFactory.ParamSpec>> lists = factories.stream().map(HeedModelFactory::parameters).toList();
        embedded = CliWeights.toSafetensors(weights, CliWeights.union(lists), "the models", new PrintWriter(Writer.nullWriter()));
      }
    }

    try {
      ModelJar.write(output, classes, result.serviceEntries(), Map.of(),
          embedWeights ? Map.of(ModelJar.EMBEDDED_WEIGHTS, embedded) : Map.of());
    } catch (IOException e) {
      throw new CliException("cannot write " + output + ": " + Files2.describe(e), e);
    } finally {
      if (embedded != null && !embedded.equals(weights)) Files.deleteIfExists(embedded);
    }
    PrintWriter out = spec.commandLine().getOut();
    String models = factories.stream().map(HeedModelFactory::name).collect(Collectors.joining(", "));
    out.println("wrote " + output + " (" + (factories.size() == 1 ? "model " : "models ") + models + ", "
        + size(Files.size(output)) + (embedWeights ? ", weights embedded" : "") + ")");
    return HeedCli.EXIT_OK;
  }

  /**
   * The tornadovm target's classes: the model classes for Java 21 as the jvm target's, the
   * TornadoVM classes against tornado-api for its Java release, both with {@code -g} (TornadoVM
   * reads the local variable tables; without them it falls back to sequential Java).
   */
  static Map<String, byte[]> compileTornado(Map<String, String> sources, Path api) {
    Map<String, String> jvm = new LinkedHashMap<>(), tornado = new LinkedHashMap<>();
    sources.forEach((fqcn, src) -> (TornadoEmitter.isTornadoClass(fqcn, sources) ? tornado : jvm).put(fqcn, src));
    int release;
    try {
      release = TornadoApi.release(api);
    } catch (IOException e) {
      // A plain IOException is heed's own sentence (not a tornado-api jar); others, the system's.
      throw new CliException("--tornado-api " + (e.getClass() == IOException.class ? e.getMessage()
          : api + ": cannot read: " + Files2.describe(e)), e);
    }
    List<Path> classpath = new ArrayList<>(InMemoryJavac.runtimeClasspath());
    classpath.add(api);
    Map<String, byte[]> classes = new TreeMap<>(InMemoryJavac.compile(jvm));
    try {
      classes.putAll(InMemoryJavac.compile(tornado, classpath, release));
    } catch (IllegalStateException e) {
      throw new CliException(e.getMessage(), e);
    }
    return classes;
  }

  static String size(long bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    if (bytes < 1024L * 1024 * 1024) return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
    return String.format(Locale.ROOT, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
  }
}
