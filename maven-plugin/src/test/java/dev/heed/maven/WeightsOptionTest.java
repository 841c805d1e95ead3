package dev.heed.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.runtime.Tensor;
import dev.heed.runtime.WeightsException;
import dev.heed.runtime.io.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WeightsOptionTest {
  static final String SPEC = """
      const d = 4;
      model Tiny {
        input x: f32[batch, d];
        param w: [d, d] = "proj.weight";
        output y = linear(x, w);
      }
      """;

  @TempDir Path dir;

  Path spec(String name) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, SPEC);
    return p;
  }

  Path weights(int rows) throws Exception {
    Path p = dir.resolve("w" + rows + ".safetensors");
    SafetensorsWriter.write(p, Map.of("proj.weight", Tensor.ofFloats(new float[rows * 4], rows, 4)));
    return p;
  }

  @Test
  void fittingWeightsAreCheckedAndEmbeddedOnceThenLeftAlone() throws Exception {
    List<String> log = new ArrayList<>();
    Path w = weights(4);
    Path res = dir.resolve("res");
    assertNull(WeightsOption.apply(w, false, List.of(spec("a.heed")), res, log::add));
    assertTrue(log.get(0).contains("fit a.heed"), log.toString());

    Path embedded = WeightsOption.apply(w, true, List.of(spec("a.heed")), res, log::add);
    assertEquals(res.resolve("heed/weights.safetensors"), embedded);
    assertEquals(-1, Files.mismatch(w, embedded));
    FileTime old = FileTime.fromMillis(1_000_000_000_000L);
    Files.setLastModifiedTime(embedded, old);
    WeightsOption.apply(w, true, List.of(spec("a.heed")), res, log::add);
    assertEquals(old, Files.getLastModifiedTime(embedded), "unchanged weights are not rewritten");
  }

  @Test
  void aBuildThatNoLongerEmbedsRemovesTheEmbeddedFile() throws Exception {
    List<String> log = new ArrayList<>();
    Path w = weights(4);
    Path res = dir.resolve("res");
    Path embedded = WeightsOption.apply(w, true, List.of(spec("a.heed")), res, log::add);
    assertTrue(Files.isRegularFile(embedded));
    assertNull(WeightsOption.apply(w, false, List.of(spec("a.heed")), res, log::add));
    assertTrue(Files.notExists(embedded), "weights checked but not embedded: the old file goes");
    assertTrue(log.get(log.size() - 1).contains("removed"), log.toString());

    WeightsOption.apply(w, true, List.of(spec("a.heed")), res, log::add);
    assertTrue(WeightsOption.removeEmbedded(res, log::add), "no weights option at all: the old file goes too");
    assertTrue(Files.notExists(embedded));
    assertEquals(false, WeightsOption.removeEmbedded(res, log::add));
  }

  @Test
  void misShapedWeightsFailNamingTheTensor() throws Exception {
    WeightsException e = assertThrows(WeightsException.class,
        () -> WeightsOption.apply(weights(3), false, List.of(spec("a.heed")), dir.resolve("res"), s -> { }));
    assertTrue(e.getMessage().contains("proj.weight"), e.getMessage());
  }

  @Test
  void embeddingNeedsExactlyOneSpec() throws Exception {
    WeightsException e = assertThrows(WeightsException.class,
        () -> WeightsOption.apply(weights(4), true, List.of(spec("a.heed"), spec("b.heed")), dir.resolve("res"), s -> { }));
    assertTrue(e.getMessage().contains("exactly one spec"), e.getMessage());
    assertTrue(Files.notExists(dir.resolve("res/heed/weights.safetensors")));
  }
}
