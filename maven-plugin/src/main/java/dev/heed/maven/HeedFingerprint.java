package dev.heed.maven;

import dev.heed.compiler.HeedCompiler;
import dev.heed.compiler.cli.HeedVersion;
import dev.heed.dsl.SpecParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * A SHA-256 of heed itself: its version and the bytes of the jars (or class folders) holding
 * the compiler, the DSL front end and this plugin. Outputs made by another heed, even another
 * build of the same SNAPSHOT, are regenerated.
 */
final class HeedFingerprint {
  private HeedFingerprint() {}

  /** The fingerprint of the heed this plugin runs, computed once per class loader. */
  static String current() {
    return Holder.VALUE;
  }

  private static final class Holder {
    static final String VALUE = compute(List.of(HeedCompiler.class, SpecParser.class, HeedFingerprint.class));
  }

  /** Digest of heed's version and the code sources of {@code classes} (each counted once). */
  static String compute(List<Class<?>> classes) {
    MessageDigest md = OutputFiles.digest();
    md.update(("heed " + HeedVersion.VERSION + "\n").getBytes(StandardCharsets.UTF_8));
    List<Path> seen = new ArrayList<>();
    for (Class<?> c : classes) {
      Path location = location(c);
      if (location == null) {
        md.update(("class " + c.getName() + " without a code source\n").getBytes(StandardCharsets.UTF_8));
      } else if (!seen.contains(location)) {
        seen.add(location);
        try {
          hash(md, location);
        } catch (IOException e) {
          throw new UncheckedIOException("heed: cannot read " + location, e);
        }
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static Path location(Class<?> c) {
    CodeSource cs = c.getProtectionDomain().getCodeSource();
    if (cs == null || cs.getLocation() == null) return null;
    try {
      return Path.of(cs.getLocation().toURI());
    } catch (URISyntaxException | IllegalArgumentException | FileSystemNotFoundException e) {
      return null;
    }
  }

  /** Adds a jar's bytes, or every file of a class folder (sorted, with its relative name). */
  private static void hash(MessageDigest md, Path location) throws IOException {
    if (Files.isRegularFile(location)) {
      update(md, location);
      return;
    }
    List<Path> files;
    try (Stream<Path> walk = Files.walk(location)) {
      files = walk.filter(Files::isRegularFile).sorted().toList();
    }
    for (Path f : files) {
      md.update(SpecScanner.slashes(location.relativize(f).toString()).getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
      update(md, f);
    }
  }

  private static void update(MessageDigest md, Path file) throws IOException {
    byte[] buffer = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buffer)) > 0; ) md.update(buffer, 0, n);
    }
  }
}
