package dev.heed.compiler;

import dev.heed.compiler.ir.Graph;
import dev.heed.dsl.ast.Spec;
import dev.heed.dsl.diag.HeedException;
import dev.heed.dsl.diag.SourceFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The whole pipeline behind one call: parse → lower → passes → emit Java.
 * The CLI, the tests and the Maven plugin all go through here.
 */
public final class HeedCompiler {

  /** What to compile and how. */
  public record Options(String target, String javaPackage, String printIrAfter, Path dumpIrDir, boolean verifyEachPass) {
    public static Options defaults() { return new Options("jvm", "heed.models", null, null, false); }

    public Options withPackage(String p) { return new Options(target, p, printIrAfter, dumpIrDir, verifyEachPass); }

    public Options withPrintIrAfter(String pass) { return new Options(target, javaPackage, pass, dumpIrDir, verifyEachPass); }

    public Options withDumpIr(Path dir) { return new Options(target, javaPackage, printIrAfter, dir, verifyEachPass); }

    public Options withVerifyEachPass(boolean v) { return new Options(target, javaPackage, printIrAfter, dumpIrDir, v); }
  }

  /**
   * Everything heed made of one spec.
   *
   * @param ast the parsed spec
   * @param loweredIr the IR straight from lowering
   * @param ir the IR after every pass
   * @param javaSources generated sources, by fully qualified class name, in a stable order
   * @param serviceEntries lines of META-INF/services/dev.heed.runtime.HeedModelFactory
   */
  public record Result(Spec ast, Graph loweredIr, Graph ir, Map<String, String> javaSources, String serviceEntries) {}

  private HeedCompiler() {}

  /** Reads and compiles {@code specFile}; {@code irLog} receives --print-ir-after output. */
  public static Result compile(Path specFile, Options options, Consumer<String> irLog) throws IOException {
    throw new UnsupportedOperationException("not yet");
  }

  /** Compiles spec text already in memory. */
  public static Result compile(SourceFile spec, Options options, Consumer<String> irLog) {
    throw new HeedException(java.util.List.of());
  }
}
