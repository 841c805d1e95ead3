package dev.heed.runtime.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.heed.runtime.DType;
import dev.heed.runtime.Tensor;
import dev.heed.runtime.WeightsException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Writes f32 tensors as a safetensors file. The output is deterministic: tensors are sorted
 * by name and laid out in that order, metadata keys are sorted, and the header is padded
 * with spaces to a multiple of 8 bytes. The file is written atomically (a temporary file in
 * the same folder, then one move).
 */
public final class SafetensorsWriter {
  private static final JsonFactory JSON = new JsonFactory();
  private static final int CHUNK_FLOATS = 1 << 16;

  private SafetensorsWriter() {}

  /** Writes {@code tensors} (all f32) to {@code file}, without metadata. */
  public static void write(Path file, Map<String, Tensor> tensors) {
    write(file, tensors, Map.of());
  }

  /**
   * Writes {@code tensors} (all f32) and the {@code __metadata__} strings to {@code file}.
   *
   * @throws IllegalArgumentException if a tensor is not f32 or a name is "__metadata__"
   * @throws WeightsException naming the file if it cannot be written
   */
  public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
    SortedMap<String, Tensor> sorted = new TreeMap<>(tensors);
    for (var e : sorted.entrySet()) {
      if (e.getKey().equals("__metadata__")) {
        throw new IllegalArgumentException("a tensor cannot be called __metadata__");
      }
      if (e.getValue().dtype() != DType.F32) {
        throw new IllegalArgumentException("tensor '" + e.getKey() + "' is " + e.getValue().typeString()
            + "; safetensors output holds f32 tensors only");
      }
    }
    try {
      byte[] header = header(sorted, new TreeMap<>(metadata));
      AtomicFiles.write(file, channel -> {
        ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        prefix.putLong(header.length).flip();
        AtomicFiles.writeFully(channel, prefix);
        AtomicFiles.writeFully(channel, ByteBuffer.wrap(header));
        ByteBuffer buf = ByteBuffer.allocate(CHUNK_FLOATS * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (Tensor t : sorted.values()) {
          float[] data = t.floats();
          for (int i = 0; i < data.length; i += CHUNK_FLOATS) {
            int n = Math.min(CHUNK_FLOATS, data.length - i);
            buf.clear();
            buf.asFloatBuffer().put(data, i, n);
            buf.limit(n * 4);
            AtomicFiles.writeFully(channel, buf);
          }
        }
      });
    } catch (IOException e) {
      throw new WeightsException("weights " + file + ": cannot write: " + AtomicFiles.describe(e), e);
    }
  }

  private static byte[] header(SortedMap<String, Tensor> tensors, SortedMap<String, String> metadata)
      throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      if (!metadata.isEmpty()) {
        g.writeObjectFieldStart("__metadata__");
        for (var e : metadata.entrySet()) g.writeStringField(e.getKey(), e.getValue());
        g.writeEndObject();
      }
      long offset = 0;
      for (var e : tensors.entrySet()) {
        Tensor t = e.getValue();
        long bytes = 4L * t.size();
        g.writeObjectFieldStart(e.getKey());
        g.writeStringField("dtype", "F32");
        g.writeArrayFieldStart("shape");
        for (int d : t.shape()) g.writeNumber(d);
        g.writeEndArray();
        g.writeArrayFieldStart("data_offsets");
        g.writeNumber(offset);
        g.writeNumber(offset + bytes);
        g.writeEndArray();
        g.writeEndObject();
        offset += bytes;
      }
      g.writeEndObject();
    }
    while (out.size() % 8 != 0) out.write(' ');
    return out.toByteArray();
  }
}
