package dev.heed.compiler.cli;

import dev.heed.compiler.HeedCompiler;
import dev.heed.dsl.diag.SourceFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;
import javax.lang.model.SourceVersion;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** What {@code compile} and {@code emit} share: checking options and running the pipeline. */
final class SpecPipeline {
  static final String SUPPORTED_TARGETS = String.join(", ", HeedCompiler.TARGETS);

  private SpecPipeline() {}

  /** Compiler options for {@code --target} and {@code --package}; usage errors for bad values. */
  static HeedCompiler.Options options(CommandSpec spec, String target, String javaPackage) {
    HeedCompiler.Options options = HeedCompiler.Options.defaults();
    if (target != null) {
      if (!HeedCompiler.TARGETS.contains(target)) {
        throw new ParameterException(spec.commandLine(), "unknown target '" + target + "' (supported: " + SUPPORTED_TARGETS + ")");
      }
      options = options.withTarget(target);
    }
    if (javaPackage != null) {
      if (!SourceVersion.isName(javaPackage, SourceVersion.RELEASE_21)) {
        throw new ParameterException(spec.commandLine(),
            "--package '" + javaPackage + "' is not a Java package name (e.g. com.example.models)");
      }
      options = options.withPackage(javaPackage);
    }
    return options;
  }

  /**
   * Runs the pipeline on {@code specFile}.
   *
   * @throws dev.heed.dsl.diag.HeedException for errors in the spec
   * @throws CliException if the file cannot be read
   */
  static HeedCompiler.Result compile(Path specFile, HeedCompiler.Options options, Consumer<String> irLog) {
    return HeedCompiler.compile(read(specFile), options, irLog);
  }

  /**
   * The spec's text ({@link HeedCompiler#readSpec}).
   *
   * @throws CliException if the file cannot be read, is too large or is not UTF-8
   */
  static SourceFile read(Path specFile) {
    Files2.requireFile(specFile, "spec");
    try {
      return new SourceFile(specFile.toString(), HeedCompiler.readSpec(specFile));
    } catch (IOException e) {
      throw new CliException("spec " + specFile + ": cannot read: " + Files2.describe(e), e);
    }
  }
}
