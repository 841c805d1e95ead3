package heed.examples.minilm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.compiler.HeedCompiler;
import dev.heed.compiler.onnx.WeightFiles;
import dev.heed.dsl.diag.SourceFile;
import dev.heed.runtime.HeedModelFactory.ParamSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * examples/minilm/minilm.heed is generic BERT: other BERT checkpoints differ only in its
 * {@code const} lines. Copies with other constants compile to the parameter list that
 * Hugging Face's BertModel has for them.
 */
class MiniLmSpecTest {
  static final Path SPEC = Path.of(System.getProperty("heed.repoRoot", "..")).resolve("examples/minilm/minilm.heed");

  /** The spec with the given {@code const} values replaced; fails if a constant is not declared. */
  static String withConstants(String spec, Map<String, String> values) {
    String out = spec;
    for (var e : values.entrySet()) {
      Matcher m = Pattern.compile("(?m)^const " + e.getKey() + "(\\s*)= [^;]+;").matcher(out);
      assertTrue(m.find(), "no const " + e.getKey() + " in " + SPEC);
      out = m.replaceFirst("const " + e.getKey() + "$1= " + e.getValue() + ";");
    }
    return out;
  }

  static List<ParamSpec> parameters(String name, String text) {
    HeedCompiler.Result r = HeedCompiler.compile(new SourceFile(name, text), HeedCompiler.Options.defaults(), s -> { });
    return WeightFiles.parameters(r.ir());
  }

  /** BertModel's parameters (without the pooler), as Hugging Face names and shapes them. */
  static Map<String, List<Integer>> bert(int vocab, int maxLen, int types, int hidden, int ff, int layers) {
    Map<String, List<Integer>> m = new LinkedHashMap<>();
    m.put("embeddings.word_embeddings.weight", List.of(vocab, hidden));
    m.put("embeddings.position_embeddings.weight", List.of(maxLen, hidden));
    m.put("embeddings.token_type_embeddings.weight", List.of(types, hidden));
    m.put("embeddings.LayerNorm.weight", List.of(hidden));
    m.put("embeddings.LayerNorm.bias", List.of(hidden));
    for (int i = 0; i < layers; i++) {
      String p = "encoder.layer." + i + ".";
      for (String proj : List.of("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense")) {
        m.put(p + proj + ".weight", List.of(hidden, hidden));
        m.put(p + proj + ".bias", List.of(hidden));
      }
      m.put(p + "attention.output.LayerNorm.weight", List.of(hidden));
      m.put(p + "attention.output.LayerNorm.bias", List.of(hidden));
      m.put(p + "intermediate.dense.weight", List.of(ff, hidden));
      m.put(p + "intermediate.dense.bias", List.of(ff));
      m.put(p + "output.dense.weight", List.of(hidden, ff));
      m.put(p + "output.dense.bias", List.of(hidden));
      m.put(p + "output.LayerNorm.weight", List.of(hidden));
      m.put(p + "output.LayerNorm.bias", List.of(hidden));
    }
    return m;
  }

  static Map<String, List<Integer>> asMap(List<ParamSpec> ps) {
    Map<String, List<Integer>> m = new LinkedHashMap<>();
    for (ParamSpec p : ps) {
      List<Integer> shape = new ArrayList<>();
      for (int d : p.shape()) shape.add(d);
      m.put(p.name(), shape);
    }
    return m;
  }

  @Test
  void miniLmHasBertsParameters() throws IOException {
    List<ParamSpec> ps = parameters(SPEC.toString(), Files.readString(SPEC));
    assertEquals(bert(30522, 512, 2, 384, 1536, 6), asMap(ps));
    // and the checked-in model was compiled from this spec
    assertEquals(asMap(ps), asMap(MiniLM.PARAMETERS));
  }

  @Test
  void bgeSmallIsTheSameSpecWithTwelveLayers() throws IOException {
    String spec = Files.readString(SPEC);
    String bge = withConstants(spec, Map.of("n_layers", "12"));
    assertNotEquals(spec, bge);
    List<ParamSpec> ps = parameters("bge-small-en-v1.5.heed", bge);
    assertEquals(5 + 12 * 16, ps.size());
    assertEquals(bert(30522, 512, 2, 384, 1536, 12), asMap(ps));
  }

  @Test
  void otherSizesOnlyNeedOtherConstants() throws IOException {
    // BERT-base's sizes: hidden 768, 12 heads of 64, FFN 3072, 12 layers.
    String base = withConstants(Files.readString(SPEC),
        Map.of("hidden", "768", "heads", "12", "d_ff", "3072", "n_layers", "12"));
    List<ParamSpec> ps = parameters("bert-base.heed", base);
    assertEquals(bert(30522, 512, 2, 768, 3072, 12), asMap(ps));
    ParamSpec ff = ps.stream().filter(p -> p.name().equals("encoder.layer.11.intermediate.dense.weight")).findFirst().orElseThrow();
    assertArrayEquals(new int[] {3072, 768}, ff.shape());
  }
}
