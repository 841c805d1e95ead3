package dev.heed.maven;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.lang.model.SourceVersion;

/**
 * Finds the specs under a source folder and picks each one's Java package.
 *
 * <p>Includes and excludes are Ant-style patterns over paths relative to the source folder,
 * written with {@code /}: {@code *} matches any characters but {@code /}, {@code ?} one such
 * character, a {@code **} segment any number of folders (none included), and a pattern ending
 * in {@code /} means everything under that folder, as in Maven's own includes.
 */
final class SpecScanner {
  /** The includes used when none are configured. */
  static final List<String> DEFAULT_INCLUDES = List.of("**/*.heed");

  /** The package of specs directly in the source folder when none is configured. */
  static final String DEFAULT_PACKAGE = "heed.models";

  private SpecScanner() {}

  /**
   * The files under {@code root} matching an include and no exclude, as paths relative to
   * {@code root} with {@code /} separators, sorted; empty when {@code root} does not exist.
   */
  static List<String> scan(Path root, List<String> includes, List<String> excludes) throws IOException {
    if (!Files.isDirectory(root)) return List.of();
    List<String> in = includes == null || includes.isEmpty() ? DEFAULT_INCLUDES : includes;
    List<String> ex = excludes == null ? List.of() : excludes;
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      files.filter(Files::isRegularFile).forEach(f -> {
        String rel = slashes(root.relativize(f).toString());
        if (in.stream().anyMatch(p -> matches(p, rel)) && ex.stream().noneMatch(p -> matches(p, rel))) {
          found.add(rel);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    found.sort(null);
    return found;
  }

  /** Whether the relative path {@code path} (with {@code /}) matches the Ant-style {@code pattern}. */
  static boolean matches(String pattern, String path) {
    String p = slashes(pattern.trim());
    if (p.startsWith("/")) p = p.substring(1);
    if (p.endsWith("/")) p += "**";
    return matchSegments(p.split("/", -1), 0, path.split("/", -1), 0);
  }

  private static boolean matchSegments(String[] pattern, int pi, String[] path, int si) {
    while (pi < pattern.length) {
      if (pattern[pi].equals("**")) {
        while (pi + 1 < pattern.length && pattern[pi + 1].equals("**")) pi++;
        if (pi + 1 == pattern.length) return true;
        for (int skip = si; skip <= path.length; skip++) {
          if (matchSegments(pattern, pi + 1, path, skip)) return true;
        }
        return false;
      }
      if (si == path.length || !matchSegment(pattern[pi], 0, path[si], 0)) return false;
      pi++;
      si++;
    }
    return si == path.length;
  }

  private static boolean matchSegment(String pattern, int pi, String name, int ni) {
    while (pi < pattern.length()) {
      char c = pattern.charAt(pi);
      if (c == '*') {
        for (int skip = ni; skip <= name.length(); skip++) {
          if (matchSegment(pattern, pi + 1, name, skip)) return true;
        }
        return false;
      }
      if (ni == name.length() || (c != '?' && c != name.charAt(ni))) return false;
      pi++;
      ni++;
    }
    return ni == name.length();
  }

  /**
   * The Java package for the spec at {@code specPath} (relative, with {@code /}): its folder with
   * dots for slashes, or {@value #DEFAULT_PACKAGE} for a spec directly in the source folder.
   *
   * @throws IllegalArgumentException if the folder is not a Java package name
   */
  static String derivePackage(String specPath) {
    int slash = specPath.lastIndexOf('/');
    if (slash < 0) return DEFAULT_PACKAGE;
    String pkg = specPath.substring(0, slash).replace('/', '.');
    if (!isPackageName(pkg)) {
      throw new IllegalArgumentException("spec " + specPath + ": its folder '" + specPath.substring(0, slash)
          + "' does not name a Java package (each folder must be a Java identifier, not a keyword);"
          + " move the spec or set <packageName>");
    }
    return pkg;
  }

  /** Whether {@code name} is a valid Java package name, e.g. {@code com.example.models}. */
  static boolean isPackageName(String name) {
    return name != null && SourceVersion.isName(name, SourceVersion.RELEASE_21);
  }

  /** {@code path} with {@code /} for every separator. */
  static String slashes(String path) {
    return path.replace('\\', '/');
  }
}
