package dev.heed.compiler.jar;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Compiles generated Java sources in memory with the JDK's own compiler ({@code javax.tools}),
 * against the heed runtime, and returns the class files.
 *
 * <p>Options are {@code --release 21 -g -Xlint:all -Werror}: generated code must be
 * warning-free, and {@code -g} keeps the local variable tables (TornadoVM reads them).
 * {@code -proc:none} and {@code -Xlint:-path} keep the environment (annotation processors or
 * dangling manifest Class-Path entries on heed's class path) from failing the build.
 *
 * <p>The generated code is heed's own output, so a compile error here is a bug in heed, not in
 * the user's spec: it is reported as a {@link CompilationException} carrying javac's diagnostics.
 */
public final class InMemoryJavac {
  /** The options every compile uses, before the class path. */
  public static final List<String> OPTIONS =
      List.of("--release", "21", "-g", "-Xlint:all", "-Xlint:-path", "-Werror", "-proc:none", "-encoding", "UTF-8");

  private InMemoryJavac() {}

  /** Generated Java that javac rejected: an internal error, with javac's diagnostics. */
  public static final class CompilationException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String diagnostics;

    CompilationException(String diagnostics) {
      super("generated Java does not compile (this is a bug in heed):\n" + diagnostics);
      this.diagnostics = diagnostics;
    }

    /** javac's messages, one per problem, each {@code Class.java:line:col: error: ...} plus the source line. */
    public String diagnostics() { return diagnostics; }
  }

  /**
   * Compiles {@code sources} (fully qualified class name → source text) against the heed runtime.
   *
   * @return class files by binary name ({@code a.b.Outer}, {@code a.b.Outer$Inner}), sorted
   * @throws CompilationException if javac reports any error or warning
   * @throws IllegalStateException if this Java has no compiler (a JRE, not a JDK)
   */
  public static Map<String, byte[]> compile(Map<String, String> sources) {
    return compile(sources, runtimeClasspath());
  }

  /** As {@link #compile(Map)}, against an explicit class path. */
  public static Map<String, byte[]> compile(Map<String, String> sources, List<Path> classpath) {
    return compile(sources, classpath, OPTIONS);
  }

  /**
   * As {@link #compile(Map, List)}, for Java {@code release} instead of 21: the TornadoVM
   * classes of {@code --target tornadovm} compile against a tornado-api built for Java 25, and
   * javac reads class files only up to the release it compiles for.
   *
   * @throws IllegalStateException if this JDK cannot compile for {@code release}
   */
  public static Map<String, byte[]> compile(Map<String, String> sources, List<Path> classpath, int release) {
    int latest = javax.lang.model.SourceVersion.latestSupported().ordinal();
    if (release > latest) {
      throw new IllegalStateException("compiling for Java " + release + " needs a JDK " + release + " or newer, but heed runs on "
          + System.getProperty("java.version") + " (" + System.getProperty("java.home") + "); set JAVA_HOME to a JDK " + release);
    }
    List<String> options = new ArrayList<>(OPTIONS);
    options.set(options.indexOf("--release") + 1, Integer.toString(release));
    return compile(sources, classpath, options);
  }

  private static Map<String, byte[]> compile(Map<String, String> sources, List<Path> classpath, List<String> baseOptions) {
    Objects.requireNonNull(sources, "sources");
    JavaCompiler javac = systemCompiler();
    if (sources.isEmpty()) return Collections.emptyNavigableMap();

    List<JavaFileObject> units = new ArrayList<>();
    for (Map.Entry<String, String> e : new TreeMap<>(sources).entrySet()) {
      units.add(new SourceObject(e.getKey(), e.getValue()));
    }
    List<String> options = new ArrayList<>(baseOptions);
    if (!classpath.isEmpty()) {
      options.add("-classpath");
      StringBuilder cp = new StringBuilder();
      for (Path p : classpath) {
        if (cp.length() > 0) cp.append(File.pathSeparatorChar);
        cp.append(p.toAbsolutePath());
      }
      options.add(cp.toString());
    }

    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    StringWriter javacOut = new StringWriter();
    Map<String, ByteArrayOutputStream> out = new TreeMap<>();
    boolean ok;
    try (StandardJavaFileManager std = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8);
        MemoryFileManager fm = new MemoryFileManager(std, out)) {
      ok = javac.getTask(javacOut, fm, diagnostics, options, null, units).call();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    if (!ok || !diagnostics.getDiagnostics().isEmpty()) {
      throw new CompilationException(format(diagnostics.getDiagnostics(), sources) + javacOut);
    }
    Map<String, byte[]> classes = new TreeMap<>();
    out.forEach((name, bytes) -> classes.put(name, bytes.toByteArray()));
    return Collections.unmodifiableMap(classes);
  }

  /**
   * Where the heed runtime classes (and jackson-core, their one dependency) are on this JVM:
   * a jar or a {@code target/classes} folder each.
   */
  public static List<Path> runtimeClasspath() {
    Set<Path> paths = new LinkedHashSet<>();
    paths.add(ClassLocations.of(dev.heed.runtime.Tensor.class));
    ClassLocations.find("com.fasterxml.jackson.core.JsonFactory").ifPresent(paths::add);
    return List.copyOf(paths);
  }

  static JavaCompiler systemCompiler() {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    if (javac == null) {
      throw new IllegalStateException("heed needs a JDK to compile models, but the Java running it ("
          + System.getProperty("java.home") + ", version " + System.getProperty("java.version")
          + ") has no Java compiler; run heed with a JDK 21 or newer (set JAVA_HOME)");
    }
    return javac;
  }

  private static String format(List<Diagnostic<? extends JavaFileObject>> diagnostics, Map<String, String> sources) {
    StringBuilder sb = new StringBuilder();
    for (Diagnostic<? extends JavaFileObject> d : diagnostics) {
      String file = d.getSource() == null ? "javac" : d.getSource().getName();
      if (file.startsWith("/")) file = file.substring(1);
      sb.append(file);
      if (d.getLineNumber() != Diagnostic.NOPOS) {
        sb.append(':').append(d.getLineNumber()).append(':').append(d.getColumnNumber());
      }
      sb.append(": ").append(d.getKind().name().toLowerCase(Locale.ROOT).replace("mandatory_", ""))
          .append(": ").append(d.getMessage(Locale.ROOT)).append('\n');
      if (d.getSource() instanceof SourceObject so && d.getLineNumber() != Diagnostic.NOPOS) {
        String[] lines = so.text.split("\n", -1);
        int line = (int) d.getLineNumber();
        if (line >= 1 && line <= lines.length) {
          sb.append("    ").append(lines[line - 1].stripTrailing()).append('\n');
          sb.append("    ").append(" ".repeat((int) Math.max(0, d.getColumnNumber() - 1))).append("^\n");
        }
      }
    }
    return sb.toString();
  }

  /** One source, named after its class so that javac's file-name check passes. */
  private static final class SourceObject extends SimpleJavaFileObject {
    final String text;

    SourceObject(String className, String text) {
      super(URI.create("string:///" + className.replace('.', '/') + Kind.SOURCE.extension), Kind.SOURCE);
      this.text = text;
    }

    @Override public CharSequence getCharContent(boolean ignoreEncodingErrors) { return text; }
  }

  /** Keeps class files javac writes in memory, by binary name. */
  private static final class MemoryFileManager extends ForwardingJavaFileManager<JavaFileManager> {
    private final Map<String, ByteArrayOutputStream> out;

    MemoryFileManager(JavaFileManager delegate, Map<String, ByteArrayOutputStream> out) {
      super(delegate);
      this.out = out;
    }

    @Override
    public JavaFileObject getJavaFileForOutput(Location location, String className, JavaFileObject.Kind kind,
        FileObject sibling) throws IOException {
      if (kind != JavaFileObject.Kind.CLASS) return super.getJavaFileForOutput(location, className, kind, sibling);
      return new SimpleJavaFileObject(
          URI.create("mem:///" + className.replace('.', '/') + kind.extension), kind) {
        @Override public OutputStream openOutputStream() {
          ByteArrayOutputStream bytes = new ByteArrayOutputStream();
          out.put(className, bytes);
          return bytes;
        }
      };
    }
  }
}
