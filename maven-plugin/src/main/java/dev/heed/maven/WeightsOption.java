package dev.heed.maven;

import dev.heed.compiler.onnx.OnnxWeights;
import dev.heed.compiler.onnx.WeightFiles;
import dev.heed.runtime.HeedModelFactory.ParamSpec;
import dev.heed.runtime.Weights;
import dev.heed.runtime.WeightsException;
import dev.heed.runtime.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * The plugin's weights options: {@code weights} checks a checkpoint (safetensors, or an ONNX
 * model) against every spec's parameters, failing the build with the list of misfits;
 * {@code embedWeights} also puts it into the project's resources as
 * {@code heed/weights.safetensors}, where a compiled model's {@code Main} finds it. A build
 * without {@code embedWeights} removes a file an earlier build embedded there
 * ({@link #removeEmbedded}), so the jar never ships weights the build no longer asks for.
 */
final class WeightsOption {
  /** Where model jars keep embedded weights (see dev.heed.runtime.Main). */
  static final String EMBEDDED = dev.heed.runtime.Main.EMBEDDED_WEIGHTS;

  private WeightsOption() {}

  /**
   * Deletes {@code heed/weights.safetensors} from the generated resources, where an earlier build
   * with {@code embedWeights} put it: without this, a build that no longer embeds weights would
   * still package the old file, and the jar's {@code Main} would load it.
   *
   * @return true if there was a file to delete
   */
  static boolean removeEmbedded(Path resourceDir, Consumer<String> info) throws IOException {
    boolean removed = Files.deleteIfExists(resourceDir.resolve(EMBEDDED));
    if (removed) info.accept("heed: removed the " + EMBEDDED + " an earlier build embedded (embedWeights is off)");
    return removed;
  }

  /**
   * @return the embedded file, or null when {@code embed} is false
   * @throws WeightsException listing every missing or mis-shaped parameter
   */
  static Path apply(Path weights, boolean embed, List<Path> specs, Path resourceDir, Consumer<String> info) throws IOException {
    if (!Files.isRegularFile(weights)) throw new WeightsException("weights " + weights + ": no such file");
    List<ParamSpec> first = null;
    for (Path spec : specs) {
      List<ParamSpec> params = WeightFiles.parameters(spec);
      if (first == null) first = params;
      try (Weights w = WeightFiles.open(weights, params)) {
        info.accept("heed: weights " + weights.getFileName() + " fit " + spec.getFileName() + " (" + params.size() + " parameters)");
      }
    }
    if (!embed) {
      removeEmbedded(resourceDir, info);
      return null;
    }
    if (specs.size() != 1) {
      throw new WeightsException("weights " + weights + ": embedWeights needs exactly one spec in the project, found " + specs.size());
    }
    Path target = resourceDir.resolve(EMBEDDED);
    Path source = weights;
    Path converted = null;
    try {
      if (WeightFiles.format(weights) == WeightFiles.Format.ONNX) {
        converted = Files.createTempFile("heed-weights", ".safetensors");
        OnnxWeights.read(weights).bind(first).writeSafetensors(converted);
        source = converted;
      }
      if (Files.isRegularFile(target) && Files.mismatch(source, target) == -1) return target;  // unchanged
      Path from = source;
      Files.createDirectories(target.toAbsolutePath().getParent());
      AtomicFiles.write(target.toAbsolutePath(), channel -> {
        try (var in = java.nio.channels.FileChannel.open(from)) {
          long pos = 0, size = in.size();
          while (pos < size) pos += in.transferTo(pos, size - pos, channel);
        }
      });
      info.accept("heed: embedded " + weights.getFileName() + " as " + EMBEDDED);
      return target;
    } finally {
      if (converted != null) Files.deleteIfExists(converted);
    }
  }
}
