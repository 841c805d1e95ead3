package dev.heed.compiler.jar;

import dev.heed.runtime.io.AtomicFiles;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Writes a compiled model as one self-contained jar that runs with {@code java -jar OUT.jar}
 * or {@code java -cp OUT.jar dev.heed.runtime.Main}: the generated classes, their
 * {@code META-INF/services} registration, the heed runtime and jackson-core, the runtime's one
 * dependency, moved to {@value Relocation#TO_PACKAGE} ({@link Relocation}) so that the jar can
 * sit on an application's class path beside another jackson-core.
 *
 * <p>The jar is reproducible (entries sorted, fixed timestamps: same input, same bytes) and
 * written atomically (a temporary file in the target folder, then one move; on failure
 * nothing is left behind and an existing jar is untouched).
 */
public final class ModelJar {
  /** The class {@code java -jar} starts. */
  public static final String MAIN_CLASS = "dev.heed.runtime.Main";
  /** Where the service file lists the generated model factories. */
  public static final String SERVICE_FILE = "META-INF/services/dev.heed.runtime.HeedModelFactory";
  /** Where {@code heed compile --embed-weights} puts the weights. */
  public static final String EMBEDDED_WEIGHTS = dev.heed.runtime.Main.EMBEDDED_WEIGHTS;

  /** Every entry's time stamp (local time, as zip stores it). */
  static final LocalDateTime ENTRY_TIME = LocalDateTime.of(2026, 1, 1, 0, 0, 0);

  private static final String RUNTIME_PREFIX = "dev/heed/runtime/";
  private static final String JACKSON_PREFIX = "com/fasterxml/jackson/core/";

  private ModelJar() {}

  /**
   * Writes {@code jar}.
   *
   * @param classes class files by binary name, as {@link InMemoryJavac#compile} returns them
   * @param serviceEntries the text of {@value #SERVICE_FILE}: factory class names, one a line
   * @param extraResources more entries by path in the jar, e.g. {@value #EMBEDDED_WEIGHTS}
   */
  public static void write(Path jar, Map<String, byte[]> classes, String serviceEntries,
      Map<String, byte[]> extraResources) throws IOException {
    write(jar, classes, serviceEntries, extraResources, Map.of());
  }

  /**
   * As {@link #write(Path, Map, String, Map)}, plus entries copied from files (streamed, and
   * stored uncompressed: for large weights).
   */
  public static void write(Path jar, Map<String, byte[]> classes, String serviceEntries,
      Map<String, byte[]> extraResources, Map<String, Path> extraFiles) throws IOException {
    Objects.requireNonNull(jar, "jar");
    Objects.requireNonNull(classes, "classes");
    Objects.requireNonNull(serviceEntries, "serviceEntries");
    Objects.requireNonNull(extraResources, "extraResources");
    Objects.requireNonNull(extraFiles, "extraFiles");

    // First come, first kept: generated content, then the runtime, then jackson.
    SortedMap<String, Source> entries = new TreeMap<>();
    for (Map.Entry<String, byte[]> e : classes.entrySet()) {
      entries.putIfAbsent(e.getKey().replace('.', '/') + ".class", new Bytes(e.getValue()));
    }
    String services = serviceEntries.isEmpty() || serviceEntries.endsWith("\n") ? serviceEntries : serviceEntries + "\n";
    entries.putIfAbsent(SERVICE_FILE, new Bytes(services.getBytes(StandardCharsets.UTF_8)));
    for (Map.Entry<String, byte[]> e : extraResources.entrySet()) {
      entries.putIfAbsent(checkName(e.getKey()), new Bytes(e.getValue()));
    }
    for (Map.Entry<String, Path> e : extraFiles.entrySet()) {
      entries.putIfAbsent(checkName(e.getKey()), new FileSource(e.getValue()));
    }
    Path runtime = ClassLocations.of(dev.heed.runtime.Tensor.class);
    Path jackson = ClassLocations.find("com.fasterxml.jackson.core.JsonFactory")
        .orElseThrow(() -> new IllegalStateException("jackson-core is not on heed's class path"));
    List<ZipFile> open = new ArrayList<>();
    try {
      collect(runtime, RUNTIME_PREFIX, entries, open);
      collect(jackson, JACKSON_PREFIX, entries, open);
      writeAtomically(jar, relocated(entries));
    } finally {
      for (ZipFile z : open) z.close();
    }
  }

  /** {@code entries} with jackson-core moved ({@link Relocation}): its classes and service file renamed, references rewritten. */
  private static SortedMap<String, Source> relocated(SortedMap<String, Source> entries) throws IOException {
    SortedMap<String, Source> out = new TreeMap<>();
    for (Map.Entry<String, Source> e : entries.entrySet()) {
      String name = e.getKey();
      Source source = e.getValue();
      if (name.endsWith(".class") || name.startsWith("META-INF/services/")) {
        byte[] content;
        try (InputStream in = source.open()) {
          content = in.readAllBytes();
        }
        byte[] moved = Relocation.content(name, content);
        if (moved != content) source = new Bytes(moved);
      }
      out.put(Relocation.name(name), source);
    }
    return out;
  }

  /** The entries of a jar this class wrote, for tests and tools: name → content. */
  public static SortedMap<String, byte[]> read(Path jar) throws IOException {
    SortedMap<String, byte[]> out = new TreeMap<>();
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      for (ZipEntry e : Collections.list(zip.entries())) {
        if (e.isDirectory()) continue;
        try (InputStream in = zip.getInputStream(e)) {
          out.put(e.getName(), in.readAllBytes());
        }
      }
    }
    return out;
  }

  private static String checkName(String name) {
    if (name.isEmpty() || name.startsWith("/") || name.endsWith("/") || name.contains("\\")
        || name.equals("META-INF/MANIFEST.MF") || List.of(name.split("/")).contains("..")) {
      throw new IllegalArgumentException("bad jar resource name: '" + name + "'");
    }
    return name;
  }

  /**
   * Adds the entries of a jar or class folder that belong to the runtime: classes and
   * resources under {@code prefix}, plus its licence notices and service files.
   */
  private static void collect(Path location, String prefix, SortedMap<String, Source> entries, List<ZipFile> open)
      throws IOException {
    if (Files.isDirectory(location)) {
      try (Stream<Path> files = Files.walk(location)) {
        for (Path p : (Iterable<Path>) files.sorted()::iterator) {
          if (!Files.isRegularFile(p)) continue;
          String name = location.relativize(p).toString().replace(java.io.File.separatorChar, '/');
          if (wanted(name, prefix)) entries.putIfAbsent(name, new FileSource(p));
        }
      }
    } else if (Files.isRegularFile(location)) {
      ZipFile zip = new ZipFile(location.toFile());
      open.add(zip);
      for (ZipEntry e : Collections.list(zip.entries())) {
        if (!e.isDirectory() && wanted(e.getName(), prefix)) entries.putIfAbsent(e.getName(), new ZipSource(zip, e));
      }
    } else {
      throw new IOException("heed runtime location not found: " + location);
    }
  }

  static boolean wanted(String name, String prefix) {
    String base = name.substring(name.lastIndexOf('/') + 1);
    if (base.equals("module-info.class")) return false;
    if (name.startsWith("META-INF/")) {
      if (name.startsWith("META-INF/versions/") || name.startsWith("META-INF/maven/")) return false;
      if (name.equals("META-INF/MANIFEST.MF") || name.equals("META-INF/INDEX.LIST")) return false;
      if (name.matches("META-INF/[^/]*\\.(SF|RSA|DSA|EC)") || name.startsWith("META-INF/SIG-")) return false;
      if (name.equals(SERVICE_FILE)) return false;
      return name.startsWith("META-INF/services/") || base.startsWith("LICENSE") || base.startsWith("NOTICE");
    }
    return name.startsWith(prefix);
  }

  private static byte[] manifest() {
    return ("Manifest-Version: 1.0\r\n"
        + "Created-By: heed\r\n"
        + "Main-Class: " + MAIN_CLASS + "\r\n"
        + "\r\n").getBytes(StandardCharsets.UTF_8);
  }

  private static void writeAtomically(Path jar, SortedMap<String, Source> entries) throws IOException {
    Path target = jar.toAbsolutePath().normalize();
    if (Files.isDirectory(target)) throw new IOException(target + " is a folder");
    // A hidden .OUT.jar.PID.N.tmp beside the jar (its folder created if needed), moved into place
    // when complete (see AtomicFiles).
    AtomicFiles.writeStream(target, out -> {
      ZipOutputStream zip = new ZipOutputStream(new BufferedOutputStream(out, 1 << 16));
      zip.setLevel(9);
      // The manifest comes first, where JarInputStream looks for it.
      put(zip, "META-INF/", null);
      put(zip, "META-INF/MANIFEST.MF", new Bytes(manifest()));
      for (Map.Entry<String, Source> e : entries.entrySet()) put(zip, e.getKey(), e.getValue());
      zip.finish();
      zip.flush();
    });
  }

  private static void put(ZipOutputStream zip, String name, Source source) throws IOException {
    ZipEntry entry = new ZipEntry(name);
    entry.setTimeLocal(ENTRY_TIME);
    if (source == null) {
      entry.setMethod(ZipEntry.STORED);
      entry.setSize(0);
      entry.setCompressedSize(0);
      entry.setCrc(0);
      zip.putNextEntry(entry);
    } else if (source instanceof FileSource f && Files.size(f.path) > (1 << 20)) {
      // Large files (weights) are stored: float data barely compresses, and stored entries
      // can be read without inflating.
      long size = Files.size(f.path);
      entry.setMethod(ZipEntry.STORED);
      entry.setSize(size);
      entry.setCompressedSize(size);
      entry.setCrc(crc(f.path));
      zip.putNextEntry(entry);
      try (InputStream in = Files.newInputStream(f.path)) {
        long copied = in.transferTo(zip);
        if (copied != size) throw new IOException(f.path + " changed while it was being copied");
      }
    } else {
      zip.putNextEntry(entry);
      try (InputStream in = source.open()) {
        in.transferTo(zip);
      }
    }
    zip.closeEntry();
  }

  private static long crc(Path file) throws IOException {
    CRC32 crc = new CRC32();
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) crc.update(buf, 0, n);
    }
    return crc.getValue();
  }

  /** The content of one entry. */
  private sealed interface Source permits Bytes, FileSource, ZipSource {
    InputStream open() throws IOException;
  }

  private record Bytes(byte[] bytes) implements Source {
    Bytes {
      Objects.requireNonNull(bytes, "entry content");
    }

    @Override public InputStream open() { return new java.io.ByteArrayInputStream(bytes); }
  }

  private record FileSource(Path path) implements Source {
    @Override public InputStream open() throws IOException { return Files.newInputStream(path); }
  }

  private record ZipSource(ZipFile zip, ZipEntry entry) implements Source {
    @Override public InputStream open() throws IOException { return zip.getInputStream(entry); }
  }
}
