package dev.heed.compiler.inspect;

import dev.heed.compiler.HeedCompiler;
import dev.heed.compiler.emit.BufferPlan;
import dev.heed.compiler.emit.JvmEmitter;
import dev.heed.compiler.emit.KernelNames;
import dev.heed.compiler.ir.Dim;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.IrPrinter;
import dev.heed.compiler.ir.Loc;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.ir.Verifier;
import dev.heed.compiler.lower.Lowering;
import dev.heed.compiler.passes.Pass;
import dev.heed.compiler.passes.PassManager;
import dev.heed.compiler.passes.PassStats;
import dev.heed.dsl.SpecParser;
import dev.heed.dsl.diag.SourceFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code heed inspect}: a static HTML report of what heed makes of one spec. The graph before
 * and after the passes as pictures (Graphviz, when installed), a table of the generated
 * kernels with FLOPs, bytes and arithmetic intensity for chosen sizes, the peak activation
 * memory, every fusion boundary with the reason it is one, the IR after each pass with a diff,
 * and the generated Java linked to the spec lines it comes from. No scripts; the same spec and
 * sizes give the same bytes.
 */
public final class InspectReport {
  /** The report's stylesheet, under the report folder. */
  public static final String STYLESHEET = "assets/style.css";

  /**
   * How to build the report.
   *
   * @param dims sizes of symbolic dimensions; others are 1 for {@code batch}, 128 otherwise
   * @param dotCommand the Graphviz program: a name looked up on PATH, or a path
   */
  public record Options(Map<String, Long> dims, String dotCommand) {
    public Options {
      dims = new TreeMap<>(dims);
    }

    public static Options defaults() { return new Options(Map.of(), "dot"); }

    public Options withDims(Map<String, Long> d) { return new Options(d, dotCommand); }

    public Options withDotCommand(String c) { return new Options(dims, c); }
  }

  /**
   * A rendered report.
   *
   * @param files file contents by path relative to the report folder, sorted
   * @param notices one-line notices for the user (e.g. Graphviz missing, or sizes given for
   *     dimensions the spec does not have)
   * @param badSizes empty, or a sentence on sizes that do not fit the spec (also among the
   *     notices): sizes given for dimensions it does not have, or sizes that make one of its
   *     values larger than a Java array
   */
  public record Report(Map<String, byte[]> files, List<String> notices, String badSizes) {}

  /** One stage of the pipeline: its name, statistics, and the graph it left. */
  private record Stage(String name, PassStats stats, Graph graph, String ir) {}

  private static final String NO_DOT = "Graphviz 'dot' was not found on PATH, so graphs are shown as text; "
      + "install Graphviz (Debian: apt-get install graphviz) for pictures";

  private InspectReport() {}

  /** Builds the report for {@code specFile} and writes it to {@code outDir}, replacing an earlier report there. */
  public static Report write(Path specFile, Path outDir, Options options) throws IOException {
    String text = HeedCompiler.readSpec(specFile);
    Report r = render(new SourceFile(specFile.toString(), text), options);
    writeAtomically(r.files(), outDir);
    return r;
  }

  /** Writes a report {@link #render} built to {@code outDir}, replacing an earlier report there. */
  public static void write(Report r, Path outDir) throws IOException {
    writeAtomically(r.files(), outDir);
  }

  /** Builds the report in memory. */
  public static Report render(SourceFile spec, Options options) throws IOException {
    Graph lowered = Lowering.lower(SpecParser.parse(spec));
    List<Stage> stages = new ArrayList<>();
    stages.add(new Stage("lowering", new PassStats(), lowered, IrPrinter.print(lowered)));
    Graph g = lowered;
    for (Pass p : HeedCompiler.passes(HeedCompiler.Options.defaults(), s -> { }).passes()) {
      PassStats stats = new PassStats();
      g = p.run(g, stats);
      Verifier.verifyOrThrow(g, "after pass '" + p.name() + "'");
      stages.add(new Stage(p.name(), stats, g, IrPrinter.print(g)));
    }
    Graph fin = g;
    Map<String, SourceFile> sources = new LinkedHashMap<>();
    sources.put(spec.name(), spec);
    sources.put(Lowering.preludeFile().name(), Lowering.preludeFile());
    Map<String, String> java = JvmEmitter.emit(fin, new JvmEmitter.Options("heed.models", sources, spec.name()));

    List<String> notices = new ArrayList<>();
    String unknown = lowered.unknownSymbols(options.dims().keySet());
    String badSizes = unknown.isEmpty() ? new Costs(options.dims()).oversized(fin) : unknown;
    if (!unknown.isEmpty()) notices.add("sizes given for dimensions the spec does not have: " + unknown);
    else if (!badSizes.isEmpty()) notices.add("the costs are wrong: " + badSizes);
    Map<String, byte[]> files = new TreeMap<>();
    Map<String, String> fusedNotes = fusedNotes(stages);
    String dotBefore = GraphPictures.dot(lowered, Map.of());
    String dotAfter = GraphPictures.dot(fin, prefixed(fusedNotes));
    files.put("assets/graph-lowered.dot", utf8(dotBefore));
    files.put("assets/graph-final.dot", utf8(dotAfter));
    Optional<Path> dot = GraphPictures.findDot(options.dotCommand());
    if (dot.isPresent()) {
      files.put("assets/graph-lowered.svg", utf8(GraphPictures.svg(dot.get(), dotBefore)));
      files.put("assets/graph-final.svg", utf8(GraphPictures.svg(dot.get(), dotAfter)));
    } else {
      notices.add(NO_DOT);
    }
    files.put(STYLESHEET, utf8(CSS));

    Costs costs = new Costs(options.dims());
    Page page = new Page(spec, sources, lowered, fin, stages, java, costs, fusedNotes, dot.isPresent(), notices);
    files.put("index.html", utf8(page.html()));
    return new Report(files, notices, badSizes);
  }

  /** For each attention node made by fuse-attention: the ops it replaced, in order. */
  private static Map<String, String> fusedNotes(List<Stage> stages) {
    Map<String, String> notes = new TreeMap<>();
    for (int i = 1; i < stages.size(); i++) {
      Graph before = stages.get(i - 1).graph(), after = stages.get(i).graph();
      Map<String, Node> was = before.byName();
      Set<String> now = after.byName().keySet();
      for (Node n : after.nodes()) {
        if (n.op().kind() != Op.Kind.FUSED) continue;
        Node old = was.get(n.name());
        if (old == null || old.op() == n.op()) continue;
        Set<String> chain = new HashSet<>();
        collect(old, was, now, chain);
        List<String> ops = new ArrayList<>();
        for (Node b : before.nodes()) {
          if (chain.contains(b.name()) && b.op() != Op.CONSTANT) ops.add(b.op().irName());
        }
        notes.put(n.name(), String.join(" → ", ops));
      }
    }
    return notes;
  }

  private static Map<String, String> prefixed(Map<String, String> notes) {
    Map<String, String> m = new TreeMap<>();
    notes.forEach((k, v) -> m.put(k, "fused: " + v));
    return m;
  }

  private static void collect(Node n, Map<String, Node> was, Set<String> now, Set<String> chain) {
    if (!chain.add(n.name())) return;
    for (String o : n.operands()) {
      Node d = was.get(o);
      if (d != null && !now.contains(o)) collect(d, was, now, chain);
    }
  }

  private static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }

  // ---- writing ------------------------------------------------------------------------

  /**
   * The file that marks a folder as a heed report, so that {@link #writeAtomically} replaces
   * only folders it wrote itself.
   */
  static final String MARKER = ".heed-report";

  /**
   * Writes {@code files} into a new folder beside {@code outDir}, then moves it into place, so
   * that {@code outDir} holds either the old report or the whole new one. An existing
   * {@code outDir} is replaced only if it is empty or a heed report (it holds {@link #MARKER}, or,
   * written before the marker, an {@code index.html} titled "heed inspect"), and never when it is
   * or holds the current folder.
   */
  static void writeAtomically(Map<String, byte[]> files, Path outDir) throws IOException {
    Path target = outDir.toAbsolutePath().normalize();
    Path parent = target.getParent();
    if (parent == null) throw new IOException(outDir + " is the root folder; choose a new or empty folder");
    if (Path.of("").toAbsolutePath().normalize().startsWith(target)) {
      throw new IOException(outDir + " is the current folder or holds it; choose a new or empty folder");
    }
    Files.createDirectories(parent);
    if (Files.exists(target)) {
      if (!Files.isDirectory(target)) throw new IOException(outDir + " exists and is not a folder");
      if (!isEmpty(target) && !isReport(target)) {
        throw new IOException(outDir + " is a folder that holds no heed report; choose a new or empty folder");
      }
    }
    String base = target.getFileName().toString();
    // Not Files.createTempDirectory, whose folder only its owner may read: the report's folders
    // get the permissions the umask gives, like its files.
    Path tmp = newSibling(parent, "." + base + ".new-");
    Path old = null;
    try {
      Map<String, byte[]> all = new TreeMap<>(files);
      all.put(MARKER, utf8("heed inspect report: this folder is replaced whole by the next 'heed inspect -o'\n"));
      for (Map.Entry<String, byte[]> e : all.entrySet()) {
        Path f = tmp.resolve(e.getKey());
        Files.createDirectories(f.getParent());
        Files.write(f, e.getValue());
      }
      if (Files.exists(target)) {
        old = newSibling(parent, "." + base + ".old-");
        Files.delete(old);
        move(target, old);
      }
      move(tmp, target);
    } finally {
      if (Files.exists(tmp)) deleteTree(tmp);
      if (old != null && Files.exists(old)) deleteTree(old);
    }
  }

  /** A new, empty folder in {@code parent} whose name starts with {@code prefix}. */
  private static Path newSibling(Path parent, String prefix) throws IOException {
    for (int i = 0; ; i++) {
      try {
        return Files.createDirectory(parent.resolve(prefix + ProcessHandle.current().pid() + "-" + i));
      } catch (java.nio.file.FileAlreadyExistsException e) {
        // taken: try the next name
      }
    }
  }

  /** Whether {@code dir} holds a report that heed wrote. */
  private static boolean isReport(Path dir) throws IOException {
    if (Files.isRegularFile(dir.resolve(MARKER))) return true;
    Path index = dir.resolve("index.html");
    if (!Files.isRegularFile(index) || Files.size(index) > (64L << 20)) return false;
    return Files.readString(index, StandardCharsets.ISO_8859_1).contains("<small>heed inspect</small>");
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      return !s.iterator().hasNext();
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  // ---- the page -------------------------------------------------------------------------

  /** Builds index.html. */
  private static final class Page {
    private final SourceFile spec;
    private final Map<String, SourceFile> sources;
    private final Graph lowered;
    private final Graph fin;
    private final List<Stage> stages;
    private final Map<String, String> java;
    private final Costs costs;
    private final Map<String, String> fusedNotes;
    private final boolean pictures;
    private final List<String> notices;
    private final Map<String, String> kernels;
    private final StringBuilder sb = new StringBuilder();

    Page(SourceFile spec, Map<String, SourceFile> sources, Graph lowered, Graph fin, List<Stage> stages,
        Map<String, String> java, Costs costs, Map<String, String> fusedNotes, boolean pictures, List<String> notices) {
      this.spec = spec;
      this.sources = sources;
      this.lowered = lowered;
      this.fin = fin;
      this.stages = stages;
      this.java = java;
      this.costs = costs;
      this.fusedNotes = fusedNotes;
      this.pictures = pictures;
      this.notices = notices;
      this.kernels = KernelNames.of(fin);
    }

    String html() {
      String title = "heed inspect: " + fin.name();
      sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
          .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
          .append("<title>").append(esc(title)).append("</title>\n")
          .append("<link rel=\"stylesheet\" href=\"").append(STYLESHEET).append("\">\n</head>\n<body>\n");
      sb.append("<header>\n<h1>").append(esc(fin.name())).append(" <small>heed inspect</small></h1>\n");
      sb.append("<p class=\"meta\">spec <code>").append(esc(shortName(spec.name()))).append("</code> · sizes ");
      sb.append(esc(sizesLine())).append("</p>\n");
      for (String n : notices) sb.append("<p class=\"notice\" id=\"notice\">").append(esc(n)).append("</p>\n");
      sb.append("<nav><a href=\"#graphs\">Graphs</a> <a href=\"#kernels\">Kernels</a> <a href=\"#memory\">Memory</a> ")
          .append("<a href=\"#boundaries\">Fusion boundaries</a> <a href=\"#passes\">Passes</a> ")
          .append("<a href=\"#java\">Generated Java</a> <a href=\"#spec\">Spec</a></nav>\n</header>\n<main>\n");
      graphs();
      kernelTable();
      memory();
      boundaries();
      passes();
      javaSource();
      specSource();
      sb.append("</main>\n</body>\n</html>\n");
      return sb.toString();
    }

    private String sizesLine() {
      Set<String> syms = new TreeSet<>(lowered.symbols());
      syms.addAll(fin.symbols());
      if (syms.isEmpty()) return "all static";
      List<String> parts = new ArrayList<>();
      for (String s : syms) parts.add(s + " = " + costs.size(Dim.sym(s)));
      return String.join(", ", parts);
    }

    // ---- graphs ----

    private void graphs() {
      sb.append("<section id=\"graphs\">\n<h2>The graph before and after the passes</h2>\n");
      sb.append("<p class=\"legend\">");
      for (Op.Kind k : Op.Kind.values()) {
        sb.append("<span class=\"chip\" style=\"background:").append(GraphPictures.colour(k)).append("\">")
            .append(k.name().toLowerCase(Locale.ROOT)).append("</span> ");
      }
      sb.append("</p>\n<div class=\"graphs\">\n");
      graph("lowered", "Lowered (" + count(lowered) + " nodes)", lowered);
      graph("final", "After " + String.join(", ", stages.subList(1, stages.size()).stream().map(Stage::name).toList())
          + " (" + count(fin) + " nodes)", fin);
      sb.append("</div>\n</section>\n");
    }

    private static int count(Graph g) { return g.nodes().size(); }

    private void graph(String id, String caption, Graph g) {
      sb.append("<figure id=\"graph-").append(id).append("\">\n<figcaption>").append(esc(caption))
          .append(" · <a href=\"assets/graph-").append(id).append(".dot\">DOT</a>");
      if (pictures) sb.append(" · <a href=\"assets/graph-").append(id).append(".svg\">SVG</a>");
      sb.append("</figcaption>\n");
      if (pictures) {
        sb.append("<img class=\"graph\" src=\"assets/graph-").append(id).append(".svg\" alt=\"")
            .append(esc(caption)).append("\">\n");
      } else {
        sb.append("<p class=\"notice\">No picture: Graphviz 'dot' is not installed. The graph as a tree:</p>\n");
        sb.append("<pre class=\"tree\">").append(esc(GraphPictures.textTree(g))).append("</pre>\n");
        sb.append("<details><summary>DOT source</summary><pre>")
            .append(esc(GraphPictures.dot(g, id.equals("final") ? prefixed(fusedNotes) : Map.of())))
            .append("</pre></details>\n");
      }
      sb.append("</figure>\n");
    }

    // ---- kernels ----

    private void kernelTable() {
      Map<String, Node> byName = fin.byName();
      Map<String, List<Node>> byKernel = new LinkedHashMap<>();
      kernels.forEach((node, k) -> byKernel.computeIfAbsent(k, x -> new ArrayList<>()).add(byName.get(node)));
      sb.append("<section id=\"kernels\">\n<h2>Kernels of the generated Java</h2>\n");
      sb.append("<p>One row per kernel method, in the order <code>forward</code> first calls them; FLOPs and bytes ")
          .append("are summed over its calls for ").append(esc(sizesLine())).append(". Bytes count each array read ")
          .append("and the output written once; intensity is FLOPs per byte.</p>\n");
      sb.append("<table class=\"kernels\">\n<thead><tr><th>kernel</th><th>calls</th><th>IR ops</th><th>shapes</th>")
          .append("<th>spec</th><th class=\"num\">FLOPs</th><th class=\"num\">bytes</th><th class=\"num\">FLOP/byte</th>")
          .append("</tr></thead>\n<tbody>\n");
      long totalFlops = 0, totalBytes = 0;
      for (Map.Entry<String, List<Node>> e : byKernel.entrySet()) {
        long flops = 0, bytes = 0;
        Set<String> ops = new LinkedHashSet<>();
        Set<String> shapes = new LinkedHashSet<>();
        Set<Integer> lines = new TreeSet<>();
        for (Node n : e.getValue()) {
          Costs.Cost c = costs.of(n, byName);
          flops += c.flops();
          bytes += c.bytes();
          String fused = fusedNotes.get(n.name());
          ops.add(n.op().irName() + (fused == null ? "" : " (fused: " + fused + ")"));
          List<String> in = new ArrayList<>();
          for (String o : n.operands()) in.add(byName.get(o).type().toString());
          shapes.add("(" + String.join(", ", in) + ") → " + n.type());
          // The spec's own lines: for a node of a standard layer, the line that called the layer.
          for (Loc place : n.loc().places()) {
            Loc at = place.innermost(file -> file.equals(spec.name()));
            if (at != null) lines.add(at.line());
          }
        }
        totalFlops += flops;
        totalBytes += bytes;
        sb.append("<tr><td><a href=\"#k-").append(esc(e.getKey())).append("\"><code>").append(esc(e.getKey()))
            .append("</code></a></td><td class=\"num\">").append(e.getValue().size()).append("</td><td>");
        sb.append(String.join("<br>", ops.stream().map(InspectReport::esc).toList()));
        sb.append("<br><span class=\"dim\">").append(esc(String.join(", ", e.getValue().stream().map(n -> "%" + n.name())
            .toList()))).append("</span></td><td class=\"shape\">");
        sb.append(String.join("<br>", shapes.stream().map(InspectReport::esc).toList())).append("</td><td>");
        sb.append(String.join(" ", lines.stream().map(l -> "<a href=\"#L" + l + "\">" + l + "</a>").toList()));
        sb.append("</td><td class=\"num\">").append(si(flops)).append("</td><td class=\"num\">").append(bin(bytes))
            .append("</td><td class=\"num\">").append(ratio(flops, bytes)).append("</td></tr>\n");
      }
      sb.append("</tbody>\n<tfoot><tr><td>total</td><td class=\"num\">").append(kernels.size())
          .append("</td><td></td><td></td><td></td><td class=\"num\">").append(si(totalFlops)).append("</td><td class=\"num\">")
          .append(bin(totalBytes)).append("</td><td class=\"num\">").append(ratio(totalFlops, totalBytes))
          .append("</td></tr></tfoot>\n</table>\n</section>\n");
    }

    private void memory() {
      Costs.Peak before = costs.peak(lowered);
      Costs.Planned planned = costs.planned(fin);
      BufferPlan plan = planned.plan();
      sb.append("<section id=\"memory\">\n<h2>Peak activation memory</h2>\n");
      sb.append("<p>The generated code's buffer plan: walking the kernels in order, each kernel's buffer lives from ")
          .append("that kernel to the last one that reads it (directly or through a view); buffers whose lives do not ")
          .append("overlap share a slot of a workspace that every call reuses, and model outputs are allocated per call. ")
          .append("The peak is the workspace: <code>").append(esc(plan.formula())).append("</code> bytes. For ")
          .append(esc(sizesLine())).append(":</p>\n<table>\n<thead><tr><th>what</th><th class=\"num\">bytes</th>")
          .append("<th>how</th></tr></thead>\n<tbody>\n");
      sb.append("<tr><td>peak activation memory: the workspace</td><td class=\"num\" id=\"peak-final\">")
          .append(bin(planned.workspaceBytes())).append("</td><td class=\"dim\">").append(plan.slots().size())
          .append(plan.slots().size() == 1 ? " slot" : " slots").append(" for ").append(plan.kernels().size())
          .append(" kernels</td></tr>\n");
      sb.append("<tr><td>outputs, per call</td><td class=\"num\">").append(bin(planned.outputBytes()))
          .append("</td><td class=\"dim\">the caller keeps them</td></tr>\n");
      sb.append("<tr><td>a buffer per kernel, no reuse</td><td class=\"num\">").append(bin(planned.unplannedBytes()))
          .append("</td><td class=\"dim\">every kernel's output, outputs included</td></tr>\n");
      sb.append("<tr><td>lowered graph, before the passes</td><td class=\"num\" id=\"peak-lowered\">").append(bin(before.bytes()))
          .append("</td><td class=\"dim\">a buffer per node, live from its node to its last use, inputs included; ")
          .append("most at <code>%").append(esc(before.atNode())).append("</code></td></tr>\n");
      sb.append("</tbody>\n</table>\n");
      if (!plan.slots().isEmpty()) {
        sb.append("<table class=\"slots\">\n<thead><tr><th>slot</th><th>size (elements)</th><th class=\"num\">bytes</th>")
            .append("<th>buffers, in kernel order</th></tr></thead>\n<tbody>\n");
        for (BufferPlan.Slot slot : plan.slots()) {
          sb.append("<tr><td><code>").append(slot.label()).append("</code></td><td class=\"shape\">")
              .append(slot.dtype() == dev.heed.runtime.DType.F32 ? "float[" : "long[").append(esc(slot.formula()))
              .append("]</td><td class=\"num\">").append(bin(slot.bytes(costs::symbolSize))).append("</td><td class=\"dim\">")
              .append(esc(String.join(", ", slot.buffers().stream().map(b -> "%" + b).toList()))).append("</td></tr>\n");
        }
        sb.append("</tbody>\n</table>\n");
      }
      sb.append("</section>\n");
    }

    // ---- fusion boundaries ----

    private void boundaries() {
      List<PassManager.PassRun> runs = new ArrayList<>();
      for (Stage s : stages.subList(1, stages.size())) runs.add(new PassManager.PassRun(s.name(), s.stats()));
      List<FusionBoundaries.Boundary> bs = FusionBoundaries.of(fin, kernels, FusionBoundaries.declined(runs));
      List<String> fusions = new ArrayList<>();
      for (Stage s : stages.subList(1, stages.size())) if (s.name().startsWith("fuse-")) fusions.add(s.name());
      sb.append("<section id=\"boundaries\">\n<h2>Fusion boundaries</h2>\n");
      sb.append("<p>Every edge from one kernel to another is a tensor written to memory and read back. heed's fusion ")
          .append("passes are ").append(esc(String.join(", ", fusions)));
      if (!fusedNotes.isEmpty()) {
        sb.append(" (here: ").append(esc(String.join("; ", fusedNotes.entrySet().stream()
            .map(e -> "%" + e.getKey() + " replaced " + e.getValue()).toList()))).append(")");
      }
      sb.append(". Why each remaining edge is a boundary:</p>\n");
      sb.append("<table class=\"boundaries\">\n<thead><tr><th>from</th><th>to</th><th>why not fused</th></tr></thead>\n<tbody>\n");
      for (FusionBoundaries.Boundary b : bs) {
        sb.append("<tr><td><a href=\"#k-").append(esc(b.producerKernel())).append("\"><code>")
            .append(esc(b.producerKernel())).append("</code></a> <span class=\"dim\">%").append(esc(b.producer()))
            .append("</span></td><td><a href=\"#k-").append(esc(b.consumerKernel())).append("\"><code>")
            .append(esc(b.consumerKernel())).append("</code></a> <span class=\"dim\">%").append(esc(b.consumer()))
            .append(b.viaView() == null ? "" : " via " + esc(fin.byName().get(b.viaView()).op().irName()) + " %"
                + esc(b.viaView()) + " (a view)")
            .append("</span></td><td>").append(esc(b.reason())).append("</td></tr>\n");
      }
      sb.append("</tbody>\n</table>\n</section>\n");
    }

    // ---- passes ----

    private void passes() {
      sb.append("<section id=\"passes\">\n<h2>The IR after each pass</h2>\n");
      for (int i = 0; i < stages.size(); i++) {
        Stage s = stages.get(i);
        sb.append("<div class=\"pass\" id=\"pass-").append(esc(s.name())).append("\">\n<h3>")
            .append(i == 0 ? "lowering" : i + ". " + esc(s.name())).append("</h3>\n");
        if (i == 0) {
          sb.append("<p>The IR straight from the spec, " + count(s.graph()) + " nodes.</p>\n");
        } else {
          sb.append("<p class=\"stats\">").append(esc(s.stats().toString())).append(" · ")
              .append(count(s.graph())).append(" nodes</p>\n");
          List<LineDiff.Line> d = LineDiff.diff(lines(stages.get(i - 1).ir()), lines(s.ir()));
          if (LineDiff.unchanged(d)) {
            sb.append("<p class=\"dim\">No change.</p>\n");
          } else {
            sb.append("<pre class=\"diff\">");
            for (int j = 0; j < d.size(); j++) {
              LineDiff.Line l = d.get(j);
              if (l.tag() == LineDiff.Tag.SAME && !nearChange(d, j, 2)) {
                int k = j;
                while (k < d.size() && d.get(k).tag() == LineDiff.Tag.SAME && !nearChange(d, k, 2)) k++;
                sb.append("<span class=\"skip\">  … ").append(k - j).append(k - j == 1 ? " line" : " lines")
                    .append(" unchanged</span>");
                j = k - 1;
                continue;
              }
              switch (l.tag()) {
                case SAME -> sb.append("<span class=\"same\">  ").append(esc(l.text())).append("</span>");
                case REMOVED -> sb.append("<del>- ").append(esc(l.text())).append("</del>");
                case ADDED -> sb.append("<ins>+ ").append(esc(l.text())).append("</ins>");
              }
            }
            sb.append("</pre>\n");
          }
        }
        sb.append("<details><summary>IR after ").append(esc(s.name())).append("</summary><pre class=\"ir\">")
            .append(esc(s.ir())).append("</pre></details>\n</div>\n");
      }
      sb.append("</section>\n");
    }

    /** True when a changed line is within {@code context} lines of line {@code j}. */
    private static boolean nearChange(List<LineDiff.Line> d, int j, int context) {
      for (int k = Math.max(0, j - context); k <= Math.min(d.size() - 1, j + context); k++) {
        if (d.get(k).tag() != LineDiff.Tag.SAME) return true;
      }
      return false;
    }

    private static List<String> lines(String text) { return List.of(text.split("\n", -1)); }

    // ---- java and spec ----

    private static final Pattern CALL = Pattern.compile("^(\\s+)(\\w+)\\(");
    private static final Pattern METHOD = Pattern.compile("^  (?:private |public )?static \\S+ (\\w+)\\(");

    private void javaSource() {
      Set<String> kernelNames = new TreeSet<>(kernels.values());
      String specShort = shortName(spec.name());
      Pattern quote = Pattern.compile("(" + Pattern.quote(specShort) + "|" + Pattern.quote(Lowering.PRELUDE_NAME) + "):(\\d+):");
      sb.append("<section id=\"java\">\n<h2>Generated Java</h2>\n");
      sb.append("<p>Each kernel's comment quotes the spec lines it comes from; they link to the spec below.</p>\n");
      for (Map.Entry<String, String> e : new TreeMap<>(java).entrySet()) {
        sb.append("<h3><code>").append(esc(e.getKey().replace('.', '/'))).append(".java</code></h3>\n");
        String[] ls = e.getValue().split("\n", -1);
        String[] anchors = new String[ls.length];
        int docStart = -1;
        for (int i = 0; i < ls.length; i++) {
          if (ls[i].equals("  /**")) docStart = i;
          Matcher m = METHOD.matcher(ls[i]);
          if (m.find() && kernelNames.contains(m.group(1))) {
            anchors[docStart >= 0 && docStart < i ? docStart : i] = "k-" + m.group(1);
          }
          if (!ls[i].startsWith("  /**") && !ls[i].startsWith("   *")) {
            if (!ls[i].startsWith("  @")) docStart = -1;
          }
        }
        sb.append("<pre class=\"code java\">");
        int width = Integer.toString(ls.length).length();
        for (int i = 0; i < ls.length; i++) {
          if (i == ls.length - 1 && ls[i].isEmpty()) break;
          sb.append("<span class=\"line\"").append(anchors[i] == null ? "" : " id=\"" + anchors[i] + "\"").append(">")
              .append("<span class=\"ln\">").append(pad(i + 1, width)).append("</span> ");
          Matcher m = quote.matcher(ls[i]);
          int at = 0;
          while (m.find()) {
            sb.append(esc(ls[i].substring(at, m.start())));
            String anchor = (m.group(1).equals(specShort) ? "L" : "P") + m.group(2);
            sb.append("<a href=\"#").append(anchor).append("\">").append(esc(m.group())).append("</a>");
            at = m.end();
          }
          String rest = ls[i].substring(at);
          Matcher call = CALL.matcher(rest);
          if (call.find() && kernelNames.contains(call.group(2))) {
            sb.append(esc(call.group(1))).append("<a href=\"#k-").append(call.group(2)).append("\">").append(call.group(2))
                .append("</a>").append(esc(rest.substring(call.end(2))));
          } else {
            sb.append(esc(rest));
          }
          sb.append("</span>");
        }
        sb.append("</pre>\n");
      }
      sb.append("</section>\n");
    }

    private void specSource() {
      sb.append("<section id=\"spec\">\n<h2>Spec <code>").append(esc(shortName(spec.name()))).append("</code></h2>\n");
      source(spec, "L");
      boolean prelude = false;
      for (Graph gr : List.of(lowered, fin)) {
        for (Node n : gr.nodes()) {
          for (Loc place : n.loc().places()) prelude |= place.innermost(file -> file.equals(Lowering.PRELUDE_NAME)) != null;
        }
      }
      if (prelude) {
        sb.append("<h3>Standard layers <code>").append(esc(Lowering.PRELUDE_NAME)).append("</code></h3>\n");
        source(sources.get(Lowering.PRELUDE_NAME), "P");
      }
      sb.append("</section>\n");
    }

    private void source(SourceFile f, String prefix) {
      Set<Integer> used = new HashSet<>();
      for (Graph gr : List.of(lowered, fin)) {
        for (Node n : gr.nodes()) {
          // The node's lines and the calls that led to them.
          for (Loc place : n.loc().places()) {
            for (Loc l : place.chain()) if (l.isKnown() && l.file().equals(f.name())) used.add(l.line());
          }
        }
      }
      int width = Integer.toString(f.lineCount()).length();
      sb.append("<pre class=\"code spec\">");
      for (int i = 1; i <= f.lineCount(); i++) {
        sb.append("<span class=\"line").append(used.contains(i) ? " used" : "").append("\" id=\"").append(prefix).append(i)
            .append("\"><a class=\"ln\" href=\"#").append(prefix).append(i).append("\">").append(pad(i, width))
            .append("</a> ").append(esc(f.line(i))).append("</span>");
      }
      sb.append("</pre>\n");
    }
  }

  // ---- formatting ----

  static String esc(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\r' -> { }
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  private static String pad(int n, int width) {
    String s = Integer.toString(n);
    return " ".repeat(Math.max(0, width - s.length())) + s;
  }

  static String shortName(String path) {
    int slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
    return path.substring(slash + 1);
  }

  /** 1234567 → "1.23 M". */
  static String si(long n) {
    String[] units = {"", " k", " M", " G", " T", " P"};
    double v = n;
    int u = 0;
    while (Math.abs(v) >= 1000 && u < units.length - 1) {
      v /= 1000;
      u++;
    }
    return u == 0 ? Long.toString(n) : String.format(Locale.ROOT, "%.2f%s", v, units[u]);
  }

  /** 1536 → "1.50 KiB": {@link BufferPlan#bytes}. */
  static String bin(long n) {
    return BufferPlan.bytes(n);
  }

  private static String ratio(long flops, long bytes) {
    return bytes == 0 ? "–" : String.format(Locale.ROOT, "%.2f", (double) flops / bytes);
  }

  private static final String CSS = """
      body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
      header { background: #20242c; color: #f2f2f2; padding: 16px 28px 10px; }
      header h1 { margin: 0 0 4px; font-size: 24px; }
      header h1 small { font-weight: normal; color: #9aa4b2; font-size: 14px; }
      header code { color: #ffd59e; }
      nav a { color: #9cc9ff; margin-right: 14px; text-decoration: none; }
      main { padding: 8px 28px 40px; }
      section { margin: 22px 0 30px; }
      h2 { border-bottom: 2px solid #d8dce2; padding-bottom: 4px; font-size: 19px; }
      h3 { font-size: 15px; margin: 18px 0 6px; }
      .meta { margin: 4px 0; color: #c9ced6; }
      .notice { background: #fff3cd; color: #5c4400; border: 1px solid #e6cf85; padding: 6px 10px; border-radius: 4px; }
      .legend .chip { display: inline-block; padding: 1px 8px; border: 1px solid #bbb; border-radius: 10px; font-size: 12px; margin: 0 2px 2px 0; }
      .graphs { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; align-items: start; }
      figure { margin: 0; background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 8px; overflow: auto; }
      figcaption { font-weight: 600; margin-bottom: 6px; }
      img.graph { max-width: 100%; height: auto; display: block; margin: 0 auto; }
      table { border-collapse: collapse; background: #fff; width: 100%; }
      th, td { border: 1px solid #dde1e6; padding: 4px 8px; vertical-align: top; text-align: left; }
      th { background: #eef1f5; }
      td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
      td.shape { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
      tfoot td { font-weight: 600; background: #f4f6f8; }
      .dim { color: #6b7280; font-size: 12px; }
      pre { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 8px 10px; overflow-x: auto; font: 12px/1.4 ui-monospace, Menlo, Consolas, monospace; }
      pre .ln { color: #9aa0a8; user-select: none; text-decoration: none; }
      pre .line { display: block; }
      pre .line:target { background: #fff1a8; }
      pre.spec .used { background: #f1f7ff; }
      pre.diff > * { display: block; }
      pre.diff .skip { color: #9aa0a8; font-style: italic; }
      pre.diff del { display: block; background: #ffe4e4; color: #8a1c1c; text-decoration: none; }
      pre.diff ins { display: block; background: #e3f8e3; color: #1c5e1c; text-decoration: none; }
      pre.diff .same { color: #6b7280; }
      .stats { color: #374151; }
      details summary { cursor: pointer; color: #2563eb; margin: 4px 0; }
      a { color: #2563eb; }
      """;
}
