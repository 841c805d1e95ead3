package dev.heed.compiler.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.heed.compiler.onnx.proto.GraphProto;
import dev.heed.compiler.onnx.proto.ModelProto;
import dev.heed.compiler.onnx.proto.NodeProto;
import dev.heed.compiler.onnx.proto.TensorProto;
import dev.heed.dsl.diag.Suggest;
import dev.heed.runtime.HeedModelFactory.ParamSpec;
import dev.heed.runtime.Tensor;
import dev.heed.runtime.Weights;
import dev.heed.runtime.WeightsException;
import dev.heed.runtime.io.SafetensorsWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The f32 initializers of an ONNX model, as a {@link Weights} source under checkpoint names.
 *
 * <p>An exporter such as {@code torch.onnx.export} keeps the names of most tensors
 * ({@code embeddings.LayerNorm.weight}) but folds each {@code nn.Linear} weight W into a new,
 * anonymous initializer holding Wᵀ ({@code onnx::MatMul_787}, laid out [in, out]) that feeds a
 * {@code MatMul}. Such a tensor gets its checkpoint name back from the graph:
 * <ol>
 *   <li>when the MatMul's only consumer is an {@code Add} whose other input is an initializer
 *       named {@code P.bias}, the weight is {@code P.weight};
 *   <li>otherwise, when the MatMul node is named like a module path
 *       ({@code /encoder/layer.0/attention/self/query/MatMul}), the weight is
 *       {@code encoder.layer.0.attention.self.query.weight}.
 * </ol>
 * A renamed weight is served transposed to [out, in], PyTorch's (and heed's {@code linear}) layout.
 * Initializers that are not FLOAT ({@code embeddings.position_ids}, INT64) are not weights:
 * they are listed as skipped.
 *
 * <p>{@link #bind} checks a spec's parameter list against these tensors and reports every
 * unbound or mis-shaped parameter and every unused tensor by name. Tensor data is decoded
 * on each {@link #get}: the file stays memory-mapped and no copy of it is kept.
 */
public final class OnnxWeights implements Weights {
  /** ONNX TensorProto.DataType FLOAT. */
  private static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;

  /** A MatMul node named by PyTorch's exporter after its module: {@code /a/b.0/c/MatMul_2}. */
  private static final Pattern MODULE_MATMUL = Pattern.compile("/((?:[^/]+/)*[^/]+)/MatMul(?:_\\d+)?");

  /**
   * One f32 tensor as heed sees it.
   *
   * @param name the checkpoint name heed binds by
   * @param initializer the initializer's name in the ONNX graph (equal to {@code name} unless renamed)
   * @param shape the shape served by {@link #get}: [out, in] for a transposed MatMul weight
   * @param transposed whether the stored [in, out] data is served transposed
   * @param how how the name was found: "named", "bias P.bias" or "node /a/b/MatMul"
   */
  public record Entry(String name, String initializer, int[] shape, boolean transposed, String how) {
    public Entry {
      shape = shape.clone();
    }

    @Override public int[] shape() { return shape.clone(); }

    /** Whether the name was recovered from the graph rather than stored. */
    public boolean renamed() { return !name.equals(initializer); }
  }

  private final String origin;
  private final Map<String, TensorProto> initializers;
  private final Map<String, Entry> entries;
  private final Map<String, List<Entry>> conflicts;
  private final Map<String, String> skipped;

  private OnnxWeights(String origin, Map<String, TensorProto> initializers, Map<String, Entry> entries,
      Map<String, List<Entry>> conflicts, Map<String, String> skipped) {
    this.origin = origin;
    this.initializers = initializers;
    this.entries = entries;
    this.conflicts = conflicts;
    this.skipped = skipped;
  }

  /**
   * Reads the ONNX model {@code file} (memory-mapped; raw_data is not copied).
   *
   * @throws WeightsException naming the file if it cannot be read, is not an ONNX model, or
   *     keeps tensor data outside the file
   */
  public static OnnxWeights read(Path file) {
    ModelProto model;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size > Integer.MAX_VALUE) {
        throw new WeightsException("weights " + file + ": " + size + " bytes; an ONNX model file holds at most 2 GiB"
            + " (bigger models keep their tensors as external data, which heed does not read)");
      }
      MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
      CodedInputStream in = CodedInputStream.newInstance(buf);
      in.enableAliasing(true);
      in.setSizeLimit(Integer.MAX_VALUE);
      model = ModelProto.parseFrom(in);
    } catch (InvalidProtocolBufferException e) {
      throw new WeightsException("weights " + file + ": not an ONNX model (" + e.getMessage() + ")", e);
    } catch (NoSuchFileException e) {
      throw new WeightsException("weights " + file + ": no such file", e);
    } catch (IOException e) {
      throw new WeightsException("weights " + file + ": cannot read: " + e.getMessage(), e);
    }
    if (!model.hasGraph()) throw new WeightsException("weights " + file + ": not an ONNX model (it has no graph)");
    return of(model, file.toString());
  }

  /**
   * The weights of {@code model}; {@code origin} names it in messages (a file path).
   *
   * @throws WeightsException if an f32 initializer is malformed or stored as external data
   */
  public static OnnxWeights of(ModelProto model, String origin) {
    GraphProto g = model.getGraph();
    Map<String, TensorProto> inits = new LinkedHashMap<>();
    Map<String, String> skipped = new LinkedHashMap<>();
    for (TensorProto t : g.getInitializerList()) {
      if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL || t.getExternalDataCount() > 0) {
        throw new WeightsException("weights " + origin + ": initializer '" + t.getName() + "' keeps its data in an"
            + " external file (ONNX external data); heed reads only self-contained models. Save one with"
            + " onnx.save_model(model, path, save_as_external_data=False) (possible below 2 GiB)");
      }
      if (inits.containsKey(t.getName())) {
        throw new WeightsException("weights " + origin + ": two initializers are named '" + t.getName() + "'");
      }
      if (t.getDataType() == FLOAT) {
        shapeOf(origin, t);            // validates dims
        checkData(origin, t);
        inits.put(t.getName(), t);
      } else {
        skipped.put(t.getName(), typeName(t.getDataType()) + dims(t) + ", not FLOAT");
      }
    }
    for (var st : g.getSparseInitializerList()) {
      skipped.put(st.getValues().getName(), "sparse initializer, not read");
    }

    // Candidate names: every FLOAT initializer under its own name, plus recovered names.
    Map<String, List<Entry>> candidates = new LinkedHashMap<>();
    Set<String> renamedInits = new LinkedHashSet<>();
    Map<String, List<NodeProto>> consumers = new HashMap<>();
    for (NodeProto n : g.getNodeList()) {
      for (String in : n.getInputList()) consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
    }
    List<Entry> recovered = new ArrayList<>();
    for (NodeProto n : g.getNodeList()) {
      if (!n.getOpType().equals("MatMul") || !n.getDomain().isEmpty() || n.getInputCount() != 2 || n.getOutputCount() != 1) continue;
      String w = n.getInput(1);
      TensorProto t = inits.get(w);
      if (t == null || !isAnonymous(w) || t.getDimsCount() != 2) continue;
      String base = null;
      String how = null;
      List<NodeProto> next = consumers.getOrDefault(n.getOutput(0), List.of());
      if (next.size() == 1 && next.get(0).getOpType().equals("Add") && next.get(0).getInputCount() == 2) {
        NodeProto add = next.get(0);
        String other = add.getInput(0).equals(n.getOutput(0)) ? add.getInput(1) : add.getInput(0);
        if (other.endsWith(".bias") && inits.containsKey(other)) {
          base = other.substring(0, other.length() - ".bias".length());
          how = "bias " + other;
        }
      }
      Matcher m = MODULE_MATMUL.matcher(n.getName());
      if (base == null && m.matches()) {
        base = m.group(1).replace('/', '.');
        how = "node " + n.getName();
      }
      if (base == null) continue;
      int[] s = shapeOf(origin, t);
      recovered.add(new Entry(base + ".weight", w, new int[] {s[1], s[0]}, true, how));
      renamedInits.add(w);
    }
    for (TensorProto t : inits.values()) {
      if (renamedInits.contains(t.getName())) continue;
      candidates.computeIfAbsent(t.getName(), k -> new ArrayList<>())
          .add(new Entry(t.getName(), t.getName(), shapeOf(origin, t), false, "named"));
    }
    for (Entry e : recovered) {
      List<Entry> list = candidates.computeIfAbsent(e.name(), k -> new ArrayList<>());
      // One initializer used by two MatMuls that name it alike is one tensor, not a conflict.
      if (list.stream().noneMatch(x -> x.initializer().equals(e.initializer()))) list.add(e);
    }
    Map<String, Entry> entries = new LinkedHashMap<>();
    Map<String, List<Entry>> conflicts = new LinkedHashMap<>();
    candidates.forEach((name, list) -> {
      if (list.size() == 1) entries.put(name, list.get(0));
      else conflicts.put(name, List.copyOf(list));
    });
    return new OnnxWeights(origin, Collections.unmodifiableMap(inits), Collections.unmodifiableMap(entries),
        Collections.unmodifiableMap(conflicts), Collections.unmodifiableMap(skipped));
  }

  /**
   * PyTorch's anonymous initializers: {@code onnx::Op_N}, or a bare number from older exporters.
   * Not any name without a dot: heed's own export stores a spec's top-level parameter
   * ({@code param w}) under its checkpoint name {@code w}, which must keep it.
   */
  private static boolean isAnonymous(String name) {
    return name.startsWith("onnx::") || (!name.isEmpty() && name.chars().allMatch(c -> c >= '0' && c <= '9'));
  }

  /** The checkpoint names of the f32 tensors these weights serve, in initializer order. */
  @Override public Set<String> names() { return entries.keySet(); }

  /** Every f32 tensor served, by checkpoint name. */
  public Map<String, Entry> entries() { return entries; }

  /** Checkpoint names that more than one initializer claims, with the claimants; they are not served. */
  public Map<String, List<Entry>> conflicts() { return conflicts; }

  /** Initializers that are not weights (not FLOAT), by ONNX name, with their type. */
  public Map<String, String> skipped() { return skipped; }

  /** The served shape of tensor {@code name}. */
  public int[] shapeOf(String name) { return entry(name).shape(); }

  @Override public String origin() { return origin; }

  @Override public float[] get(String name, int[] shape, String init) {
    Entry e = entries.get(name);
    if (e == null) throw new WeightsException("weights " + origin + ": " + whyMissing(name, shape));
    if (!Arrays.equals(e.shape, shape)) {
      throw new WeightsException("weights " + origin + ": tensor '" + name + "' is " + dims(e.shape)
          + " but the spec needs " + dims(shape) + transposeHint(e, shape));
    }
    return read(e);
  }

  /** Tensor {@code name} in its served shape ({@link #shapeOf}). */
  public float[] get(String name) { return read(entry(name)); }

  private Entry entry(String name) {
    Entry e = entries.get(name);
    if (e == null) throw new WeightsException("weights " + origin + ": no f32 tensor '" + name + "'" + Suggest.didYouMean(name, entries.keySet()));
    return e;
  }

  private String whyMissing(String name, int[] shape) {
    if (conflicts.containsKey(name)) {
      return "tensor '" + name + "' is claimed by more than one initializer: " + describe(conflicts.get(name));
    }
    if (skipped.containsKey(name)) return "tensor '" + name + "' is " + skipped.get(name) + "; heed imports FLOAT initializers";
    return "no tensor '" + name + "' (the spec needs f32" + dims(shape) + ")" + Suggest.didYouMean(name, entries.keySet());
  }

  private static String describe(List<Entry> claimants) {
    List<String> parts = new ArrayList<>();
    for (Entry c : claimants) parts.add(c.renamed() ? c.initializer() + " (" + c.how() + ")" : c.initializer());
    return String.join(", ", parts);
  }

  private static String transposeHint(Entry e, int[] want) {
    int[] s = e.shape;
    boolean transpose = s.length == 2 && want.length == 2 && s[0] == want[1] && s[1] == want[0];
    if (!transpose) return "";
    return e.transposed
        ? " (heed served the stored [in, out] MatMul weight " + e.initializer + " as [out, in], PyTorch's Linear layout; declare it [out, in])"
        : " (the transpose; heed's linear() takes weights as [out, in])";
  }

  private float[] read(Entry e) {
    TensorProto t = initializers.get(e.initializer());
    int[] stored = shapeOf(origin, t);
    float[] data = new float[count(stored)];
    if (!t.getRawData().isEmpty()) {
      FloatBuffer fb = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
      fb.get(data);
    } else {
      for (int i = 0; i < data.length; i++) data[i] = t.getFloatData(i);
    }
    if (!e.transposed()) return data;
    int rows = stored[0], cols = stored[1];
    float[] out = new float[data.length];
    // In tiles, so that the rows read and the rows written both stay in cache: a row at a time,
    // every write went to another cache line (MiniLM's weights: about half of the ONNX load).
    int tile = 32;
    for (int r0 = 0; r0 < rows; r0 += tile) {
      int r1 = Math.min(rows, r0 + tile);
      for (int c0 = 0; c0 < cols; c0 += tile) {
        int c1 = Math.min(cols, c0 + tile);
        for (int r = r0; r < r1; r++) {
          for (int c = c0; c < c1; c++) out[c * rows + r] = data[r * cols + c];
        }
      }
    }
    return out;
  }

  private static void checkData(String origin, TensorProto t) {
    long n = count(shapeOf(origin, t));
    ByteString raw = t.getRawData();
    long have = !raw.isEmpty() ? raw.size() : 4L * t.getFloatDataCount();
    if (have != 4L * n) {
      throw new WeightsException("weights " + origin + ": initializer '" + t.getName() + "' is f32" + dims(t)
          + " (" + n + " values) but holds " + (raw.isEmpty() ? t.getFloatDataCount() + " float_data values" : raw.size() + " raw_data bytes"));
    }
  }

  private static int[] shapeOf(String origin, TensorProto t) {
    int[] s = new int[t.getDimsCount()];
    long n = 1;
    for (int i = 0; i < s.length; i++) {
      long d = t.getDims(i);
      if (d < 0 || d > Integer.MAX_VALUE) throw new WeightsException("weights " + origin + ": initializer '" + t.getName() + "' has dimension " + d);
      s[i] = (int) d;
      n *= d;
      if (n > Integer.MAX_VALUE - 8) throw new WeightsException("weights " + origin + ": initializer '" + t.getName() + "' is too large for a Java array");
    }
    return s;
  }

  private static int count(int[] shape) {
    int n = 1;
    for (int d : shape) n *= d;
    return n;
  }

  static String dims(int[] shape) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < shape.length; i++) sb.append(i == 0 ? "" : ", ").append(shape[i]);
    return sb.append(']').toString();
  }

  private static String dims(TensorProto t) {
    List<String> ds = new ArrayList<>();
    for (long d : t.getDimsList()) ds.add(Long.toString(d));
    return "[" + String.join(", ", ds) + "]";
  }

  private static String typeName(int dataType) {
    TensorProto.DataType dt = TensorProto.DataType.forNumber(dataType);
    return dt == null ? "data type " + dataType : dt.name().toLowerCase(Locale.ROOT);
  }

  // ---- binding to a spec ------------------------------------------------------------------

  /**
   * Checks {@code params} against these tensors and returns the result without throwing: use
   * {@link Binding#ok()} and {@link Binding#report()}.
   */
  public Binding check(List<ParamSpec> params) {
    return new Binding(this, params);
  }

  /**
   * Binds {@code params} (a spec's or a compiled model's parameter list) to these tensors.
   *
   * @throws WeightsException with the whole {@linkplain Binding#report() report} if any
   *     parameter is unbound, mis-shaped or claimed by two initializers
   */
  public Binding bind(List<ParamSpec> params) {
    Binding b = check(params);
    if (!b.ok()) throw new WeightsException(b.report());
    return b;
  }

  /**
   * Imports the weights of ONNX model {@code onnx} for the spec {@code spec}: compiles the
   * spec for its parameter list, binds it (printing the report to {@code report}) and writes
   * the bound tensors, under their checkpoint names, to the safetensors file {@code out}
   * (atomically).
   *
   * @throws IOException if the spec cannot be read
   * @throws dev.heed.dsl.diag.HeedException if the spec does not compile
   * @throws WeightsException if the model cannot be read, a parameter is unbound or
   *     mis-shaped (the report says which), or {@code out} cannot be written
   */
  public static void importWeights(Path onnx, Path spec, Path out, PrintStream report) throws IOException {
    List<ParamSpec> params = WeightFiles.parameters(spec);
    OnnxWeights w = read(onnx);
    Binding b = w.check(params);
    report.print(b.report());
    if (!b.ok()) {
      throw new WeightsException("weights " + onnx + " do not fit " + spec + ": " + b.errorSummary() + " (listed above)");
    }
    b.writeSafetensors(out);
    long bytes = Files.size(out);
    report.printf(Locale.ROOT, "wrote %s: %d tensors, %.1f MiB%n", out, params.size(), bytes / (1024.0 * 1024));
  }

  /**
   * A spec's parameters bound to the tensors of one ONNX model: a {@link Weights} that serves
   * exactly those parameters, and the report of what did not fit.
   */
  public static final class Binding implements Weights {
    private final OnnxWeights source;
    private final List<ParamSpec> params;
    private final Map<String, ParamSpec> bound = new LinkedHashMap<>();
    private final List<String> unbound = new ArrayList<>();
    private final List<String> misshaped = new ArrayList<>();
    private final List<String> ambiguous = new ArrayList<>();
    private final List<String> unused = new ArrayList<>();
    private final List<String> unboundLines = new ArrayList<>();
    private final List<String> misshapedLines = new ArrayList<>();
    private final List<String> ambiguousLines = new ArrayList<>();

    Binding(OnnxWeights source, List<ParamSpec> params) {
      this.source = source;
      this.params = List.copyOf(params);
      Set<String> seen = new LinkedHashSet<>();
      for (ParamSpec p : params) {
        String name = p.name();
        if (!seen.add(name)) {
          ambiguous.add(name);
          ambiguousLines.add("    " + name + ": declared twice in the parameter list");
          continue;
        }
        Entry e = source.entries.get(name);
        if (e == null && source.conflicts.containsKey(name)) {
          ambiguous.add(name);
          ambiguousLines.add("    " + name + ": claimed by more than one initializer: " + describe(source.conflicts.get(name)));
        } else if (e == null) {
          unbound.add(name);
          String why = source.skipped.containsKey(name) ? " (the model's is " + source.skipped.get(name) + ")"
              : Suggest.didYouMean(name, unusedNames(params));
          unboundLines.add("    " + name + " f32" + dims(p.shape()) + why);
        } else if (!Arrays.equals(e.shape, p.shape())) {
          misshaped.add(name);
          misshapedLines.add("    " + name + ": the spec needs " + dims(p.shape()) + ", the model has " + dims(e.shape)
              + transposeHint(e, p.shape()));
        } else {
          bound.put(name, p);
        }
      }
      for (String name : source.entries.keySet()) if (!seen.contains(name)) unused.add(name);
      for (String name : source.conflicts.keySet()) if (!seen.contains(name)) unused.add(name);
      for (String name : source.skipped.keySet()) if (!seen.contains(name)) unused.add(name);
    }

    private Set<String> unusedNames(List<ParamSpec> ps) {
      Set<String> wanted = new LinkedHashSet<>();
      for (ParamSpec p : ps) wanted.add(p.name());
      Set<String> out = new LinkedHashSet<>();
      for (String n : source.entries.keySet()) if (!wanted.contains(n)) out.add(n);
      return out;
    }

    /** Whether every parameter is bound to exactly one tensor of the right shape. */
    public boolean ok() { return unbound.isEmpty() && misshaped.isEmpty() && ambiguous.isEmpty(); }

    /** Parameters with no tensor of their name. */
    public List<String> unbound() { return List.copyOf(unbound); }

    /** Parameters whose tensor has another shape. */
    public List<String> misshaped() { return List.copyOf(misshaped); }

    /** Parameters that two initializers claim, or that the list declares twice. */
    public List<String> ambiguous() { return List.copyOf(ambiguous); }

    /** Tensors (and skipped non-f32 initializers) that no parameter uses: a warning, not an error. */
    public List<String> unused() { return List.copyOf(unused); }

    /** The parameters, in the order given. */
    public List<ParamSpec> parameters() { return params; }

    /** "2 parameters unbound, 1 mis-shaped", or "" when {@link #ok()}. */
    public String errorSummary() {
      List<String> parts = new ArrayList<>();
      if (!unbound.isEmpty()) parts.add(plural(unbound.size(), "parameter") + " unbound");
      if (!misshaped.isEmpty()) parts.add(plural(misshaped.size(), "parameter") + " mis-shaped");
      if (!ambiguous.isEmpty()) parts.add(plural(ambiguous.size(), "parameter") + " bound more than once");
      return String.join(", ", parts);
    }

    /**
     * The multi-line report: counts, then each error (unbound, mis-shaped or ambiguous
     * parameter), each unused tensor (a warning), and each renamed MatMul weight.
     */
    public String report() {
      StringBuilder sb = new StringBuilder();
      long renamed = bound.keySet().stream().filter(n -> source.entries.get(n).renamed()).count();
      sb.append("weights ").append(source.origin).append(" for ").append(plural(params.size(), "parameter")).append(":\n");
      sb.append("  bound: ").append(bound.size()).append(" of ").append(params.size());
      if (renamed > 0) sb.append(" (").append(renamed).append(" MatMul weights named from the graph, transposed [in, out] → [out, in])");
      sb.append('\n');
      section(sb, "error: " + plural(unbound.size(), "parameter") + " unbound (no tensor of that name)", unboundLines);
      section(sb, "error: " + plural(misshaped.size(), "parameter") + " mis-shaped", misshapedLines);
      section(sb, "error: " + plural(ambiguous.size(), "parameter") + " bound more than once", ambiguousLines);
      List<String> unusedLines = new ArrayList<>();
      for (String n : unused) {
        Entry e = source.entries.get(n);
        if (e != null) {
          unusedLines.add("    " + n + " f32" + dims(e.shape) + (e.renamed() ? " (initializer " + e.initializer() + ", " + e.how() + ")" : ""));
        } else if (source.conflicts.containsKey(n)) {
          unusedLines.add("    " + n + " (claimed by " + describe(source.conflicts.get(n)) + ")");
        } else {
          unusedLines.add("    " + n + " (" + source.skipped.get(n) + ")");
        }
      }
      section(sb, "warning: " + plural(unused.size(), "tensor") + " of the model unused", unusedLines);
      List<String> renames = new ArrayList<>();
      for (String n : bound.keySet()) {
        Entry e = source.entries.get(n);
        if (e.renamed()) renames.add("    " + e.initializer() + " → " + n + " (" + e.how() + ")");
      }
      section(sb, "named from the graph:", renames);
      return sb.toString();
    }

    private static void section(StringBuilder sb, String title, List<String> items) {
      if (items.isEmpty()) return;
      sb.append("  ").append(title).append('\n');
      for (String i : items) sb.append(i).append('\n');
    }

    private static String plural(int n, String word) { return n + " " + word + (n == 1 ? "" : "s"); }

    /** Only bound parameters are served, with their spec shape. */
    @Override public float[] get(String name, int[] shape, String init) {
      if (!bound.containsKey(name)) {
        throw new WeightsException("weights " + source.origin + ": '" + name + "' is not a bound parameter of this spec");
      }
      return source.get(name, shape, init);
    }

    @Override public Set<String> names() { return Collections.unmodifiableSet(bound.keySet()); }

    @Override public String origin() { return source.origin; }

    /** Every bound tensor by checkpoint name, in parameter order (decodes them all). */
    public Map<String, Tensor> tensors() {
      Map<String, Tensor> out = new LinkedHashMap<>();
      for (ParamSpec p : bound.values()) out.put(p.name(), Tensor.ofFloats(source.get(p.name(), p.shape(), p.init()), p.shape()));
      return out;
    }

    /**
     * Writes the bound tensors to the safetensors file {@code out}, atomically, with the
     * model's file name as {@code __metadata__} "source".
     *
     * @throws WeightsException if a parameter is not bound (see {@link #report()}) or the
     *     file cannot be written
     */
    public void writeSafetensors(Path out) {
      if (!ok()) throw new WeightsException(report());
      Map<String, String> meta = new TreeMap<>();
      meta.put("format", "pt");
      meta.put("source", source.origin.substring(Math.max(source.origin.lastIndexOf('/'), source.origin.lastIndexOf('\\')) + 1));
      SafetensorsWriter.write(out, tensors(), meta);
    }
  }
}
