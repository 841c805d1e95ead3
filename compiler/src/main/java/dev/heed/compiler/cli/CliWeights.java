package dev.heed.compiler.cli;

import dev.heed.compiler.onnx.OnnxWeights;
import dev.heed.compiler.onnx.WeightFiles;
import dev.heed.runtime.HeedModelFactory.ParamSpec;
import dev.heed.runtime.Weights;
import dev.heed.runtime.io.Safetensors;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --weights FILE} for {@code compile} and {@code run}: a safetensors checkpoint or an
 * ONNX model (told apart by {@link WeightFiles#format}), checked against a parameter list
 * before any tensor is read.
 */
final class CliWeights {
  private CliWeights() {}

  /**
   * Opens {@code file} for {@code params}. A safetensors file fails on its first missing or
   * mis-shaped parameter (one line); an ONNX model is bound by {@link OnnxWeights}, and if any
   * parameter does not fit, the whole binding report goes to {@code err} before the error.
   * Tensors of an ONNX model that no parameter uses get one note line on {@code err}.
   *
   * @param what what the parameters belong to, for messages: "model MiniLM"
   * @throws CliException or {@link dev.heed.runtime.WeightsException} if the weights do not fit
   */
  static Weights open(Path file, List<ParamSpec> params, String what, PrintWriter err) {
    Files2.requireFile(file, "weights");
    return switch (WeightFiles.format(file)) {
      case SAFETENSORS -> {
        Safetensors st = Safetensors.open(file);
        try {
          for (ParamSpec p : params) {
            if (!st.names().contains(p.name()) || !Arrays.equals(st.shapeOf(p.name()), p.shape())) {
              st.get(p.name(), p.shape(), p.init());  // throws, naming the tensor and both shapes
            }
          }
        } catch (RuntimeException e) {
          st.close();
          throw e;
        }
        yield st;
      }
      case ONNX -> bind(file, params, what, err);
    };
  }

  /** Binds the ONNX model {@code file} to {@code params}; see {@link #open}. */
  static OnnxWeights.Binding bind(Path file, List<ParamSpec> params, String what, PrintWriter err) {
    OnnxWeights.Binding b = OnnxWeights.read(file).check(params);
    if (!b.ok()) {
      err.print(b.report());
      err.flush();
      throw new CliException("weights " + file + " do not fit " + what + ": " + b.errorSummary() + " (listed above)");
    }
    List<String> unused = b.unused();
    if (!unused.isEmpty()) {
      err.println("heed: note: weights " + file + ": " + unused.size() + (unused.size() == 1 ? " tensor" : " tensors")
          + " of the ONNX model unused (" + String.join(", ", unused.subList(0, Math.min(3, unused.size())))
          + (unused.size() > 3 ? ", ..." : "") + ")");
      err.flush();
    }
    return b;
  }

  /** Every parameter of the models, each name once (the first declaration wins). */
  static List<ParamSpec> union(List<List<ParamSpec>> lists) {
    Map<String, ParamSpec> all = new LinkedHashMap<>();
    for (List<ParamSpec> l : lists) for (ParamSpec p : l) all.putIfAbsent(p.name(), p);
    return new ArrayList<>(all.values());
  }

  /**
   * The ONNX model {@code onnx}'s tensors for {@code params}, written to a new temporary
   * safetensors file, which the caller deletes.
   */
  static Path toSafetensors(Path onnx, List<ParamSpec> params, String what, PrintWriter err) throws IOException {
    OnnxWeights.Binding b = bind(onnx, params, what, err);
    Path temp = Files.createTempFile("heed-weights-", ".safetensors");
    try {
      b.writeSafetensors(temp);
    } catch (RuntimeException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    return temp;
  }
}
