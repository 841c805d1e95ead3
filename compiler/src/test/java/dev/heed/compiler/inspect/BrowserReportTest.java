package dev.heed.compiler.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opens the report for examples/attention/multi_head.heed in headless Chromium: the DOM has
 * every section and the graph pictures, nothing is logged to the console, and a screenshot is
 * kept as {@code <build dir>/heed-report.png}. Needs Chromium ({@code /usr/bin/chromium}, or
 * {@code HEED_CHROMIUM}) and Graphviz; {@code .ci/run} installs both in CI.
 */
class BrowserReportTest {
  @TempDir Path profile;

  @Test void reportRendersInChromium() throws Exception {
    Path chromium = Path.of(System.getenv().getOrDefault("HEED_CHROMIUM", "/usr/bin/chromium"));
    if (!Files.isExecutable(chromium)) {
      fail("Chromium is needed to test the inspect report in a browser and " + chromium + " is missing: "
          + "install it (Debian: apt-get install chromium) or point HEED_CHROMIUM at a Chromium binary");
    }
    Path report = ReportFiles.buildDir().resolve("heed-report");
    InspectReport.Report r = InspectReport.write(ReportFiles.multiHead(), report,
        InspectReport.Options.defaults().withDims(Map.of("batch", 2L, "seq", 64L)));
    assertEquals(List.of(), r.notices(), "Graphviz 'dot' is needed for the pictures (apt-get install graphviz)");
    String url = report.resolve("index.html").toUri().toString();

    Run dom = chromium(chromium, "--dump-dom", url);
    for (String id : List.of("graphs", "kernels", "memory", "boundaries", "passes", "java", "spec")) {
      assertTrue(dom.out().contains("<section id=\"" + id + "\">"), "section " + id + " missing from the DOM");
    }
    assertTrue(dom.out().contains("src=\"assets/graph-lowered.svg\""), "lowered graph picture");
    assertTrue(dom.out().contains("src=\"assets/graph-final.svg\""), "final graph picture");
    assertTrue(dom.out().contains("<td><a href=\"#k-mha\"><code>mha</code></a></td>"), "kernel table row");
    assertConsoleClean(dom);
    // Chromium does not log a missing local file: check every asset the page names exists.
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?:src|href)=\"(assets/[^\"#]+)\"").matcher(dom.out());
    int assets = 0;
    while (m.find()) {
      assets++;
      assertTrue(Files.isRegularFile(report.resolve(m.group(1))), "the page links " + m.group(1) + ", which is missing");
    }
    assertTrue(assets >= 5, "stylesheet, two pictures and their DOT and SVG links");

    Path png = ReportFiles.buildDir().resolve("heed-report.png");
    Files.deleteIfExists(png);
    Run shot = chromium(chromium, "--screenshot=" + png, "--window-size=1280,2000", url);
    assertConsoleClean(shot);
    assertTrue(Files.size(png) > 10_000, "screenshot " + png + " is suspiciously small");
  }

  private record Run(String out, String err) {}

  private Run chromium(Path chromium, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0"));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(profile.getParent(), "chromium-out", ".txt");
    Path err = Files.createTempFile(profile.getParent(), "chromium-err", ".txt");
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(180, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      fail("chromium did not finish in 180 s: " + String.join(" ", cmd));
    }
    Run run = new Run(Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    Files.delete(out);
    Files.delete(err);
    assertEquals(0, p.exitValue(), "chromium failed:\n" + run.err());
    return run;
  }

  /** Page errors and console messages appear in Chromium's log as {@code CONSOLE(...)} lines. */
  private static void assertConsoleClean(Run run) {
    List<String> bad = run.err().lines()
        .filter(l -> l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("Failed to load resource")
            || l.contains("Not allowed to load local resource"))
        .toList();
    assertEquals(List.of(), bad, "the page logged to the console");
  }
}
