package dev.heed.maven;

import dev.heed.compiler.HeedCompiler;
import dev.heed.compiler.passes.Pass;
import dev.heed.compiler.passes.PassManager;
import dev.heed.dsl.diag.Diagnostic;
import dev.heed.dsl.diag.DiagnosticPrinter;
import dev.heed.dsl.diag.SourceFile;
import dev.heed.dsl.diag.Span;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.maven.model.Resource;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecution;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;

/**
 * Compiles the heed specs of a project ({@code src/main/heed/**}{@code /*.heed}) to Java sources,
 * which it adds to the project's compile sources, and writes the services file that lets
 * {@link java.util.ServiceLoader} find the models, which it adds to the project's resources.
 *
 * <p>Incremental: a state file under {@code target/heed-maven-plugin/} records the SHA-256 of
 * each spec and of heed itself, and of every file generated; a build in which none of them
 * changed compiles and writes nothing. Outputs of specs that were deleted are deleted.
 *
 * <p>Errors in specs fail the build, with every diagnostic ({@code file:line:col: error: ...},
 * the source line and a caret) in the build's output.
 */
@Mojo(name = "generate", defaultPhase = LifecyclePhase.GENERATE_SOURCES, threadSafe = true)
public final class GenerateMojo extends AbstractMojo {
  /** The folder holding the specs. */
  @Parameter(property = "heed.sourceDirectory", defaultValue = "${project.basedir}/src/main/heed", required = true)
  private File sourceDirectory;

  /** Where the generated Java sources go; added to the project's compile source roots. */
  @Parameter(property = "heed.outputDirectory", defaultValue = "${project.build.directory}/generated-sources/heed",
      required = true)
  private File outputDirectory;

  /**
   * Where the generated resources go ({@code META-INF/services/dev.heed.runtime.HeedModelFactory});
   * added to the project's resources.
   */
  @Parameter(property = "heed.resourceOutputDirectory",
      defaultValue = "${project.build.directory}/generated-resources/heed", required = true)
  private File resourceOutputDirectory;

  /**
   * The code generator: {@code jvm} (plain Java), or {@code tornadovm}: each model class also gets
   * a {@code <Model>Tornado} class of TornadoVM kernels, which the model uses when it runs under
   * TornadoVM with a device. Those classes compile against TornadoVM's API: add
   * {@code io.github.beehive-lab:tornado-api:5.2.0-jdk25} with scope {@code provided}, and compile
   * for Java 25 (with {@code -g}, maven-compiler-plugin's default).
   */
  @Parameter(defaultValue = HeedCompiler.TARGET_JVM, required = true)
  private String target;

  /**
   * The Java package of every generated class. When unset, a spec's package is its folder
   * under {@code sourceDirectory} ({@code src/main/heed/com/example/tiny.heed} →
   * {@code com.example}), and {@code heed.models} for a spec directly in it.
   */
  @Parameter(property = "heed.packageName")
  private String packageName;

  /**
   * Ant-style patterns of the specs to compile, relative to {@code sourceDirectory}; default
   * {@code **}{@code /*.heed}.
   */
  @Parameter
  private List<String> includes;

  /** Ant-style patterns of files under {@code sourceDirectory} to leave out. */
  @Parameter
  private List<String> excludes;

  /**
   * Print the IR of every spec after this pass of heed's standard pipeline (e.g.
   * {@code infer-shapes}, {@code cse}, {@code dce}; a wrong name lists them all) or after
   * {@code all} of them, as {@code heed emit --print-ir-after} does. Setting it compiles every spec.
   */
  @Parameter(property = "heed.printIrAfter")
  private String printIrAfter;

  /**
   * Write each spec's IR before and after every pass into this folder ({@code 00_input.ir},
   * {@code 01_infer-shapes.ir}, ...), in a subfolder per spec named by its path without
   * {@code .heed}. Setting it compiles every spec.
   */
  @Parameter(property = "heed.dumpIrDirectory")
  private File dumpIrDirectory;

  /**
   * A checkpoint (.safetensors, or an ONNX model whose weights heed binds by name) to check
   * against every spec's parameters: names and shapes. A misfit fails the build, listed.
   */
  @Parameter(property = "heed.weights")
  private File weights;

  /**
   * With {@code weights}: also put it (converted to safetensors if it is ONNX) into the
   * generated resources as {@code heed/weights.safetensors}, so the project's jar runs the
   * model without a weights file. Needs exactly one spec.
   */
  @Parameter(property = "heed.embedWeights", defaultValue = "false")
  private boolean embedWeights;

  /** Skip the goal: generate nothing and add no source roots. */
  @Parameter(property = "heed.skip", defaultValue = "false")
  private boolean skip;

  @Parameter(defaultValue = "${project}", readonly = true, required = true)
  private MavenProject project;

  @Parameter(defaultValue = "${mojoExecution}", readonly = true, required = true)
  private MojoExecution mojoExecution;

  /** Creates the mojo; Maven sets its fields. */
  public GenerateMojo() {}

  @Override
  public void execute() throws MojoExecutionException, MojoFailureException {
    if (skip) {
      getLog().info("heed: skipped (heed.skip)");
      return;
    }
    HeedCompiler.Options options = options();
    Path sources = sourceDirectory.toPath().toAbsolutePath().normalize();
    Path out = outputDirectory.toPath().toAbsolutePath().normalize();
    Path res = resourceOutputDirectory.toPath().toAbsolutePath().normalize();

    List<Generator.Spec> specs = new ArrayList<>();
    try {
      for (String rel : SpecScanner.scan(sources, includes, excludes)) {
        String pkg = packageName != null ? packageName : SpecScanner.derivePackage(rel);
        specs.add(new Generator.Spec(rel, sources.resolve(rel), pkg));
      }
    } catch (IllegalArgumentException e) {
      throw new MojoFailureException("heed: " + e.getMessage());
    } catch (IOException e) {
      throw new MojoExecutionException("heed: cannot list the specs in " + sources + ": " + e, e);
    }
    if (specs.isEmpty()) getLog().debug("heed: no specs in " + sources);

    Path stateFile = Path.of(project.getBuild().getDirectory(), "heed-maven-plugin",
        mojoExecution.getExecutionId(), "state.json");
    boolean compileAll = printIrAfter != null || dumpIrDirectory != null;
    Generator generator = new Generator(
        new Generator.Settings(out, res, stateFile, HeedFingerprint.current(), target, compileAll),
        getLog()::info, getLog()::debug);
    Generator.Report report;
    try {
      report = generator.run(specs, (spec, bytes) -> compile(spec, bytes, options));
    } catch (Generator.ConflictException e) {
      throw new MojoFailureException("heed: " + e.getMessage());
    } catch (IOException e) {
      throw new MojoExecutionException("heed: " + e, e);
    }

    project.addCompileSourceRoot(out.toString());
    boolean hasResourceRoot = project.getResources().stream()
        .anyMatch(r -> Path.of(r.getDirectory()).toAbsolutePath().normalize().equals(res));
    if (!hasResourceRoot) {
      Resource resource = new Resource();
      resource.setDirectory(res.toString());
      project.addResource(resource);
    }

    if (weights != null && report.failures().isEmpty()) {
      try {
        WeightsOption.apply(weights.toPath().toAbsolutePath(), embedWeights,
            specs.stream().map(Generator.Spec::file).toList(), res, getLog()::info);
      } catch (dev.heed.runtime.WeightsException e) {
        throw new MojoFailureException("heed: " + e.getMessage());
      } catch (IOException e) {
        throw new MojoExecutionException("heed: " + e, e);
      }
    } else if (embedWeights && weights == null) {
      throw new MojoFailureException("heed: embedWeights needs <weights>FILE</weights>");
    } else if (weights == null) {
      try {
        WeightsOption.removeEmbedded(res, getLog()::info);
      } catch (IOException e) {
        throw new MojoExecutionException("heed: " + e, e);
      }
    }

    int compiled = report.compiled().size() - report.failures().size();
    if (compiled > 0) {
      getLog().info("heed: " + count(compiled, "spec") + " compiled to " + out + " (" + count(report.written(), "file")
          + " written, " + report.unchanged() + " unchanged, " + report.deleted() + " stale deleted)");
    } else if (report.written() + report.deleted() > 0) {
      getLog().info("heed: " + count(report.written(), "file") + " written, " + report.deleted() + " stale deleted");
    }
    if (!report.failures().isEmpty()) {
      StringBuilder headlines = new StringBuilder();
      int errors = 0;
      for (Generator.Failure f : report.failures()) {
        List<Diagnostic> diagnostics = locate(f.error().diagnostics(), displayName(f.spec()), f.spec().file());
        for (String rendered : renderEach(diagnostics)) getLog().error(rendered);
        for (Diagnostic d : diagnostics) {
          if (d.severity() == Diagnostic.Severity.ERROR) errors++;
          headlines.append('\n').append(d.headline());
        }
      }
      throw new MojoFailureException("heed: " + count(errors, "error") + " in " + report.failures().size() + " of "
          + report.specs() + " specs:" + headlines);
    }
  }

  /** {@code 1 spec}, {@code 2 specs}. */
  private static String count(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }

  /** Checks the configuration and turns it into compiler options (without the package). */
  private HeedCompiler.Options options() throws MojoFailureException {
    if (!HeedCompiler.TARGETS.contains(target)) {
      throw new MojoFailureException("heed: unknown target '" + target + "' (supported: " + String.join(", ", HeedCompiler.TARGETS)
          + ")");
    }
    if (HeedCompiler.TARGET_TORNADOVM.equals(target)) {
      boolean hasApi = project.getArtifacts().stream().anyMatch(a -> a.getArtifactId().equals("tornado-api"))
          || project.getDependencies().stream().anyMatch(d -> d.getArtifactId().equals("tornado-api"));
      if (!hasApi) {
        getLog().warn("heed: target tornadovm: the generated <Model>Tornado classes compile against TornadoVM's API; add "
            + "io.github.beehive-lab:tornado-api:" + dev.heed.compiler.emit.tornado.TornadoApi.VERSION
            + " (scope provided) and compile for Java 25");
      }
    }
    if (packageName != null && !SpecScanner.isPackageName(packageName)) {
      throw new MojoFailureException("heed: <packageName> '" + packageName
          + "' is not a Java package name (e.g. com.example.models)");
    }
    if (printIrAfter != null) {
      List<String> passes = PassManager.standardPasses().stream().map(Pass::name).toList();
      if (!printIrAfter.equals("all") && !passes.contains(printIrAfter)) {
        throw new MojoFailureException("heed: <printIrAfter> '" + printIrAfter + "' is not a pass; expected one of "
            + String.join(", ", passes) + " or all");
      }
    }
    return HeedCompiler.Options.defaults().withTarget(target).withPrintIrAfter(printIrAfter);
  }

  /** Runs heed on one spec; spec errors leave as HeedException. */
  private Generator.Output compile(Generator.Spec spec, byte[] bytes, HeedCompiler.Options options) throws IOException {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new IOException("spec " + spec.file() + " is not valid UTF-8", e);
    }
    HeedCompiler.Options o = options.withPackage(spec.javaPackage());
    if (dumpIrDirectory != null) {
      String dir = spec.path().endsWith(".heed") ? spec.path().substring(0, spec.path().length() - 5) : spec.path();
      o = o.withDumpIr(dumpIrDirectory.toPath().resolve(dir));
    }
    String name = displayName(spec);
    HeedCompiler.Result r = HeedCompiler.compile(new SourceFile(name, text), o,
        ir -> getLog().info("heed: " + name + ":\n" + ir));
    Map<String, String> files = new LinkedHashMap<>();
    r.javaSources().forEach((fqcn, source) -> files.put(fqcn.replace('.', '/') + ".java", source));
    List<String> services = r.serviceEntries().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    getLog().debug("heed: " + spec.path() + " → " + String.join(", ", r.javaSources().keySet()));
    return new Generator.Output(files, services);
  }

  /**
   * The name heed gives the spec inside generated code: its path relative to the project,
   * with {@code /}, so the sources do not depend on where the project lies.
   */
  private String displayName(Generator.Spec spec) {
    Path base = project.getBasedir().toPath().toAbsolutePath().normalize();
    Path file = spec.file().toAbsolutePath().normalize();
    return SpecScanner.slashes((file.startsWith(base) ? base.relativize(file) : file).toString());
  }

  /**
   * {@code diagnostics} with the spec named by its absolute path instead of {@code name}, as
   * javac's errors are in a Maven build, so that terminals and IDEs can open the location.
   */
  static List<Diagnostic> locate(List<Diagnostic> diagnostics, String name, Path file) {
    Map<SourceFile, SourceFile> renamed = new IdentityHashMap<>();
    String absolute = file.toAbsolutePath().normalize().toString();
    Function<Span, Span> move = s -> {
      if (!s.file().name().equals(name)) return s;
      SourceFile f = renamed.computeIfAbsent(s.file(), old -> new SourceFile(absolute, old.text()));
      return new Span(f, s.line(), s.col(), s.length());
    };
    List<Diagnostic> out = new ArrayList<>();
    for (Diagnostic d : diagnostics) {
      List<Diagnostic.Note> notes = d.notes().stream().map(n -> new Diagnostic.Note(move.apply(n.span()), n.message()))
          .toList();
      out.add(new Diagnostic(d.severity(), move.apply(d.span()), d.message(), notes));
    }
    return out;
  }

  /** Each diagnostic rendered on its own (headline, source line, caret, notes), without the final newline. */
  private static List<String> renderEach(List<Diagnostic> diagnostics) {
    List<String> out = new ArrayList<>();
    for (Diagnostic d : diagnostics) out.add(DiagnosticPrinter.render(List.of(d)).stripTrailing());
    return out;
  }
}
