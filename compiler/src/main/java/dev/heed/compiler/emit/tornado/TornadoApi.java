package dev.heed.compiler.emit.tornado;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Where the TornadoVM API jar ({@code io.github.beehive-lab:tornado-api}) is, which the
 * TornadoVM classes heed generates compile against, and the Java release to compile them for.
 *
 * <p>Looked for in order: an explicit jar ({@code heed compile --tornado-api JAR}), a TornadoVM
 * install ({@code $TORNADOVM_HOME/share/java/tornado/tornado-api*.jar}), the local Maven
 * repository ({@code ~/.m2/repository/io/github/beehive-lab/tornado-api/}{@value #VERSION}{@code /}).
 */
public final class TornadoApi {
  /** The tornado-api version heed's kernels are written for (and the Maven profile's default). */
  public static final String VERSION = "5.2.0-jdk25";
  /** Its Maven coordinates. */
  public static final String COORDINATES = "io.github.beehive-lab:tornado-api:" + VERSION;

  private TornadoApi() {}

  /** No tornado-api jar was found: the message says where heed looked and what to provide. */
  public static final class MissingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    MissingException(String message) {
      super(message);
    }
  }

  /**
   * The tornado-api jar to compile against.
   *
   * @param explicit the jar given on the command line, or null
   * @param env the environment (TORNADOVM_HOME)
   * @param userHome the user's home folder (for ~/.m2), or null
   * @throws MissingException when none is found, naming every place looked at
   */
  public static Path locate(Path explicit, Map<String, String> env, Path userHome) {
    if (explicit != null) {
      if (!Files.isRegularFile(explicit)) {
        throw new MissingException("--tornado-api " + explicit + ": no such file (give the tornado-api-" + VERSION + ".jar of a TornadoVM install)");
      }
      return explicit;
    }
    List<String> looked = new ArrayList<>();
    String home = env.get("TORNADOVM_HOME");
    if (home != null && !home.isBlank()) {
      Path dir = Path.of(home, "share", "java", "tornado");
      List<Path> jars = new ArrayList<>();
      if (Files.isDirectory(dir)) {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "tornado-api*.jar")) {
          for (Path p : s) jars.add(p);
        } catch (IOException e) {
          // reported below as not found
        }
      }
      Collections.sort(jars);
      if (!jars.isEmpty()) return jars.get(jars.size() - 1);
      looked.add(dir + "/tornado-api*.jar (TORNADOVM_HOME)");
    } else {
      looked.add("$TORNADOVM_HOME/share/java/tornado/tornado-api*.jar (TORNADOVM_HOME is not set)");
    }
    if (userHome != null) {
      Path m2 = userHome.resolve(".m2/repository/io/github/beehive-lab/tornado-api/" + VERSION + "/tornado-api-" + VERSION + ".jar");
      if (Files.isRegularFile(m2)) return m2;
      looked.add(m2.toString());
    }
    throw new MissingException("target tornadovm needs TornadoVM's API jar to compile the generated TornadoVM classes, and "
        + "none was found (looked at: " + String.join("; ", looked) + "). Give --tornado-api JAR, or set TORNADOVM_HOME to a "
        + "TornadoVM install, or install " + COORDINATES + " into ~/.m2. ('heed emit --stage java --target tornadovm' needs none.)");
  }

  /** A class every tornado-api jar holds and the generated TornadoVM classes use. */
  static final String API_CLASS = "uk/ac/manchester/tornado/api/TaskGraph.class";

  /**
   * The {@code --release} the jar's classes need: their class-file version (5.2.0-jdk25 is 25),
   * at least 21.
   */
  public static int release(Path jar) throws IOException {
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      if (zip.getEntry(API_CLASS) == null) {
        throw new IOException(jar + ": not a tornado-api jar (it has no " + API_CLASS + ")");
      }
      for (ZipEntry e : Collections.list(zip.entries())) {
        if (!e.getName().endsWith(".class") || e.getName().endsWith("module-info.class") || e.getName().startsWith("META-INF/")) continue;
        try (InputStream in = zip.getInputStream(e)) {
          byte[] head = in.readNBytes(8);
          if (head.length < 8 || (head[0] & 0xff) != 0xca || (head[1] & 0xff) != 0xfe) continue;
          int major = ((head[6] & 0xff) << 8) | (head[7] & 0xff);
          return Math.max(21, major - 44);
        }
      }
    }
    throw new IOException(jar + ": not a tornado-api jar (it holds no classes)");
  }
}
