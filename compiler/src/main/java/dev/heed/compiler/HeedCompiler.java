package dev.heed.compiler;

import dev.heed.compiler.emit.JvmEmitter;
import dev.heed.compiler.emit.tornado.TornadoEmitter;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.lower.Lowering;
import dev.heed.compiler.passes.PassManager;
import dev.heed.dsl.SpecParser;
import dev.heed.dsl.ast.Spec;
import dev.heed.dsl.diag.SourceFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The whole pipeline behind one call: parse → lower → passes → emit Java.
 * The CLI, the tests and the Maven plugin all go through here.
 */
public final class HeedCompiler {
  /** The targets heed emits code for: plain Java. */
  public static final String TARGET_JVM = "jvm";
  /** … and TornadoVM kernels beside it (the jvm code is the fallback). */
  public static final String TARGET_TORNADOVM = "tornadovm";
  /** Every target, as options and messages list them. */
  public static final java.util.List<String> TARGETS = java.util.List.of(TARGET_JVM, TARGET_TORNADOVM);

  /** The largest spec file read, checked before reading it (real specs are a few KiB). */
  public static final long MAX_SPEC_BYTES = 16L << 20;

  /**
   * What to compile and how.
   *
   * @param target the code generator: "jvm" or "tornadovm"
   * @param javaPackage package of the generated classes
   * @param printIrAfter null, a pass name, or "all": print the IR after those passes
   * @param dumpIrDir null, or a directory to receive one numbered .ir file per pass
   * @param verifyEachPass run the IR verifier after every pass
   */
  public record Options(String target, String javaPackage, String printIrAfter, Path dumpIrDir, boolean verifyEachPass) {
    public static Options defaults() { return new Options(TARGET_JVM, "heed.models", null, null, true); }

    public Options withPackage(String p) { return new Options(target, p, printIrAfter, dumpIrDir, verifyEachPass); }

    public Options withPrintIrAfter(String pass) { return new Options(target, javaPackage, pass, dumpIrDir, verifyEachPass); }

    public Options withDumpIr(Path dir) { return new Options(target, javaPackage, printIrAfter, dir, verifyEachPass); }

    public Options withVerifyEachPass(boolean v) { return new Options(target, javaPackage, printIrAfter, dumpIrDir, v); }

    public Options withTarget(String t) { return new Options(t, javaPackage, printIrAfter, dumpIrDir, verifyEachPass); }
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
  public record Result(Spec ast, Graph loweredIr, Graph ir, Map<String, String> javaSources, String serviceEntries) {
    /**
     * The IR after the portable passes only ({@link PassManager#portable()}): every op is
     * one that other tools have (ONNX export reads this), no CPU-kernel fusions.
     */
    public Graph portableIr() {
      return PassManager.portable().run(loweredIr);
    }
  }

  private HeedCompiler() {}

  /** Reads and compiles {@code specFile}; {@code irLog} receives --print-ir-after output. */
  public static Result compile(Path specFile, Options options, Consumer<String> irLog) throws IOException {
    return compile(new SourceFile(specFile.toString(), readSpec(specFile)), options, irLog);
  }

  /**
   * The text of {@code specFile}, UTF-8, at most {@link #MAX_SPEC_BYTES}: read through a bounded
   * stream, so that a file whose size the file system does not know (a pipe, {@code /dev/zero})
   * cannot outgrow the limit either.
   *
   * @throws java.nio.charset.CharacterCodingException if it is not UTF-8
   */
  public static String readSpec(Path specFile) throws IOException {
    byte[] bytes;
    try (java.io.InputStream in = Files.newInputStream(specFile)) {
      bytes = in.readNBytes((int) MAX_SPEC_BYTES + 1);
    }
    if (bytes.length > MAX_SPEC_BYTES) {
      throw new IOException(specFile + ": more than " + MAX_SPEC_BYTES + " bytes; a spec may be at most "
          + MAX_SPEC_BYTES + " bytes");
    }
    return StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
        .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
        .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
  }

  /** The standard pass pipeline, configured from {@code options}. */
  public static PassManager passes(Options options, Consumer<String> irLog) {
    PassManager pm = PassManager.standard().verifyEachPass(options.verifyEachPass());
    if (options.printIrAfter() != null) pm.printIrAfter(options.printIrAfter(), irLog);
    if (options.dumpIrDir() != null) pm.dumpIrDir(options.dumpIrDir());
    return pm;
  }

  /** Compiles spec text already in memory. Spec errors throw HeedException with every diagnostic. */
  public static Result compile(SourceFile spec, Options options, Consumer<String> irLog) {
    if (!TARGETS.contains(options.target())) {
      throw new IllegalArgumentException("unknown target '" + options.target() + "' (this heed emits: "
          + String.join(", ", TARGETS) + ")");
    }
    Spec ast = SpecParser.parse(spec);
    Graph lowered = Lowering.lower(ast);
    Graph ir = passes(options, irLog).run(lowered);
    Map<String, SourceFile> sources = new LinkedHashMap<>();
    sources.put(spec.name(), spec);
    sources.put(Lowering.preludeFile().name(), Lowering.preludeFile());
    JvmEmitter.Options emit = new JvmEmitter.Options(options.javaPackage(), sources, spec.name());
    Map<String, String> java = TARGET_TORNADOVM.equals(options.target()) ? TornadoEmitter.emit(ir, emit) : JvmEmitter.emit(ir, emit);
    return new Result(ast, lowered, ir, java, JvmEmitter.serviceEntry(ir, options.javaPackage()) + "\n");
  }
}
