package dev.heed.compiler.jar;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.Optional;

/** Finds the jar or class folder a class was loaded from. */
final class ClassLocations {
  private ClassLocations() {}

  /** The jar or folder {@code type} came from; throws if the JVM does not say. */
  static Path of(Class<?> type) {
    CodeSource source = type.getProtectionDomain().getCodeSource();
    URL url = source == null ? null : source.getLocation();
    if (url == null) {
      throw new IllegalStateException("cannot tell where " + type.getName() + " was loaded from");
    }
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException | IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
      throw new IllegalStateException("cannot use the location of " + type.getName() + ": " + url, e);
    }
  }

  /** Where the class {@code className} comes from, if it is on heed's class path. */
  static Optional<Path> find(String className) {
    try {
      return Optional.of(of(Class.forName(className, false, ClassLocations.class.getClassLoader())));
    } catch (ClassNotFoundException e) {
      return Optional.empty();
    }
  }
}
