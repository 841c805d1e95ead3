package dev.heed.compiler.inspect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.heed.compiler.cli.HeedCli;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectReportTest {
  @TempDir Path tmp;

  @Test void sameSpecGivesSameBytes() throws IOException {
    InspectReport.Options o = InspectReport.Options.defaults().withDims(Map.of("batch", 2L, "seq", 16L));
    InspectReport.write(ReportFiles.multiHead(), tmp.resolve("a"), o);
    InspectReport.write(ReportFiles.multiHead(), tmp.resolve("b"), o);
    Map<String, byte[]> a = files(tmp.resolve("a")), b = files(tmp.resolve("b"));
    assertEquals(a.keySet(), b.keySet());
    for (String f : a.keySet()) assertArrayEquals(a.get(f), b.get(f), f + " differs between two runs");
    assertTrue(a.containsKey("index.html"));
    assertTrue(a.containsKey("assets/style.css"));
    // Rewriting replaces the folder as a whole and leaves no temporary folders beside it.
    InspectReport.write(ReportFiles.multiHead(), tmp.resolve("a"), o);
    assertEquals(a.keySet(), files(tmp.resolve("a")).keySet());
    try (Stream<Path> s = Files.list(tmp)) {
      assertEquals(List.of("a", "b"), s.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  @Test void reportExplainsKernelsFusionAndPasses() throws IOException {
    InspectReport.Report r = InspectReport.render(spec(), InspectReport.Options.defaults().withDims(Map.of("seq", 16L)));
    String html = new String(r.files().get("index.html"), StandardCharsets.UTF_8);
    for (String id : List.of("graphs", "kernels", "memory", "boundaries", "passes", "java", "spec")) {
      assertTrue(html.contains("<section id=\"" + id + "\">"), id);
    }
    assertTrue(html.contains("batch = 1, seq = 16"), "sizes line");
    assertTrue(html.contains("mha (fused: reshape → transpose → reshape → transpose → reshape → transpose → attention → "
        + "transpose → reshape)"), "fused ops");
    assertTrue(html.contains("epilogue fusion"), "boundary reasons");
    assertTrue(html.contains("<a href=\"#L19\">multi_head.heed:19:</a>"), "kernel quotes link to spec lines");
    assertTrue(html.contains("id=\"L19\""), "spec line anchors");
    assertTrue(html.contains("id=\"k-mha\""), "kernel anchors in the Java");
    assertTrue(html.contains("<h3>4. fuse-attention</h3>"), "pass sections");
    assertTrue(html.contains("<ins>+   %"), "diffs");
    assertFalse(html.contains("<script"), "no scripts");
  }

  /** A kernel of a standard layer links to the spec's line that called the layer, and that line is marked used. */
  @Test void standardLayerKernelsLinkToTheCallingLine() throws IOException {
    String spec = """
        model N {
          input x: f32[batch, seq, 8];
          output y = LayerNorm(x) as "ln";
        }
        """;
    InspectReport.Report r = InspectReport.render(new dev.heed.dsl.diag.SourceFile("n.heed", spec),
        InspectReport.Options.defaults().withDotCommand("/nonexistent/dot"));
    String html = new String(r.files().get("index.html"), StandardCharsets.UTF_8);
    String row = html.substring(html.indexOf("<a href=\"#k-layerNorm8\">"));
    row = row.substring(0, row.indexOf("</tr>"));
    assertTrue(row.contains("<a href=\"#L3\">3</a>"), row);
    assertTrue(html.contains("<span class=\"line used\" id=\"L3\">"), "the calling line is marked used");
    assertTrue(html.contains("<a href=\"#L3\">n.heed:3:</a> output y = LayerNorm(x) as &quot;ln&quot;;"), "the Java's quote links to it");
  }

  @Test void withoutGraphvizTheGraphsAreText() throws IOException {
    InspectReport.Report r = InspectReport.render(spec(), InspectReport.Options.defaults().withDotCommand("/nonexistent/dot"));
    assertEquals(1, r.notices().size());
    assertTrue(r.notices().get(0).contains("Graphviz 'dot' was not found"), r.notices().toString());
    String html = new String(r.files().get("index.html"), StandardCharsets.UTF_8);
    assertTrue(html.contains("class=\"notice\" id=\"notice\">Graphviz"));
    assertTrue(html.contains("<pre class=\"tree\">output out\n"), "text tree");
    assertTrue(html.contains("<summary>DOT source</summary><pre>digraph"), "dot source");
    assertFalse(r.files().keySet().stream().anyMatch(f -> f.endsWith(".svg")));
  }

  @Test void refusesAFolderThatIsNoReport() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("mine"));
    Files.writeString(dir.resolve("notes.txt"), "keep me");
    IOException e = assertThrows(IOException.class,
        () -> InspectReport.write(ReportFiles.multiHead(), dir, InspectReport.Options.defaults()));
    assertTrue(e.getMessage().contains("holds no heed report"), e.getMessage());
    assertEquals("keep me", Files.readString(dir.resolve("notes.txt")));
  }

  @Test void refusesAFolderWhoseIndexIsNotAReportAndTheCurrentFolder() throws IOException {
    Path site = Files.createDirectories(tmp.resolve("site"));
    Files.writeString(site.resolve("index.html"), "<html><title>my site</title></html>");
    Files.writeString(site.resolve("data.csv"), "keep me");
    IOException e = assertThrows(IOException.class,
        () -> InspectReport.write(ReportFiles.multiHead(), site, InspectReport.Options.defaults()));
    assertTrue(e.getMessage().contains("holds no heed report"), e.getMessage());
    assertEquals("keep me", Files.readString(site.resolve("data.csv")));

    for (Path here : List.of(Path.of("."), Path.of("").toAbsolutePath().getParent())) {
      IOException c = assertThrows(IOException.class,
          () -> InspectReport.write(ReportFiles.multiHead(), here, InspectReport.Options.defaults()));
      assertTrue(c.getMessage().contains("is the current folder or holds it"), c.getMessage());
    }
  }

  @Test void aReportIsMarkedAndReplacedAndItsFoldersFollowTheUmask() throws IOException {
    Path report = tmp.resolve("r");
    InspectReport.write(ReportFiles.multiHead(), report, InspectReport.Options.defaults());
    assertTrue(Files.isRegularFile(report.resolve(InspectReport.MARKER)));
    Files.writeString(report.resolve("stale.txt"), "from before");
    InspectReport.write(ReportFiles.multiHead(), report, InspectReport.Options.defaults());
    assertFalse(Files.exists(report.resolve("stale.txt")), "the report folder is replaced whole");
    // A report written before the marker existed: its index.html names heed inspect.
    Files.delete(report.resolve(InspectReport.MARKER));
    InspectReport.write(ReportFiles.multiHead(), report, InspectReport.Options.defaults());
    assertTrue(Files.isRegularFile(report.resolve(InspectReport.MARKER)));

    Path plain = Files.createDirectory(tmp.resolve("plain"));
    assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(report));
    assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(report.resolve("assets")));
  }

  @Test void peakMemoryCountsLiveBuffersAndViews() throws IOException {
    var g = dev.heed.compiler.lower.Lowering.lower(dev.heed.dsl.SpecParser.parse(spec()));
    Costs c = new Costs(Map.of("batch", 2L, "seq", 10L));
    Costs.Peak p = c.peak(g);
    // At least the input x [2, 10, 48] f32 and one more buffer of that size are live at the peak.
    assertTrue(p.bytes() >= 2 * 2 * 10 * 48 * 4, String.valueOf(p));
    assertFalse(p.liveAtPeak().isEmpty());
  }

  @Test void peakMemoryIsTheBufferPlansWorkspace() throws IOException {
    InspectReport.Report r = InspectReport.render(spec(), InspectReport.Options.defaults().withDims(Map.of("batch", 2L, "seq", 16L)));
    String html = new String(r.files().get("index.html"), StandardCharsets.UTF_8);
    var g = dev.heed.compiler.HeedCompiler.compile(spec(), dev.heed.compiler.HeedCompiler.Options.defaults(), s -> { }).ir();
    var plan = dev.heed.compiler.emit.BufferPlan.of(g);
    long bytes = plan.workspaceBytes(s -> s.equals("batch") ? 2 : 16);
    assertTrue(bytes > 0);
    assertTrue(html.contains("id=\"peak-final\">" + InspectReport.bin(bytes) + "<"), html);
    assertTrue(html.contains("<code>" + plan.formula() + "</code> bytes"), "the workspace formula");
    assertTrue(html.contains("<table class=\"slots\">"), "the slots");
    Costs.Planned p = new Costs(Map.of("batch", 2L, "seq", 16L)).planned(g);
    assertEquals(bytes, p.workspaceBytes());
    assertTrue(p.workspaceBytes() < p.unplannedBytes(), "slots are shared");
  }

  @Test void cliWritesTheReport() throws IOException {
    StringWriter out = new StringWriter(), err = new StringWriter();
    Path dir = tmp.resolve("report");
    int code = HeedCli.execute(new PrintWriter(out), new PrintWriter(err), "inspect", ReportFiles.multiHead().toString(),
        "-o", dir.toString(), "--batch", "2", "--dim", "seq=8");
    assertEquals(0, code, err.toString());
    assertTrue(out.toString().contains("wrote " + dir.resolve("index.html")), out.toString());
    assertTrue(Files.readString(dir.resolve("index.html")).contains("batch = 2, seq = 8"));

    StringWriter err2 = new StringWriter();
    int bad = HeedCli.execute(new PrintWriter(new StringWriter()), new PrintWriter(err2), "inspect",
        ReportFiles.multiHead().toString(), "-o", dir.toString(), "--seq", "0");
    assertEquals(HeedCli.EXIT_USAGE, bad);
    assertTrue(err2.toString().contains("--seq: expected a whole number from 1 to 2147483647, got '0'"), err2.toString());

    StringWriter err4 = new StringWriter();
    int typo = HeedCli.execute(new PrintWriter(new StringWriter()), new PrintWriter(err4), "inspect",
        ReportFiles.multiHead().toString(), "-o", dir.toString(), "--dim", "sequence=8");
    assertEquals(HeedCli.EXIT_USAGE, typo, err4.toString());
    assertTrue(err4.toString().contains("no symbolic dimension 'sequence' in model MultiHead (its symbols: batch, seq)"),
        err4.toString());

    StringWriter err5 = new StringWriter();
    int huge = HeedCli.execute(new PrintWriter(new StringWriter()), new PrintWriter(err5), "inspect",
        ReportFiles.multiHead().toString(), "-o", dir.toString(), "--batch", "2147483647", "--seq", "2147483647");
    assertEquals(HeedCli.EXIT_USAGE, huge, err5.toString());
    assertTrue(err5.toString().contains("more than a Java array holds"), err5.toString());

    Path mine = Files.createDirectories(tmp.resolve("mine"));
    Files.writeString(mine.resolve("notes.txt"), "keep me");
    StringWriter err3 = new StringWriter();
    int refused = HeedCli.execute(new PrintWriter(new StringWriter()), new PrintWriter(err3), "inspect",
        ReportFiles.multiHead().toString(), "-o", mine.toString());
    assertEquals(HeedCli.EXIT_ERROR, refused, err3.toString());
    assertEquals("heed: error: " + mine + " is a folder that holds no heed report; "
        + "choose a new or empty folder\n", err3.toString());
  }

  @Test void everyExampleRenders() throws IOException {
    List<Path> specs;
    try (Stream<Path> s = Files.walk(ReportFiles.repoRoot().resolve("examples"))) {
      specs = s.filter(p -> p.toString().endsWith(".heed")).sorted().toList();
    }
    assertTrue(specs.size() >= 8, specs.toString());
    for (Path p : specs) {
      InspectReport.Report r = InspectReport.render(new dev.heed.dsl.diag.SourceFile(p.toString(), Files.readString(p)),
          InspectReport.Options.defaults());
      String html = new String(r.files().get("index.html"), StandardCharsets.UTF_8);
      assertTrue(html.contains("<section id=\"boundaries\">"), p.toString());
      assertTrue(html.endsWith("</html>\n"), p.toString());
    }
  }

  private static dev.heed.dsl.diag.SourceFile spec() throws IOException {
    return new dev.heed.dsl.diag.SourceFile("examples/attention/multi_head.heed", Files.readString(ReportFiles.multiHead()));
  }

  private static Map<String, byte[]> files(Path dir) throws IOException {
    Map<String, byte[]> m = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) m.put(dir.relativize(p).toString(), Files.readAllBytes(p));
    }
    return m;
  }
}
