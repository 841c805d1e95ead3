package dev.heed.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.runtime.Tensor;
import dev.heed.runtime.WeightsException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
  @TempDir Path dir;

  /** Writes the 8-byte length, the header text and the data, exactly as given. */
  private Path file(String name, String header, byte[] data) throws IOException {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
    out.writeBytes(h);
    out.writeBytes(data);
    Path p = dir.resolve(name);
    Files.write(p, out.toByteArray());
    return p;
  }

  private static byte[] f32(float... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) b.putFloat(v);
    return b.array();
  }

  private static byte[] u16(int... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : values) b.putShort((short) v);
    return b.array();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) out.writeBytes(p);
    return out.toByteArray();
  }

  private WeightsException openFails(Path p) {
    WeightsException e = assertThrows(WeightsException.class, () -> Safetensors.open(p).close());
    assertOneLineNaming(e, p);
    return e;
  }

  private static void assertOneLineNaming(Exception e, Path p) {
    assertTrue(e.getMessage().startsWith("weights " + p + ": "), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  @Test void readsF32F16AndBf16() throws IOException {
    String header = """
        {"__metadata__": {"format": "pt"},
         "a.w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
         "half": {"dtype": "F16", "shape": [4], "data_offsets": [24, 32]},
         "brain": {"dtype": "BF16", "shape": [3], "data_offsets": [32, 38]}}""" + "   ";
    // F16: 1.0, -2.0, 65504 (largest half), 2^-24 (smallest subnormal half)
    // BF16: 1.0, -3.0, 3.140625
    byte[] data = concat(f32(1f, -2.5f, 3.25f, 0f, 1e-7f, -1e30f),
        u16(0x3C00, 0xC000, 0x7BFF, 0x0001), u16(0x3F80, 0xC040, 0x4049));
    Path p = file("m.safetensors", header, data);
    try (Safetensors w = Safetensors.open(p)) {
      assertArrayEquals(new float[] {1f, -2.5f, 3.25f, 0f, 1e-7f, -1e30f}, w.get("a.w", new int[] {2, 3}, "uniform"));
      assertArrayEquals(new float[] {1f, -2f, 65504f, (float) Math.pow(2, -24)}, w.get("half", new int[] {4}, "zeros"));
      assertArrayEquals(new float[] {1f, -3f, 3.140625f}, w.get("brain", new int[] {3}, "zeros"));
      assertEquals(List.of("a.w", "half", "brain"), List.copyOf(w.names()));
      assertArrayEquals(new int[] {2, 3}, w.shapeOf("a.w"));
      assertEquals("F16", w.dtypeOf("half"));
      assertEquals(Map.of("format", "pt"), w.metadata());
      assertEquals(p.toString(), w.origin());
    }
  }

  @Test void readsEmptyAndScalarTensors() throws IOException {
    String header = "{\"e\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[0,0]},"
        + "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}";
    Path p = file("s.safetensors", header, f32(7.5f));
    try (Safetensors w = Safetensors.open(p)) {
      assertEquals(0, w.get("e", new int[] {0, 5}, "zeros").length);
      assertArrayEquals(new float[] {7.5f}, w.get("s", new int[] {}, "zeros"));
    }
  }

  @Test void missingTensorNamesSpecTypeAndSuggestsCloseName() throws IOException {
    String header = "{\"encoder.layer0.attn.wq\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
    Path p = file("w.safetensors", header, f32(1f));
    try (Safetensors w = Safetensors.open(p)) {
      WeightsException e = assertThrows(WeightsException.class,
          () -> w.get("encoder.layer0.attn.wk", new int[] {64, 32}, "uniform"));
      assertOneLineNaming(e, p);
      assertTrue(e.getMessage().contains("no tensor 'encoder.layer0.attn.wk' (the spec needs f32[64, 32])"),
          e.getMessage());
      assertTrue(e.getMessage().contains("did you mean 'encoder.layer0.attn.wq'?"), e.getMessage());

      WeightsException prefixed = assertThrows(WeightsException.class,
          () -> w.get("model.encoder.layer0.attn.wq", new int[] {1}, "uniform"));
      assertTrue(prefixed.getMessage().contains("did you mean 'encoder.layer0.attn.wq'?"), prefixed.getMessage());

      WeightsException far = assertThrows(WeightsException.class,
          () -> w.get("decoder.embed", new int[] {3}, "uniform"));
      assertEquals("weights " + p + ": no tensor 'decoder.embed' (the spec needs f32[3])", far.getMessage());
    }
  }

  @Test void wrongShapeNamesBothShapes() throws IOException {
    String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}";
    Path p = file("shape.safetensors", header, new byte[24]);
    try (Safetensors w = Safetensors.open(p)) {
      WeightsException e = assertThrows(WeightsException.class, () -> w.get("w", new int[] {3, 2}, "uniform"));
      assertEquals("weights " + p + ": tensor 'w' is [2, 3] but the spec needs [3, 2]", e.getMessage());
    }
  }

  @Test void rejectsUnsupportedDtype() throws IOException {
    String header = "{\"ok\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        + "\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[4,12]}}";
    WeightsException e = openFails(file("dt.safetensors", header, new byte[12]));
    assertTrue(e.getMessage().contains("tensor 'ids' has dtype I64"), e.getMessage());
  }

  @Test void rejectsNegativeDimension() throws IOException {
    String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1,4],\"data_offsets\":[0,16]}}";
    WeightsException e = openFails(file("neg.safetensors", header, new byte[16]));
    assertTrue(e.getMessage().contains("tensor 'w' has invalid dimension -1"), e.getMessage());
  }

  @Test void rejectsSizeMismatch() throws IOException {
    String header = "{\"w\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,24]}}";
    WeightsException e = openFails(file("size.safetensors", header, new byte[24]));
    assertTrue(e.getMessage().contains("tensor 'w' is F16[2, 3] (12 bytes)"), e.getMessage());
    assertTrue(e.getMessage().contains("span 24 bytes"), e.getMessage());
  }

  @Test void rejectsOffsetsOutsideData() throws IOException {
    String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}";
    WeightsException e = openFails(file("off.safetensors", header, new byte[16]));
    assertTrue(e.getMessage().contains("tensor 'w': data_offsets [8, 24] lie outside the data region of 16 bytes"),
        e.getMessage());
    String reversed = "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}";
    assertTrue(openFails(file("rev.safetensors", reversed, new byte[16])).getMessage().contains("outside"));
  }

  @Test void rejectsMalformedJson() throws IOException {
    WeightsException e = openFails(file("json.safetensors", "{\"w\": {\"dtype\": \"F32\", ", new byte[0]));
    assertTrue(e.getMessage().contains("header is not valid JSON"), e.getMessage());
    WeightsException notObject = openFails(file("arr.safetensors", "[1, 2]", new byte[0]));
    assertTrue(notObject.getMessage().contains("header is not a JSON object"), notObject.getMessage());
    WeightsException missing = openFails(file("nooff.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}",
        new byte[4]));
    assertTrue(missing.getMessage().contains("tensor 'w' has no data_offsets"), missing.getMessage());
  }

  @Test void rejectsHeaderLongerThanFile() throws IOException {
    Path p = dir.resolve("long.safetensors");
    Files.write(p, concat(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array(),
        "{}".getBytes(StandardCharsets.UTF_8)));
    WeightsException e = openFails(p);
    assertTrue(e.getMessage().contains("header length 1000 exceeds the file size (10 bytes)"), e.getMessage());
  }

  @Test void rejectsHugeHeaderLengthBeforeAllocating() throws IOException {
    // A sparse file bigger than the limit whose header claims more than 100 MB: rejected on the
    // length alone. A length of 2^62 would need an impossible allocation if it got that far.
    Path p = dir.resolve("huge.safetensors");
    long claimed = Safetensors.MAX_HEADER_BYTES + 1;
    try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
      raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(claimed).array());
      raf.setLength(claimed + 100);
    }
    WeightsException e = openFails(p);
    assertTrue(e.getMessage().contains("header length " + claimed + " exceeds the 100 MB limit"), e.getMessage());

    Path q = dir.resolve("absurd.safetensors");
    Files.write(q, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 62).array());
    assertTrue(openFails(q).getMessage().contains("exceeds the 100 MB limit"));
    Path r = dir.resolve("negative.safetensors");
    Files.write(r, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1).array());
    assertTrue(openFails(r).getMessage().contains("header length 18446744073709551615 exceeds"));
  }

  @Test void rejectsShortAndMissingFiles() throws IOException {
    Path p = dir.resolve("short.safetensors");
    Files.write(p, new byte[] {1, 2, 3});
    assertTrue(openFails(p).getMessage().contains("too short"));
    Path missing = dir.resolve("absent.safetensors");
    assertTrue(openFails(missing).getMessage().contains("cannot open: no such file"));
  }

  @Test void rejectsDuplicateTensorNames() throws IOException {
    String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
    assertTrue(openFails(file("dup.safetensors", header, new byte[4])).getMessage().contains("appears twice"));
  }

  private static Map<String, Tensor> sample() {
    Map<String, Tensor> m = new LinkedHashMap<>();
    m.put("z.bias", Tensor.ofFloats(new float[] {0.5f, -0.25f}, 2));
    m.put("a.weight", Tensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 3, 2));
    m.put("m.scalar", Tensor.ofFloats(new float[] {Float.MIN_VALUE}));
    m.put("m.empty", Tensor.ofFloats(new float[0], 0, 4));
    return m;
  }

  @Test void writerRoundTrips() throws IOException {
    Path p = dir.resolve("out.safetensors");
    Map<String, Tensor> tensors = sample();
    SafetensorsWriter.write(p, tensors, Map.of("source", "test", "heed", "1"));
    try (Safetensors w = Safetensors.open(p)) {
      assertEquals(List.of("a.weight", "m.empty", "m.scalar", "z.bias"), List.copyOf(w.names()));
      for (var e : tensors.entrySet()) {
        assertArrayEquals(e.getValue().shape(), w.shapeOf(e.getKey()));
        assertArrayEquals(e.getValue().floats(), w.get(e.getKey(), e.getValue().shape(), "zeros"));
        assertEquals("F32", w.dtypeOf(e.getKey()));
      }
      assertEquals(Map.of("source", "test", "heed", "1"), w.metadata());
    }
    long headerLength = ByteBuffer.wrap(Files.readAllBytes(p), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, headerLength % 8, "header padded to 8 bytes");
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(p), files.toList(), "no temporary files left behind");
    }
  }

  @Test void writerIsDeterministicAndReplacesAtomically() throws IOException {
    Path first = dir.resolve("first.safetensors");
    Path second = dir.resolve("second.safetensors");
    Map<String, Tensor> forward = sample();
    Map<String, Tensor> backward = new LinkedHashMap<>();
    List<String> keys = List.copyOf(forward.keySet());
    for (int i = keys.size() - 1; i >= 0; i--) backward.put(keys.get(i), forward.get(keys.get(i)));
    SafetensorsWriter.write(first, forward);
    Files.writeString(second, "old content");
    SafetensorsWriter.write(second, backward);
    assertArrayEquals(Files.readAllBytes(first), Files.readAllBytes(second));
  }

  @Test void writerRejectsI64() {
    Map<String, Tensor> m = Map.of("ids", Tensor.ofLongs(new long[] {1}, 1));
    assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.write(dir.resolve("x.safetensors"), m));
  }

  @Test void writerReportsUnwritableFolder() throws java.io.IOException {
    // A file where the folder should be.
    java.nio.file.Files.writeString(dir.resolve("afile"), "x");
    Path p = dir.resolve("afile/x.safetensors");
    WeightsException e = assertThrows(WeightsException.class, () -> SafetensorsWriter.write(p, sample()));
    assertOneLineNaming(e, p);
  }

  @Test void writerCreatesAMissingFolder() {
    Path p = dir.resolve("no/such/folder/x.safetensors");
    SafetensorsWriter.write(p, sample());
    try (Safetensors st = Safetensors.open(p)) {
      assertEquals(sample().keySet(), st.names());
    }
  }
}
