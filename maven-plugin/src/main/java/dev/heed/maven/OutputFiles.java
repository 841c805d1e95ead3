package dev.heed.maven;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/** Small file helpers: SHA-256, atomic writes, writes that leave equal files alone. */
final class OutputFiles {

  private OutputFiles() {}

  /** The lowercase hex SHA-256 of {@code bytes}. */
  static String sha256(byte[] bytes) {
    return HexFormat.of().formatHex(digest().digest(bytes));
  }

  /** A fresh SHA-256 digest. */
  static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /**
   * Writes {@code content} to {@code target} atomically (a temporary file in the same folder,
   * then one move), creating parent folders.
   */
  static void write(Path target, byte[] content) throws IOException {
    dev.heed.runtime.io.AtomicFiles.write(target, content);
  }

  /**
   * Writes {@code content} to {@code target} unless the file already holds exactly that, so an
   * unchanged output keeps its modification time.
   *
   * @return whether the file was written
   */
  static boolean writeIfChanged(Path target, byte[] content) throws IOException {
    byte[] old = readOrNull(target);
    if (old != null && Arrays.equals(old, content)) return false;
    write(target, content);
    return true;
  }

  /** The bytes of {@code file}, or null if it does not exist. */
  static byte[] readOrNull(Path file) throws IOException {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /**
   * Deletes {@code file} if it exists, then each parent folder that is left empty, up to but not
   * including {@code root}.
   *
   * @return whether the file existed
   */
  static boolean deleteAndPrune(Path file, Path root) throws IOException {
    boolean existed = Files.deleteIfExists(file);
    Path stop = root.toAbsolutePath().normalize();
    for (Path dir = file.toAbsolutePath().normalize().getParent(); dir != null && dir.startsWith(stop)
        && !dir.equals(stop); dir = dir.getParent()) {
      try {
        Files.deleteIfExists(dir);
      } catch (DirectoryNotEmptyException e) {
        break;
      }
    }
    return existed;
  }
}
