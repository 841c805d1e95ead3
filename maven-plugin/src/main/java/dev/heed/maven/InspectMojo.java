package dev.heed.maven;

import dev.heed.compiler.inspect.InspectReport;
import dev.heed.dsl.diag.HeedException;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Writes {@code heed inspect}'s HTML report for every spec of the project: the graph before
 * and after the passes, the kernels with their costs, fusion boundaries, the IR after each
 * pass and the generated Java linked to the spec. {@code mvn heed:inspect} puts
 * {@code src/main/heed/a/b.heed}'s report in {@code target/heed-report/a/b/index.html}.
 * Not bound to a phase.
 */
@Mojo(name = "inspect", threadSafe = true)
public final class InspectMojo extends AbstractMojo {
  /** The folder holding the specs. */
  @Parameter(property = "heed.sourceDirectory", defaultValue = "${project.basedir}/src/main/heed", required = true)
  private File sourceDirectory;

  /** Where the reports go, one folder per spec. */
  @Parameter(property = "heed.inspect.outputDirectory", defaultValue = "${project.build.directory}/heed-report",
      required = true)
  private File outputDirectory;

  /** Ant-style patterns of the specs to inspect; default {@code **}{@code /*.heed}. */
  @Parameter
  private List<String> includes;

  /** Ant-style patterns of files to leave out. */
  @Parameter
  private List<String> excludes;

  /** Size of the symbol {@code batch} for the costs (default 1). */
  @Parameter(property = "heed.inspect.batch")
  private Long batch;

  /** Size of the symbol {@code seq} for the costs (default 128). */
  @Parameter(property = "heed.inspect.seq")
  private Long seq;

  /** Sizes of any symbolic dimensions, e.g. {@code <dims><src_seq>64</src_seq></dims>}; others are 128. */
  @Parameter
  private Map<String, String> dims;

  /** Skip the goal. */
  @Parameter(property = "heed.skip", defaultValue = "false")
  private boolean skip;

  /** Creates the mojo; Maven sets its fields. */
  public InspectMojo() {}

  @Override
  public void execute() throws MojoExecutionException, MojoFailureException {
    if (skip) {
      getLog().info("heed: skipped (heed.skip)");
      return;
    }
    Map<String, Long> sizes = new TreeMap<>();
    try {
      if (dims != null) dims.forEach((k, v) -> sizes.put(k, Long.parseLong(v.strip())));
    } catch (NumberFormatException e) {
      throw new MojoFailureException("heed: <dims> sizes must be whole numbers: " + dims);
    }
    if (batch != null) sizes.put("batch", batch);
    if (seq != null) sizes.put("seq", seq);
    if (sizes.values().stream().anyMatch(n -> n < 1)) throw new MojoFailureException("heed: sizes must be positive: " + sizes);
    Path sources = sourceDirectory.toPath().toAbsolutePath().normalize();
    List<String> specs;
    try {
      specs = SpecScanner.scan(sources, includes, excludes);
    } catch (IllegalArgumentException e) {
      throw new MojoFailureException("heed: " + e.getMessage());
    } catch (IOException e) {
      throw new MojoExecutionException("heed: cannot list the specs in " + sources + ": " + e, e);
    }
    try {
      for (Path index : inspectAll(sources, specs, outputDirectory.toPath(), sizes, getLog()::warn)) {
        getLog().info("heed: wrote " + index);
      }
    } catch (HeedException e) {
      getLog().error(e.render());
      throw new MojoFailureException("heed: errors in a spec: " + e.getMessage());
    } catch (IOException e) {
      throw new MojoExecutionException("heed: " + e.getMessage(), e);
    }
  }

  /**
   * Writes one report per spec ({@code rel} paths under {@code sources}) into {@code out};
   * returns the index.html files written. Notices (Graphviz missing) go to {@code warn}, once.
   */
  static List<Path> inspectAll(Path sources, List<String> specs, Path out, Map<String, Long> sizes,
      Consumer<String> warn) throws IOException {
    List<Path> written = new ArrayList<>();
    List<String> warned = new ArrayList<>();
    InspectReport.Options options = InspectReport.Options.defaults().withDims(sizes);
    for (String rel : specs) {
      String name = rel.endsWith(".heed") ? rel.substring(0, rel.length() - ".heed".length()) : rel;
      Path dir = out.resolve(name);
      InspectReport.Report r = InspectReport.write(sources.resolve(rel), dir, options);
      for (String n : r.notices()) {
        if (!warned.contains(n)) {
          warned.add(n);
          warn.accept("heed: " + n);
        }
      }
      written.add(dir.resolve("index.html"));
    }
    return written;
  }
}
