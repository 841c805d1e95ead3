package dev.heed.runtime.io;

import dev.heed.runtime.DType;
import dev.heed.runtime.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes numpy {@code .npy} files (format versions 1.0, 2.0 and 3.0).
 *
 * <p>Reading accepts little-endian, C-order arrays of {@code <f4}, {@code <f8} and
 * {@code <f2} (read as f32) and {@code <i8}, {@code <i4}, {@code |i1}, {@code |u1} and
 * {@code |b1} (read as i64). Writing produces exactly the bytes {@code numpy.save} writes for
 * the same array: {@code <f4} for f32, {@code <i8} for i64, header version 1.0 padded to a
 * multiple of 64 bytes. Writes are atomic. Every failure is an {@link NpyException} whose
 * message is one line naming the file.
 */
public final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final int MAX_HEADER_BYTES = 1 << 20;
  /** The deepest nesting of dicts, tuples and lists a header may have (numpy writes 2). */
  static final int MAX_HEADER_NESTING = 16;
  private static final int ALIGN = 64;
  /** numpy leaves room for the first dimension to grow to this many digits. */
  private static final int GROWTH_AXIS_MAX_DIGITS = 21;
  private static final int CHUNK_BYTES = 1 << 20;

  /** A stored element type: its descr, byte size, and the tensor type it is read as. */
  private enum Stored {
    F4("<f4", 4, DType.F32), F8("<f8", 8, DType.F32), F2("<f2", 2, DType.F32),
    I8("<i8", 8, DType.I64), I4("<i4", 4, DType.I64), I1("|i1", 1, DType.I64),
    U1("|u1", 1, DType.I64), B1("|b1", 1, DType.I64);

    final String descr;
    final int size;
    final DType dtype;

    Stored(String descr, int size, DType dtype) {
      this.descr = descr;
      this.size = size;
      this.dtype = dtype;
    }
  }

  private Npy() {}

  /** Reads {@code file} as a tensor. */
  public static Tensor read(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return read(file, ch);
    } catch (IOException e) {
      throw new NpyException("npy " + file + ": cannot read: " + AtomicFiles.describe(e), e);
    }
  }

  private static Tensor read(Path file, FileChannel ch) throws IOException {
    long size = ch.size();
    ByteBuffer prefix = ByteBuffer.allocate((int) Math.min(size, 12)).order(ByteOrder.LITTLE_ENDIAN);
    readFully(ch, prefix, 0);
    if (size == 0) throw bad(file, "the file is empty");
    for (int i = 0; i < MAGIC.length; i++) {
      if (i >= prefix.limit()) throw bad(file, "truncated: the file is only " + size + " bytes");
      if (prefix.get(i) != MAGIC[i]) throw bad(file, "not a .npy file (bad magic bytes)");
    }
    if (size < 10) throw bad(file, "truncated: the file ends inside the format version and header length");
    int major = prefix.get(6) & 0xff;
    int minor = prefix.get(7) & 0xff;
    if (major < 1 || major > 3 || minor != 0) {
      throw bad(file, "unsupported .npy format version " + major + "." + minor + " (expected 1.0, 2.0 or 3.0)");
    }
    int prefixLength = major == 1 ? 10 : 12;
    if (size < prefixLength) throw bad(file, "truncated: the file ends inside the header length");
    long headerLength = major == 1 ? prefix.getShort(8) & 0xffff : prefix.getInt(8) & 0xffffffffL;
    if (headerLength > MAX_HEADER_BYTES) {
      throw bad(file, "header length " + headerLength + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
    }
    if (headerLength > size - prefixLength) {
      throw bad(file, "truncated: the header declares " + headerLength + " bytes but only "
          + (size - prefixLength) + " follow");
    }
    ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
    readFully(ch, headerBytes, prefixLength);
    String header = new String(headerBytes.array(),
        major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    Map<String, Object> dict = parseHeader(file, header);

    Object descr = dict.get("descr");
    Stored stored = null;
    for (Stored s : Stored.values()) if (s.descr.equals(descr)) stored = s;
    if (stored == null) {
      String shown = descr instanceof String s ? "'" + s + "'" : String.valueOf(descr);
      if (descr instanceof String s && s.startsWith(">")) {
        throw bad(file, "big-endian data (" + shown + ") is not supported; save it little-endian");
      }
      throw bad(file, "unsupported descr " + shown + " (supported: <f4, <f8, <f2, <i8, <i4, |i1, |u1, |b1)");
    }
    if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
      throw bad(file, "fortran_order is " + dict.get("fortran_order") + ", not True or False");
    }
    if (fortran) throw bad(file, "fortran_order is True; save the array in C order (np.ascontiguousarray)");
    if (!(dict.get("shape") instanceof List<?> dims)) {
      throw bad(file, "shape is " + dict.get("shape") + ", not a tuple");
    }
    int[] shape = new int[dims.size()];
    long count = 1;
    for (int i = 0; i < shape.length; i++) {
      if (!(dims.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
        throw bad(file, "shape " + pyTuple(dims) + " has an invalid dimension " + dims.get(i));
      }
      shape[i] = (int) (long) d;
      count = d != 0 && count > Long.MAX_VALUE / 8 / d ? Long.MAX_VALUE / 8 : count * d;
    }
    long dataStart = prefixLength + headerLength;
    long expected = count * stored.size;
    long actual = size - dataStart;
    if (actual < expected) {
      throw bad(file, "truncated: shape " + pyTuple(dims) + " of " + stored.descr + " needs " + expected
          + " bytes of data but only " + actual + " follow the header");
    }
    if (actual > expected) {
      throw bad(file, "shape " + pyTuple(dims) + " of " + stored.descr + " needs " + expected
          + " bytes of data but the file holds " + actual);
    }
    if (count > Integer.MAX_VALUE - 8) {
      throw bad(file, "shape " + pyTuple(dims) + " has " + count + " elements, more than a Java array holds");
    }
    int n = (int) count;
    float[] floats = stored.dtype == DType.F32 ? new float[n] : null;
    long[] longs = stored.dtype == DType.I64 ? new long[n] : null;
    int perChunk = CHUNK_BYTES / stored.size;
    ByteBuffer buf = ByteBuffer.allocate(perChunk * stored.size).order(ByteOrder.LITTLE_ENDIAN);
    long position = dataStart;
    for (int done = 0; done < n; ) {
      int len = Math.min(perChunk, n - done);
      buf.clear().limit(len * stored.size);
      readFully(ch, buf, position);
      position += (long) len * stored.size;
      buf.flip();
      convert(stored, buf, floats, longs, done, len);
      done += len;
    }
    return floats != null ? Tensor.ofFloats(floats, shape) : Tensor.ofLongs(longs, shape);
  }

  private static void convert(Stored s, ByteBuffer buf, float[] floats, long[] longs, int off, int len) {
    switch (s) {
      case F4 -> buf.asFloatBuffer().get(floats, off, len);
      case F8 -> { for (int i = 0; i < len; i++) floats[off + i] = (float) buf.getDouble(i * 8); }
      case F2 -> { for (int i = 0; i < len; i++) floats[off + i] = Float.float16ToFloat(buf.getShort(i * 2)); }
      case I8 -> buf.asLongBuffer().get(longs, off, len);
      case I4 -> { for (int i = 0; i < len; i++) longs[off + i] = buf.getInt(i * 4); }
      case I1, B1 -> { for (int i = 0; i < len; i++) longs[off + i] = buf.get(i); }
      case U1 -> { for (int i = 0; i < len; i++) longs[off + i] = buf.get(i) & 0xff; }
    }
  }

  /**
   * Writes {@code tensor} to {@code file} as numpy would save it: {@code <f4} for f32,
   * {@code <i8} for i64. Replaces an existing file atomically.
   */
  public static void write(Path file, Tensor tensor) {
    byte[] header = header(tensor.dtype().npyDescr(), tensor.shape());
    int itemSize = tensor.dtype() == DType.F32 ? 4 : 8;
    try {
      AtomicFiles.write(file, ch -> {
        AtomicFiles.writeFully(ch, ByteBuffer.wrap(header));
        int perChunk = CHUNK_BYTES / itemSize;
        ByteBuffer buf = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int n = tensor.size();
        for (int done = 0; done < n; done += perChunk) {
          int len = Math.min(perChunk, n - done);
          buf.clear();
          if (tensor.dtype() == DType.F32) {
            buf.asFloatBuffer().put(tensor.floats(), done, len);
          } else {
            buf.asLongBuffer().put(tensor.longs(), done, len);
          }
          buf.limit(len * itemSize);
          AtomicFiles.writeFully(ch, buf);
        }
      });
    } catch (IOException e) {
      throw new NpyException("npy " + file + ": cannot write: " + AtomicFiles.describe(e), e);
    }
  }

  /** The magic, version, length and padded header dict, as numpy.save lays them out. */
  static byte[] header(String descr, int[] shape) {
    List<Long> dims = new ArrayList<>();
    for (int d : shape) dims.add((long) d);
    StringBuilder dict = new StringBuilder()
        .append("{'descr': '").append(descr).append("', 'fortran_order': False, 'shape': ")
        .append(pyTuple(dims)).append(", }");
    if (shape.length > 0) dict.append(" ".repeat(GROWTH_AXIS_MAX_DIGITS - String.valueOf(shape[0]).length()));
    int hlen = dict.length() + 1; // with the final newline
    boolean v1 = true;
    int padding = ALIGN - (MAGIC.length + 2 + 2 + hlen) % ALIGN;
    if (hlen + padding > 0xffff) {
      v1 = false;
      padding = ALIGN - (MAGIC.length + 2 + 4 + hlen) % ALIGN;
    }
    dict.append(" ".repeat(padding)).append('\n');
    byte[] text = dict.toString().getBytes(StandardCharsets.ISO_8859_1);
    ByteBuffer out = ByteBuffer.allocate(MAGIC.length + 2 + (v1 ? 2 : 4) + text.length)
        .order(ByteOrder.LITTLE_ENDIAN);
    out.put(MAGIC).put((byte) (v1 ? 1 : 2)).put((byte) 0);
    if (v1) out.putShort((short) text.length); else out.putInt(text.length);
    out.put(text);
    return out.array();
  }

  /** Python's repr of a tuple of ints: {@code ()}, {@code (3,)}, {@code (2, 3)}. */
  private static String pyTuple(List<?> dims) {
    if (dims.size() == 1) return "(" + dims.get(0) + ",)";
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < dims.size(); i++) sb.append(i == 0 ? "" : ", ").append(dims.get(i));
    return sb.append(')').toString();
  }

  private static Map<String, Object> parseHeader(Path file, String header) {
    HeaderParser p = new HeaderParser(file, header);
    Object value = p.value();
    p.skipSpace();
    if (p.pos != header.length()) throw p.error("unexpected text after the dict");
    if (!(value instanceof Map<?, ?> map)) throw bad(file, "header is not a Python dict literal");
    Map<String, Object> dict = new LinkedHashMap<>();
    for (var e : map.entrySet()) dict.put(String.valueOf(e.getKey()), e.getValue());
    for (String key : List.of("descr", "fortran_order", "shape")) {
      if (!dict.containsKey(key)) throw bad(file, "header has no '" + key + "' key");
    }
    if (dict.size() != 3) {
      throw bad(file, "header has unexpected keys " + dict.keySet() + " (expected descr, fortran_order, shape)");
    }
    return dict;
  }

  /** Parses the Python literals numpy headers use: dicts, tuples, lists, strings, ints, bools. */
  private static final class HeaderParser {
    final Path file;
    final String s;
    int pos;
    int depth;

    HeaderParser(Path file, String s) {
      this.file = file;
      this.s = s;
    }

    NpyException error(String what) {
      return bad(file, "malformed header at character " + pos + ": " + what);
    }

    void skipSpace() {
      while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) pos++;
    }

    boolean eat(char c) {
      skipSpace();
      if (pos < s.length() && s.charAt(pos) == c) {
        pos++;
        return true;
      }
      return false;
    }

    Object value() {
      skipSpace();
      if (pos >= s.length()) throw error("unexpected end");
      char c = s.charAt(pos);
      if (c == '{' || c == '(' || c == '[') {
        if (depth == MAX_HEADER_NESTING) throw error("nested deeper than " + MAX_HEADER_NESTING + " levels");
        depth++;
        try {
          return container(c);
        } finally {
          depth--;
        }
      }
      return scalar(c);
    }

    private Object container(char c) {
      if (c == '{') {
        pos++;
        Map<Object, Object> map = new LinkedHashMap<>();
        while (!eat('}')) {
          Object key = value();
          if (!eat(':')) throw error("expected ':'");
          if (map.put(key, value()) != null) throw error("duplicate key " + key);
          if (!eat(',') && !peek('}')) throw error("expected ',' or '}'");
        }
        return map;
      }
      if (c == '(' || c == '[') {
        char close = c == '(' ? ')' : ']';
        pos++;
        List<Object> items = new ArrayList<>();
        while (!eat(close)) {
          items.add(value());
          if (!eat(',') && !peek(close)) throw error("expected ',' or '" + close + "'");
        }
        return items;
      }
      throw error("unexpected '" + c + "'");
    }

    private Object scalar(char c) {
      if (c == '\'' || c == '"') {
        int end = s.indexOf(c, pos + 1);
        if (end < 0) throw error("unterminated string");
        String str = s.substring(pos + 1, end);
        pos = end + 1;
        return str;
      }
      if (c == '-' || Character.isDigit(c)) {
        int start = pos++;
        while (pos < s.length() && Character.isDigit(s.charAt(pos))) pos++;
        String digits = s.substring(start, pos);
        if (pos < s.length() && (s.charAt(pos) == 'L' || s.charAt(pos) == 'l')) pos++; // Python 2 long
        try {
          return Long.parseLong(digits);
        } catch (NumberFormatException e) {
          throw error("bad integer " + digits);
        }
      }
      int start = pos;
      while (pos < s.length() && Character.isLetter(s.charAt(pos))) pos++;
      String word = s.substring(start, pos);
      return switch (word) {
        case "True" -> Boolean.TRUE;
        case "False" -> Boolean.FALSE;
        case "None" -> "None";
        default -> {
          pos = start;
          throw error("unexpected '" + (word.isEmpty() ? String.valueOf(c) : word) + "'");
        }
      };
    }

    boolean peek(char c) {
      skipSpace();
      return pos < s.length() && s.charAt(pos) == c;
    }
  }

  private static NpyException bad(Path file, String what) {
    return new NpyException(oneLine("npy " + file + ": " + what));
  }

  /** {@code message} with line breaks and other control characters shown as spaces. */
  static String oneLine(String message) {
    StringBuilder sb = new StringBuilder(message.length());
    message.codePoints().forEach(cp -> {
      boolean lineBreak = Character.isISOControl(cp) || cp == 0x2028 || cp == 0x2029 || cp == 0x85;
      sb.appendCodePoint(lineBreak ? ' ' : cp);
    });
    return sb.toString();
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
    while (buf.hasRemaining()) {
      int n = ch.read(buf, position);
      if (n < 0) throw new IOException("unexpected end of file");
      position += n;
    }
  }
}
