package dev.heed.runtime.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.DirectoryStream;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes a file atomically: the content goes to a hidden temporary file in the same folder,
 * {@code .NAME.PID.N.tmp}, which then replaces the target in one move, so readers never see a
 * half-written file and a failed write leaves the target as it was. A process stopped by
 * SIGTERM or Ctrl-C deletes its temporary files (shutdown hook); one killed outright leaves
 * its file, which the next write to the same target removes once that process is gone. The
 * target's folder is created if it does not exist, as for every output heed writes.
 */
public final class AtomicFiles {
  private static final AtomicLong COUNTER = new AtomicLong();

  /** Temporary files being written by this process, deleted if the JVM shuts down first. */
  private static final Set<Path> IN_FLIGHT = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      for (Path p : IN_FLIGHT) {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // best effort while the JVM goes down
        }
      }
    }, "heed-atomic-files-cleanup"));
  }

  /** Writes the content of one file to an open channel. */
  public interface ChannelWriter {
    void write(FileChannel channel) throws IOException;
  }

  private AtomicFiles() {}

  /**
   * Writes {@code target} with {@code writer}, creating its folder if needed; on any failure the
   * target is untouched and no temporary file stays.
   */
  public static void write(Path target, ChannelWriter writer) throws IOException {
    Path absolute = target.toAbsolutePath();
    Path dir = absolute.getParent();
    Files.createDirectories(dir);
    String name = absolute.getFileName().toString();
    removeStaleTemps(dir, name);
    Path temp = dir.resolve("." + name + "." + ProcessHandle.current().pid() + "." + COUNTER.incrementAndGet() + ".tmp");
    IN_FLIGHT.add(temp);
    boolean moved = false;
    try {
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        writer.write(channel);
        channel.force(true);
      }
      try {
        Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING);
      }
      moved = true;
    } finally {
      try {
        if (!moved) Files.deleteIfExists(temp);
      } finally {
        IN_FLIGHT.remove(temp);
      }
    }
  }

  /** Removes temporary files for target {@code name} left in {@code dir} by processes that no longer run. */
  private static void removeStaleTemps(Path dir, String name) {
    Pattern pattern = Pattern.compile("\\." + Pattern.quote(name) + "\\.(\\d+)\\.[0-9a-f]+\\.tmp");
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        Matcher m = pattern.matcher(f.getFileName().toString());
        if (!m.matches()) continue;
        long pid;
        try {
          pid = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
          continue;
        }
        if (pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).isEmpty()) Files.deleteIfExists(f);
      }
    } catch (IOException e) {
      // Only housekeeping: the new file is written all the same.
    }
  }

  /** Writes {@code content} to {@code target} atomically, creating its folder if needed. */
  public static void write(Path target, byte[] content) throws IOException {
    write(target, channel -> writeFully(channel, java.nio.ByteBuffer.wrap(content)));
  }

  /** Writes what {@code writer} sends to a stream into {@code target} atomically. */
  public static void writeStream(Path target, StreamWriter writer) throws IOException {
    write(target, channel -> {
      java.io.OutputStream os = java.nio.channels.Channels.newOutputStream(channel);
      writer.write(os);
      os.flush();
    });
  }

  /** Writes the content of one file to a stream. */
  public interface StreamWriter {
    void write(java.io.OutputStream out) throws IOException;
  }

  /** Writes all of {@code buffer} to {@code channel}. */
  static void writeFully(FileChannel channel, java.nio.ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) channel.write(buffer);
  }

  /** A one-line description of an I/O failure, without the path the caller already names. */
  public static String describe(IOException e) {
    String kind = switch (e) {
      case java.nio.file.NoSuchFileException x -> "no such file or folder";
      case java.nio.file.AccessDeniedException x -> "permission denied";
      case java.nio.file.NotDirectoryException x -> "not a folder";
      case java.nio.charset.CharacterCodingException x -> "not UTF-8 text";
      // A file in the way of the folder the target goes in (createDirectories).
      case java.nio.file.FileAlreadyExistsException x ->
          "a file stands where a folder is needed" + (x.getFile() != null ? " (" + x.getFile() + ")" : "");
      case java.nio.file.FileSystemException x when x.getReason() != null -> x.getReason();
      default -> e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    };
    return kind.replace('\n', ' ');
  }
}
