package dev.heed.runtime.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.heed.runtime.Weights;
import dev.heed.runtime.WeightsException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A safetensors checkpoint, memory-mapped read-only. The header is validated completely when
 * the file is opened; {@link #get} converts F32, F16 and BF16 tensors to {@code float[]}.
 *
 * <p>Format: an unsigned 64-bit little-endian header length N, N bytes of JSON mapping each
 * tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}} (plus an optional
 * {@code "__metadata__"} object of strings), then the data, with offsets relative to its start.
 *
 * <p>Every error is a {@link WeightsException} whose message is one line naming the file.
 */
public final class Safetensors implements Weights {
  /** The largest header accepted, in bytes. */
  public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

  /** The largest number of bytes mapped at once when converting a tensor. */
  private static final long MAP_CHUNK = 1L << 30;

  private static final JsonFactory JSON = new JsonFactory();

  /** Where one tensor lies in the data region, and how it is stored. */
  private record Entry(String dtype, int elementSize, int[] shape, long begin, long end) {}

  /** The file as messages and {@link #origin} name it. */
  private final String file;
  private final FileChannel channel;
  private final long dataStart;
  private final Map<String, Entry> entries;
  private final Map<String, String> metadata;
  private volatile boolean closed;

  private Safetensors(String file, FileChannel channel, long dataStart, Map<String, Entry> entries,
      Map<String, String> metadata) {
    this.file = file;
    this.channel = channel;
    this.dataStart = dataStart;
    this.entries = entries;
    this.metadata = metadata;
  }

  /**
   * Opens and validates {@code file}: header size, JSON syntax, and every tensor's dtype,
   * shape and offsets, before reading any tensor data.
   *
   * @throws WeightsException if the file cannot be read or is not valid safetensors
   */
  public static Safetensors open(Path file) {
    return open(file, file.toString());
  }

  /**
   * {@link #open(Path)}, with {@code name} for the file in messages and {@link #origin}: what the
   * user knows a copy by, such as the weights embedded in a model jar that were extracted to a
   * temporary file.
   */
  public static Safetensors open(Path path, String file) {
    FileChannel channel;
    try {
      channel = FileChannel.open(path, StandardOpenOption.READ);
    } catch (IOException e) {
      throw failure("weights " + file + ": cannot open: " + AtomicFiles.describe(e), e);
    }
    try {
      Safetensors result = readHeader(file, channel);
      channel = null; // now owned by result
      return result;
    } catch (IOException e) {
      throw failure("weights " + file + ": cannot read: " + AtomicFiles.describe(e), e);
    } finally {
      if (channel != null) {
        try {
          channel.close();
        } catch (IOException ignored) {
          // the error being reported matters more
        }
      }
    }
  }

  private static Safetensors readHeader(String file, FileChannel channel) throws IOException {
    long size = channel.size();
    if (size < 8) {
      throw failure("weights " + file + ": file is " + size
          + " bytes, too short to hold a safetensors header");
    }
    ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    readFully(channel, lengthBytes, 0);
    long headerLength = lengthBytes.getLong(0);
    if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
      throw failure("weights " + file + ": header length "
          + Long.toUnsignedString(headerLength) + " exceeds the " + (MAX_HEADER_BYTES >> 20)
          + " MB limit (not a safetensors file?)");
    }
    if (headerLength > size - 8) {
      throw failure("weights " + file + ": header length " + headerLength
          + " exceeds the file size (" + size + " bytes); the file is truncated or not safetensors");
    }
    ByteBuffer header = ByteBuffer.allocate((int) headerLength);
    readFully(channel, header, 8);
    long dataStart = 8 + headerLength;
    long dataLength = size - dataStart;
    Map<String, Entry> entries = new LinkedHashMap<>();
    Map<String, String> metadata = new TreeMap<>();
    try (JsonParser p = JSON.createParser(header.array())) {
      parseHeader(file, p, dataLength, entries, metadata);
    } catch (JsonProcessingException e) {
      String detail = e.getOriginalMessage() == null ? "syntax error" : e.getOriginalMessage();
      int newline = detail.indexOf('\n');
      if (newline >= 0) detail = detail.substring(0, newline);
      var loc = e.getLocation();
      String where = loc == null ? "" : " at header byte " + loc.getByteOffset();
      throw failure("weights " + file + ": header is not valid JSON" + where + ": "
          + detail.strip(), e);
    }
    return new Safetensors(file, channel, dataStart, Collections.unmodifiableMap(entries),
        Collections.unmodifiableMap(metadata));
  }

  private static void parseHeader(String file, JsonParser p, long dataLength, Map<String, Entry> entries,
      Map<String, String> metadata) throws IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      throw bad(file, "header is not a JSON object");
    }
    for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
      String name = p.currentName();
      JsonToken value = p.nextToken();
      if (name.equals("__metadata__")) {
        if (value != JsonToken.START_OBJECT) throw bad(file, "\"__metadata__\" is not an object");
        for (JsonToken m = p.nextToken(); m != JsonToken.END_OBJECT; m = p.nextToken()) {
          String key = p.currentName();
          if (p.nextToken() != JsonToken.VALUE_STRING) {
            throw bad(file, "metadata value '" + key + "' is not a string");
          }
          metadata.put(key, p.getText());
        }
        continue;
      }
      if (entries.containsKey(name)) throw bad(file, "tensor '" + name + "' appears twice in the header");
      if (value != JsonToken.START_OBJECT) throw bad(file, "tensor '" + name + "' is not a JSON object");
      entries.put(name, parseEntry(file, p, name, dataLength));
    }
    if (p.nextToken() != null) throw bad(file, "unexpected content after the header's JSON object");
  }

  private static Entry parseEntry(String file, JsonParser p, String name, long dataLength) throws IOException {
    String dtype = null;
    long[] shape = null;
    long[] offsets = null;
    for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      switch (field) {
        case "dtype" -> {
          if (value != JsonToken.VALUE_STRING) throw bad(file, "tensor '" + name + "': dtype is not a string");
          dtype = p.getText();
        }
        case "shape" -> shape = parseLongs(file, p, name, "shape");
        case "data_offsets" -> offsets = parseLongs(file, p, name, "data_offsets");
        default -> p.skipChildren();
      }
    }
    if (dtype == null) throw bad(file, "tensor '" + name + "' has no dtype");
    if (shape == null) throw bad(file, "tensor '" + name + "' has no shape");
    if (offsets == null) throw bad(file, "tensor '" + name + "' has no data_offsets");
    int elementSize = switch (dtype) {
      case "F32" -> 4;
      case "F16", "BF16" -> 2;
      default -> throw bad(file, "tensor '" + name + "' has dtype " + dtype
          + ", which heed cannot read (supported: F32, F16, BF16)");
    };
    long count = 1;
    int[] dims = new int[shape.length];
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] < 0 || shape[i] > Integer.MAX_VALUE) {
        throw bad(file, "tensor '" + name + "' has invalid dimension " + shape[i] + " in shape "
            + Arrays.toString(shape));
      }
      dims[i] = (int) shape[i];
      count = count == 0 || shape[i] == 0 ? 0 : multiplyOrMax(count, shape[i]);
    }
    if (offsets.length != 2) {
      throw bad(file, "tensor '" + name + "': data_offsets must be [begin, end], got "
          + Arrays.toString(offsets));
    }
    long begin = offsets[0];
    long end = offsets[1];
    if (begin < 0 || end < begin || end > dataLength) {
      throw bad(file, "tensor '" + name + "': data_offsets [" + begin + ", " + end
          + "] lie outside the data region of " + dataLength + " bytes");
    }
    long bytes = multiplyOrMax(count, elementSize);
    if (bytes != end - begin) {
      throw bad(file, "tensor '" + name + "' is " + dtype + Arrays.toString(shape) + " ("
          + (bytes == Long.MAX_VALUE ? "too many" : String.valueOf(bytes)) + " bytes) but its data_offsets ["
          + begin + ", " + end + "] span " + (end - begin) + " bytes");
    }
    return new Entry(dtype, elementSize, dims, begin, end);
  }

  private static long multiplyOrMax(long a, long b) {
    long hi = Math.multiplyHigh(a, b);
    long lo = a * b;
    return hi != 0 || lo < 0 ? Long.MAX_VALUE : lo;
  }

  private static long[] parseLongs(String file, JsonParser p, String name, String field) throws IOException {
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw bad(file, "tensor '" + name + "': " + field + " is not an array");
    }
    List<Long> values = new ArrayList<>();
    for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
      if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
        throw bad(file, "tensor '" + name + "': " + field + " holds " + p.getText() + ", not an integer");
      }
      values.add(p.getLongValue());
    }
    long[] result = new long[values.size()];
    for (int i = 0; i < result.length; i++) result[i] = values.get(i);
    return result;
  }

  /** A WeightsException whose message is one line, whatever names the header holds. */
  private static WeightsException failure(String message) {
    return new WeightsException(Npy.oneLine(message));
  }

  private static WeightsException failure(String message, Throwable cause) {
    return new WeightsException(Npy.oneLine(message), cause);
  }

  private static WeightsException bad(String file, String what) {
    return failure("weights " + file + ": " + what);
  }

  private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, position);
      if (n < 0) throw new IOException("unexpected end of file");
      position += n;
    }
  }

  @Override public float[] get(String name, int[] shape, String init) {
    Entry e = entries.get(name);
    if (e == null) {
      throw failure("weights " + file + ": no tensor '" + name + "' (the spec needs f32"
          + dims(shape) + ")" + suggestion(name));
    }
    if (!Arrays.equals(e.shape, shape)) {
      throw failure("weights " + file + ": tensor '" + name + "' is " + dims(e.shape)
          + " but the spec needs " + dims(shape));
    }
    return read(name, e);
  }

  /** Reads a tensor with whatever shape the file gives it, converted to f32. */
  public float[] get(String name) {
    return read(name, entry(name));
  }

  /** Tensor names in header order. */
  @Override public Set<String> names() { return entries.keySet(); }

  /** The stored shape of tensor {@code name}. */
  public int[] shapeOf(String name) { return entry(name).shape.clone(); }

  /** The stored element type of tensor {@code name}: "F32", "F16" or "BF16". */
  public String dtypeOf(String name) { return entry(name).dtype; }

  /** The header's {@code __metadata__} strings, sorted by key; empty if there are none. */
  public Map<String, String> metadata() { return metadata; }

  /** The file path. */
  @Override public String origin() { return file; }

  @Override public void close() {
    closed = true;
    try {
      channel.close();
    } catch (IOException e) {
      throw failure("weights " + file + ": cannot close: " + AtomicFiles.describe(e), e);
    }
  }

  private Entry entry(String name) {
    Entry e = entries.get(name);
    if (e == null) throw failure("weights " + file + ": no tensor '" + name + "'" + suggestion(name));
    return e;
  }

  private float[] read(String name, Entry e) {
    if (closed) throw failure("weights " + file + ": already closed");
    long count = (e.end - e.begin) / e.elementSize;
    if (count > Integer.MAX_VALUE - 8) {
      throw failure("weights " + file + ": tensor '" + name + "' has " + count
          + " elements, more than a Java array holds");
    }
    float[] out = new float[(int) count];
    try {
      int done = 0;
      long chunkElements = MAP_CHUNK / e.elementSize;
      while (done < count) {
        int n = (int) Math.min(chunkElements, count - done);
        ByteBuffer buf = channel.map(FileChannel.MapMode.READ_ONLY,
            dataStart + e.begin + (long) done * e.elementSize, (long) n * e.elementSize)
            .order(ByteOrder.LITTLE_ENDIAN);
        convert(e.dtype, buf, out, done, n);
        done += n;
      }
    } catch (IOException ex) {
      throw failure("weights " + file + ": cannot read tensor '" + name + "': "
          + AtomicFiles.describe(ex), ex);
    }
    return out;
  }

  private static void convert(String dtype, ByteBuffer buf, float[] out, int off, int n) {
    if (dtype.equals("F32")) {
      FloatBuffer fb = buf.asFloatBuffer();
      fb.get(out, off, n);
      return;
    }
    ShortBuffer sb = buf.asShortBuffer();
    short[] tmp = new short[Math.min(n, 1 << 16)];
    boolean half = dtype.equals("F16");
    for (int done = 0; done < n; ) {
      int len = Math.min(tmp.length, n - done);
      sb.get(tmp, 0, len);
      int base = off + done;
      if (half) {
        for (int i = 0; i < len; i++) out[base + i] = Float.float16ToFloat(tmp[i]);
      } else {
        for (int i = 0; i < len; i++) out[base + i] = Float.intBitsToFloat(tmp[i] << 16);
      }
      done += len;
    }
  }

  /** {@code [2, 3]} */
  static String dims(int[] shape) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < shape.length; i++) sb.append(i == 0 ? "" : ", ").append(shape[i]);
    return sb.append(']').toString();
  }

  /** "; did you mean 'x'?" when a stored name is close to {@code name}, else "". */
  private String suggestion(String name) {
    String best = Names.closest(name, entries.keySet());
    return best == null ? "" : "; did you mean '" + best + "'?";
  }
}
