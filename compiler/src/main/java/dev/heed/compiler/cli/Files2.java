package dev.heed.compiler.cli;

import dev.heed.runtime.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

/** File checks and one-line descriptions of I/O failures, for CLI messages. */
final class Files2 {
  private Files2() {}

  /** Fails with "{@code what} PATH: no such file" unless {@code file} is a readable regular file. */
  static Path requireFile(Path file, String what) {
    if (Files.isDirectory(file)) throw new CliException(what + " " + file + ": is a folder, not a file");
    if (!Files.exists(file)) throw new CliException(what + " " + file + ": no such file");
    if (!Files.isReadable(file)) throw new CliException(what + " " + file + ": permission denied");
    return file;
  }

  /**
   * Fails with a usage error (exit 2) when {@code output} is the same file as one of
   * {@code inputs} (null entries skipped): writing it would destroy an input the command reads.
   */
  static void requireNotAnInput(Path output, String option, Path... inputs) {
    if (!Files.exists(output)) return;
    for (Path in : inputs) {
      if (in == null || !Files.exists(in)) continue;
      boolean same;
      try {
        same = Files.isSameFile(output, in);
      } catch (IOException e) {
        continue; // unreadable: the command reports it where it reads or writes the file
      }
      if (same) {
        throw new CliException(HeedCli.EXIT_USAGE, option + " " + output + ": is the input " + in
            + "; writing it would destroy the input, so give another file name", null);
      }
    }
  }

  /** {@link #describe}, prefixed with the file the failure names, if any. */
  static String describeWithFile(IOException e) {
    if (e instanceof java.nio.file.FileAlreadyExistsException) return describe(e); // names the file itself
    if (e instanceof FileSystemException f && f.getFile() != null) return f.getFile() + ": " + describe(e);
    return describe(e);
  }

  /** A short reason for an I/O failure, without the path or stack: "no such file or folder" ({@link AtomicFiles#describe}). */
  static String describe(IOException e) {
    return AtomicFiles.describe(e);
  }
}
