package dev.heed.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.runtime.DType;
import dev.heed.runtime.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
  @TempDir Path dir;

  /**
   * The bytes numpy 1.x/2.x {@code np.save} writes: magic, version 1.0, u16 header length, the
   * dict with sorted keys, then spaces so the whole prefix is a multiple of 64 bytes, then '\n'.
   * Written out independently of {@link Npy} from numpy's format.py.
   */
  private static byte[] numpyStyle(String dict, byte[] data) {
    int total = 10 + dict.length() + 1;
    int pad = 64 - total % 64;
    String header = dict + " ".repeat(pad) + "\n";
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
    out.writeBytes(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) header.length()).array());
    out.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(data);
    return out.toByteArray();
  }

  private static byte[] le(int bytesPer, long... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * bytesPer).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : values) {
      switch (bytesPer) {
        case 4 -> b.putInt((int) v);
        case 8 -> b.putLong(v);
        default -> b.put((byte) v);
      }
    }
    return b.array();
  }

  private static byte[] f4(float... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) b.putFloat(v);
    return b.array();
  }

  private Path write(String name, byte[] bytes) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, bytes);
    return p;
  }

  private String fails(Path p) {
    NpyException e = assertThrows(NpyException.class, () -> Npy.read(p));
    assertTrue(e.getMessage().startsWith("npy " + p + ": "), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    return e.getMessage();
  }

  @Test void readsHeaderCraftedAsNumpyWritesIt() throws IOException {
    // np.save(f, np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float32)) with numpy ≥ 1.21 also
    // leaves 21 - len("2") spaces of room for the first axis to grow.
    String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" + " ".repeat(20);
    byte[] bytes = numpyStyle(dict, f4(1, 2, 3, 4, 5, 6));
    assertEquals(0, (bytes.length - 24) % 64, "data starts 64-byte aligned");
    Tensor t = Npy.read(write("a.npy", bytes));
    assertEquals(DType.F32, t.dtype());
    assertArrayEquals(new int[] {2, 3}, t.shape());
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, t.floats());
    // The same array saved by numpy: Npy.write must give identical bytes.
    Path out = dir.resolve("b.npy");
    Npy.write(out, t);
    assertArrayEquals(bytes, Files.readAllBytes(out));
  }

  @Test void readsOlderNumpyHeaderWithoutGrowthRoomAndPythonTwoLongs() throws IOException {
    String dict = "{'descr': '<i8', 'fortran_order': False, 'shape': (3L,), }";
    Tensor t = Npy.read(write("old.npy", numpyStyle(dict, le(8, 7, -1, Long.MAX_VALUE))));
    assertEquals(DType.I64, t.dtype());
    assertArrayEquals(new int[] {3}, t.shape());
    assertArrayEquals(new long[] {7, -1, Long.MAX_VALUE}, t.longs());
  }

  @Test void readsVersion2And3Headers() throws IOException {
    for (int major : new int[] {2, 3}) {
      String dict = "{\"descr\": \"<f4\", \"shape\": (2,), \"fortran_order\": False}\n";
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
      out.writeBytes(le(4, dict.length()));
      out.writeBytes(dict.getBytes(StandardCharsets.UTF_8));
      out.writeBytes(f4(0.5f, -8f));
      Tensor t = Npy.read(write("v" + major + ".npy", out.toByteArray()));
      assertArrayEquals(new float[] {0.5f, -8f}, t.floats());
    }
  }

  @Test void convertsF8AndI4AndBool() throws IOException {
    ByteBuffer d = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.1).putDouble(-3e40);
    Tensor f = Npy.read(write("f8.npy", numpyStyle("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
        d.array())));
    assertArrayEquals(new float[] {0.1f, Float.NEGATIVE_INFINITY}, f.floats());
    Tensor i = Npy.read(write("i4.npy", numpyStyle("{'descr': '<i4', 'fortran_order': False, 'shape': (1, 2), }",
        le(4, -5, 1 << 30))));
    assertEquals(DType.I64, i.dtype());
    assertArrayEquals(new long[] {-5, 1 << 30}, i.longs());
    Tensor b = Npy.read(write("b1.npy", numpyStyle("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }",
        new byte[] {1, 0, 1})));
    assertArrayEquals(new long[] {1, 0, 1}, b.longs());
  }

  @Test void roundTripsF32I64ScalarAndVectors() throws IOException {
    Tensor[] tensors = {
        Tensor.ofFloats(new float[] {1.5f, -0f, Float.NaN, Float.MAX_VALUE, 1e-45f, -7f}, 3, 1, 2),
        Tensor.ofLongs(new long[] {Long.MIN_VALUE, 0, 42}, 3),
        Tensor.ofFloats(new float[] {3.25f}),
        Tensor.ofLongs(new long[] {9}),
        Tensor.ofFloats(new float[0], 0),
        Tensor.ofFloats(new float[0], 2, 0, 3),
    };
    for (int i = 0; i < tensors.length; i++) {
      Path p = dir.resolve("t" + i + ".npy");
      Npy.write(p, tensors[i]);
      assertEquals(0, Npy.header(tensors[i].dtype().npyDescr(), tensors[i].shape()).length % 64);
      Tensor back = Npy.read(p);
      assertEquals(tensors[i].dtype(), back.dtype());
      assertArrayEquals(tensors[i].shape(), back.shape());
      if (back.dtype() == DType.F32) {
        assertArrayEquals(tensors[i].floats(), back.floats());
      } else {
        assertArrayEquals(tensors[i].longs(), back.longs());
      }
    }
  }

  @Test void writesScalarAndVectorShapesAsPythonTuples() {
    String scalar = new String(Npy.header("<f4", new int[] {}), StandardCharsets.ISO_8859_1);
    assertTrue(scalar.contains("'shape': (), }"), scalar);
    String vector = new String(Npy.header("<i8", new int[] {5}), StandardCharsets.ISO_8859_1);
    assertTrue(vector.contains("{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }"), vector);
    assertTrue(vector.endsWith(" \n"), vector);
  }

  @Test void roundTripsLargeTensorAcrossChunks() throws IOException {
    float[] data = new float[700_001];
    for (int i = 0; i < data.length; i++) data[i] = i * 0.5f - 3;
    Path p = dir.resolve("big.npy");
    Npy.write(p, Tensor.ofFloats(data, 700_001));
    assertArrayEquals(data, Npy.read(p).floats());
  }

  @Test void rejectsFortranOrder() throws IOException {
    Path p = write("f.npy", numpyStyle("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", f4(1, 2, 3, 4)));
    assertTrue(fails(p).contains("fortran_order is True"));
  }

  @Test void rejectsBigEndian() throws IOException {
    Path p = write("be.npy", numpyStyle("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", f4(1)));
    assertTrue(fails(p).contains("big-endian data ('>f4') is not supported"));
  }

  @Test void rejectsUnsupportedDescr() throws IOException {
    Path p = write("c.npy", numpyStyle("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", new byte[8]));
    assertTrue(fails(p).contains("unsupported descr '<c8'"));
    Path s = write("s.npy", numpyStyle("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
        new byte[4]));
    assertTrue(fails(s).contains("unsupported descr"));
  }

  @Test void rejectsDataSizeMismatch() throws IOException {
    String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    String shortData = fails(write("short.npy", numpyStyle(dict, f4(1, 2, 3, 4, 5))));
    assertTrue(shortData.contains("truncated: shape (2, 3) of <f4 needs 24 bytes of data but only 20 follow"),
        shortData);
    String longData = fails(write("long.npy", numpyStyle(dict, f4(1, 2, 3, 4, 5, 6, 7))));
    assertTrue(longData.contains("needs 24 bytes of data but the file holds 28"), longData);
  }

  @Test void rejectsTruncatedHeader() throws IOException {
    byte[] full = numpyStyle("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", f4(1));
    assertTrue(fails(write("cut.npy", Arrays.copyOf(full, 40))).contains("truncated: the header declares"));
    assertTrue(fails(write("cut2.npy", Arrays.copyOf(full, 8))).contains("truncated"));
    assertTrue(fails(write("cut3.npy", Arrays.copyOf(full, 3))).contains("truncated"));
    assertTrue(fails(write("empty.npy", new byte[0])).contains("empty"));
  }

  @Test void rejectsBadMagicVersionAndHeaderSyntax() throws IOException {
    byte[] full = numpyStyle("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", f4(1));
    byte[] magic = full.clone();
    magic[1] = 'X';
    assertTrue(fails(write("magic.npy", magic)).contains("not a .npy file"));
    byte[] version = full.clone();
    version[6] = 9;
    assertTrue(fails(write("ver.npy", version)).contains("unsupported .npy format version 9.0"));
    Path syntax = write("syn.npy", numpyStyle("{'descr': '<f4' 'fortran_order': False, 'shape': (1,), }", f4(1)));
    assertTrue(fails(syntax).contains("malformed header"));
    Path noShape = write("nos.npy", numpyStyle("{'descr': '<f4', 'fortran_order': False, }", f4(1)));
    assertTrue(fails(noShape).contains("header has no 'shape' key"));
    Path negative = write("neg.npy", numpyStyle("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", f4(1)));
    assertTrue(fails(negative).contains("invalid dimension -1"));
  }

  @Test void reportsMissingFile() {
    assertTrue(fails(dir.resolve("none.npy")).contains("no such file"));
  }
}
