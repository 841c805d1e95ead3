package dev.heed.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SimdTest {
  private static String decide(boolean present, String property, boolean expected) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertEquals(expected, Simd.decide(present, property, new PrintStream(err, true, StandardCharsets.UTF_8)));
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test void vectorWhenTheModuleIsPresent() {
    assertEquals("", decide(true, null, true));
    assertEquals("", decide(true, "vector", true));
  }

  @Test void scalarWithANoticeWhenTheModuleIsMissing() {
    assertEquals(Simd.NOTICE + System.lineSeparator(), decide(false, null, false));
  }

  @Test void scalarOnRequestWithoutNotice() {
    assertEquals("", decide(true, "scalar", false));
    assertEquals("", decide(false, "scalar", false));
  }

  @Test void rejectsUnknownModes() {
    assertThrows(IllegalArgumentException.class, () -> decide(true, "avx", false));
  }

  /** A JVM without the module runs Gemm on the scalar path: no Vector API class is touched. */
  @Test void runsWithoutTheModule() throws Exception {
    String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    Process p = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"), ScalarMain.class.getName()))
        .redirectErrorStream(false).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), err);
    assertEquals("scalar 20.0 17\n", out.replace("\r", ""));
    assertEquals(Simd.NOTICE, err.strip(), "the notice, once");
    assertFalse(out.contains("Vector"));
  }

  /** Run by {@link #runsWithoutTheModule} in a JVM started without {@code --add-modules}. */
  static final class ScalarMain {
    public static void main(String[] args) {
      float[] x = {1, 2, 3, 4, 1, 2, 3, 4};
      float[] w = {1, 1, 1, 1, 2, 2, 2, 2};
      float[] y = new float[4];
      Gemm.linear(x, PackedLinear.of(w, 2, 4), null, y, 2);
      Gemm.linear(x, w, null, y, 2, 4, 2);
      float[] c = new float[4];
      Gemm.matmul(x, 0, w, 0, c, 0, 2, 4, 2);
      // y = x·wᵀ = [[10, 20], [10, 20]]; c = x·w with w read as [4, 2] = [[17, 17], ...]
      System.out.println(Simd.describe() + " " + y[3] + " " + Math.round(c[0]));
    }
  }
}
