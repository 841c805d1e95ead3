package dev.heed.compiler.onnx;

import dev.heed.compiler.HeedCompiler;
import dev.heed.compiler.ir.Dim;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Node;
import dev.heed.runtime.HeedModelFactory.ParamSpec;
import dev.heed.runtime.Weights;
import dev.heed.runtime.WeightsException;
import dev.heed.runtime.io.Safetensors;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Opens a weights file of either format heed reads: safetensors, or an ONNX model whose
 * initializers are bound to the parameters by {@link OnnxWeights}. The format is told by the
 * file's first bytes (a safetensors header is a u64 length then '{'), then by its extension.
 */
public final class WeightFiles {
  /** The two formats. */
  public enum Format { SAFETENSORS, ONNX }

  private WeightFiles() {}

  /**
   * Opens {@code file} for a model with parameters {@code params}; see
   * {@link #open(Path, List, PrintStream)}. Warnings (unused tensors) are not printed.
   */
  public static Weights open(Path file, List<ParamSpec> params) {
    return open(file, params, null);
  }

  /**
   * Opens {@code file} for a model with parameters {@code params}, checking them all before
   * any is read: every parameter must be present with its shape.
   *
   * @param warnings null, or where an ONNX model's binding report goes when some of its
   *     tensors are unused
   * @throws WeightsException naming the file, listing every missing or mis-shaped parameter
   */
  public static Weights open(Path file, List<ParamSpec> params, PrintStream warnings) {
    return switch (format(file)) {
      case ONNX -> {
        OnnxWeights.Binding b = OnnxWeights.read(file).bind(params);
        if (warnings != null && !b.unused().isEmpty()) warnings.print(b.report());
        yield b;
      }
      case SAFETENSORS -> {
        Safetensors st = Safetensors.open(file);
        try {
          checkAll(st, params);
        } catch (RuntimeException e) {
          st.close();
          throw e;
        }
        yield st;
      }
    };
  }

  /**
   * The format of {@code file}: safetensors if it starts like one, ONNX if it ends in
   * {@code .onnx} or starts like a ModelProto (field 1, ir_version, a varint: byte 0x08).
   *
   * @throws WeightsException if the file cannot be read or is neither
   */
  public static Format format(Path file) {
    byte[] head = new byte[9];
    int n = 0;
    try (InputStream in = Files.newInputStream(file)) {
      while (n < head.length) {
        int r = in.read(head, n, head.length - n);
        if (r < 0) break;
        n += r;
      }
    } catch (NoSuchFileException e) {
      throw new WeightsException("weights " + file + ": no such file", e);
    } catch (IOException e) {
      throw new WeightsException("weights " + file + ": cannot read: " + e.getMessage(), e);
    }
    if (n == 9 && head[8] == '{' && head[7] == 0 && head[6] == 0) return Format.SAFETENSORS;
    String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".onnx") || (n > 0 && head[0] == 0x08)) return Format.ONNX;
    throw new WeightsException("weights " + file + ": neither a safetensors file nor an ONNX model"
        + (name.endsWith(".safetensors") ? " (its header does not start with a length and '{')" : ""));
  }

  /**
   * The parameter list of the model in spec file {@code spec}: checkpoint name, shape and
   * init rule of every parameter, in the order the compiled model declares them.
   *
   * @throws IOException if the spec cannot be read
   * @throws dev.heed.dsl.diag.HeedException if it does not compile
   */
  public static List<ParamSpec> parameters(Path spec) throws IOException {
    return parameters(HeedCompiler.compile(spec, HeedCompiler.Options.defaults(), s -> { }).ir());
  }

  /** The parameter list of compiled IR {@code ir}. */
  public static List<ParamSpec> parameters(Graph ir) {
    List<ParamSpec> out = new ArrayList<>();
    for (Node p : ir.params()) {
      int[] shape = new int[p.type().rank()];
      for (int i = 0; i < shape.length; i++) {
        Dim d = p.type().dim(i);
        shape[i] = Math.toIntExact(d.size());
      }
      out.add(new ParamSpec(p.strAttr("name"), shape, p.strAttr("init")));
    }
    return out;
  }

  private static void checkAll(Safetensors st, List<ParamSpec> params) {
    List<String> problems = new ArrayList<>();
    for (ParamSpec p : params) {
      if (!st.names().contains(p.name())) {
        problems.add("  " + p.name() + " f32" + OnnxWeights.dims(p.shape()) + ": missing");
      } else if (!Arrays.equals(st.shapeOf(p.name()), p.shape())) {
        problems.add("  " + p.name() + ": the spec needs " + OnnxWeights.dims(p.shape()) + ", the file has "
            + OnnxWeights.dims(st.shapeOf(p.name())));
      }
    }
    if (!problems.isEmpty()) {
      throw new WeightsException("weights " + st.origin() + ": " + problems.size() + " of " + params.size()
          + " parameters do not fit:\n" + String.join("\n", problems));
    }
  }
}
