package dev.heed.compiler.inspect;

import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * IR graphs as Graphviz DOT (one colour per {@link Op.Kind}, labels {@code op} and shape),
 * rendered to SVG by the {@code dot} program when it is installed, and as an indented text
 * tree for when it is not.
 */
public final class GraphPictures {
  private GraphPictures() {}

  /** Fill colour of each op kind, also the report's legend. */
  public static String colour(Op.Kind kind) {
    return switch (kind) {
      case SOURCE -> "#eeeeee";
      case ELEMENTWISE -> "#cfe8ff";
      case GEMM -> "#ffd59e";
      case LAYOUT -> "#e2d4f7";
      case REDUCTION -> "#c8f0c8";
      case GATHER -> "#f7d4e4";
      case GENERATOR -> "#fff4b3";
      case FUSED -> "#ff9c8a";
    };
  }

  /**
   * The graph in DOT: values flow top to bottom, each node labelled {@code %name = op} and its
   * type. Parameters and constants are not drawn as nodes of their own but listed in the label
   * of the node that reads them, which keeps the picture narrow; {@code notes} adds lines
   * under a node's label (e.g. what a fused node replaced).
   */
  public static String dot(Graph g, Map<String, String> notes) {
    Map<String, Node> byName = g.byName();
    StringBuilder sb = new StringBuilder();
    sb.append("digraph ").append(quote(g.name())).append(" {\n");
    sb.append("  graph [rankdir=TB, fontname=\"Helvetica\", nodesep=0.3, ranksep=0.3];\n");
    sb.append("  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=11];\n");
    sb.append("  edge [color=\"#777777\", arrowsize=0.6];\n");
    for (Node n : g.nodes()) {
      if (folded(n)) continue;
      StringBuilder label = new StringBuilder("%").append(n.name()).append(" = ").append(n.op().irName());
      if (n.op() == Op.INPUT && !n.strAttr("name").equals(n.name())) label.append(" ").append(n.strAttr("name"));
      label.append("\n").append(n.type() == null ? "?" : n.type().toString());
      for (String o : n.operands()) {
        Node d = byName.get(o);
        if (d.op() == Op.PARAM) label.append("\n").append(d.strAttr("name")).append(" ").append(d.type() == null ? "" : d.type().shape());
        if (d.op() == Op.CONSTANT) label.append("\n").append("constant ").append((float) d.floatAttr("value"));
      }
      String note = notes.get(n.name());
      if (note != null) label.append("\n").append(wrap(note, 32));
      sb.append("  ").append(quote(n.name())).append(" [label=").append(quote(label.toString()))
          .append(", fillcolor=").append(quote(colour(n.op().kind()))).append("];\n");
    }
    for (Node n : g.nodes()) {
      if (folded(n)) continue;
      for (String o : n.operands()) {
        if (!folded(byName.get(o))) sb.append("  ").append(quote(o)).append(" -> ").append(quote(n.name())).append(";\n");
      }
    }
    for (Graph.Output o : g.outputs()) {
      String id = "output " + o.name();
      sb.append("  ").append(quote(id)).append(" [label=").append(quote("output " + o.name()))
          .append(", shape=oval, fillcolor=\"#ffffff\"];\n");
      sb.append("  ").append(quote(o.value())).append(" -> ").append(quote(id)).append(";\n");
    }
    return sb.append("}\n").toString();
  }

  /** Params and constants read by some node appear in its label, not as nodes. */
  private static boolean folded(Node n) {
    return n.op() == Op.PARAM || n.op() == Op.CONSTANT;
  }

  /** Breaks {@code text} at spaces into lines of about {@code width} characters. */
  static String wrap(String text, int width) {
    StringBuilder sb = new StringBuilder();
    int line = 0;
    for (String w : text.split(" ")) {
      if (line > 0 && line + 1 + w.length() > width) {
        sb.append('\n');
        line = 0;
      } else if (line > 0) {
        sb.append(' ');
        line++;
      }
      sb.append(w);
      line += w.length();
    }
    return sb.toString();
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
  }

  /** The {@code dot} program: {@code command} itself when it is a path, else found on PATH. */
  public static Optional<Path> findDot(String command) {
    if (command.contains(File.separator)) {
      Path p = Path.of(command);
      return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
    }
    String path = System.getenv("PATH");
    if (path == null) return Optional.empty();
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) continue;
      Path p = Path.of(dir, command);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) return Optional.of(p);
    }
    return Optional.empty();
  }

  /** Runs {@code dot -Tsvg} on {@code dotText}; the SVG. */
  public static String svg(Path dot, String dotText) throws IOException {
    Process p = new ProcessBuilder(dot.toString(), "-Tsvg").redirectErrorStream(false).start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Thread errReader = Thread.ofVirtual().start(() -> copy(p.getErrorStream(), err));
    Thread outReader = Thread.ofVirtual().start(() -> copy(p.getInputStream(), out));
    try (OutputStream in = p.getOutputStream()) {
      in.write(dotText.getBytes(StandardCharsets.UTF_8));
    }
    try {
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(dot + " -Tsvg took longer than 120 s");
      }
      outReader.join();
      errReader.join();
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + dot, e);
    }
    if (p.exitValue() != 0) {
      throw new IOException(dot + " -Tsvg failed (exit " + p.exitValue() + "): " + err.toString(StandardCharsets.UTF_8).strip());
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static void copy(InputStream in, ByteArrayOutputStream out) {
    try (in) {
      in.transferTo(out);
    } catch (IOException e) {
      // The process's exit status reports the failure.
    }
  }

  /**
   * The graph as an indented tree, from each output back through its operands; a value
   * already shown is written once more as {@code %name (above)}.
   */
  public static String textTree(Graph g) {
    Map<String, Node> byName = g.byName();
    StringBuilder sb = new StringBuilder();
    Set<String> shown = new HashSet<>();
    for (Graph.Output o : g.outputs()) {
      sb.append("output ").append(o.name()).append('\n');
      tree(byName.get(o.value()), byName, 1, shown, sb);
    }
    return sb.toString();
  }

  private static void tree(Node n, Map<String, Node> byName, int depth, Set<String> shown, StringBuilder sb) {
    sb.append("  ".repeat(depth)).append('%').append(n.name()).append(" = ").append(n.op().irName());
    if (n.type() != null) sb.append(" : ").append(n.type());
    if (!shown.add(n.name()) && !n.operands().isEmpty()) {
      sb.append("  (above)\n");
      return;
    }
    sb.append('\n');
    List<String> ops = n.operands();
    for (String o : ops) tree(byName.get(o), byName, depth + 1, shown, sb);
  }
}
