package dev.heed.compiler.emit.tornado;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the jvm target's model class into the model class of a tornadovm build: the same class,
 * whose constructor asks {@code dev.heed.runtime.accel.Accelerators} for the TornadoVM forward
 * pass (by class name, so nothing links to TornadoVM) and whose {@code forward} delegates to it
 * when there is one. Everything else, the jvm kernels included, is the jvm target's code, byte
 * for byte: they are the fallback.
 *
 * <p>The jvm emitter is used as a library, so this edits its output at a few fixed anchors (the
 * class declaration, the constructor, {@code forward}, the imports); a missing anchor is an
 * internal error naming it.
 */
final class JvmDelegation {
  private static final String ACCELERATORS = "dev.heed.runtime.accel.Accelerators";

  private JvmDelegation() {}

  /**
   * @param source the jvm class's source
   * @param simpleName its simple name
   * @param modelName the model's name (for messages)
   * @param tornadoClass the fully qualified name of the TornadoVM class
   * @param outputs how many outputs {@code forward} returns
   */
  static String patch(String source, String simpleName, String modelName, String tornadoClass, int outputs) {
    String acc = simpleName.equals("Accelerators") ? ACCELERATORS : "Accelerators";
    String s = source;
    if (acc.equals("Accelerators")) s = addImport(s, ACCELERATORS);

    // The class comment says where forward runs.
    String decl = "\n */\npublic final class " + simpleName + " implements ";
    s = insertBefore(s, decl, "\n *\n * <p>Built for target {@code tornadovm}: {@link #forward} runs on TornadoVM ({@link "
        + tornadoClass.substring(tornadoClass.lastIndexOf('.') + 1) + "}) when its classes and a device are\n"
        + " * present, else these jvm kernels, after a one-line notice; see {@link " + ACCELERATORS + "}.", "class comment");

    // The field, first in the class body.
    String open = "public final class " + simpleName + " implements ";
    int classLine = s.indexOf(open);
    int brace = classLine < 0 ? -1 : s.indexOf("{\n", classLine);
    if (brace < 0) throw missing("class declaration");
    s = s.substring(0, brace + 2)
        + "  /**\n"
        + "   * The forward pass on TornadoVM, or null when this JVM runs the jvm kernels below (TornadoVM\n"
        + "   * missing, no device, or -D" + "heed.tornado=off).\n"
        + "   */\n"
        + "  private final " + acc + ".Accelerated accelerated;\n\n"
        + s.substring(brace + 2);

    // The constructor loads it last, after the jvm kernels' weights.
    String ctor = "  public " + simpleName + "(Weights weights) {\n";
    int c = s.indexOf(ctor);
    if (c < 0) throw missing("constructor");
    int end = s.indexOf("\n  }\n", c);
    if (end < 0) throw missing("end of the constructor");
    s = s.substring(0, end + 1)
        + "    this.accelerated = " + acc + ".load(" + simpleName + ".class, \"" + tornadoClass + "\", \""
        + javaString(modelName) + "\", weights);\n"
        + s.substring(end + 1);

    // forward delegates first.
    Matcher m = Pattern.compile("  public Outputs forward\\(([^)]*)\\) \\{\n").matcher(s);
    if (!m.find()) throw missing("forward");
    List<String> params = new ArrayList<>();
    for (String p : m.group(1).split(",")) {
      String t = p.strip();
      if (!t.isEmpty()) params.add(t.substring(t.lastIndexOf(' ') + 1));
    }
    List<String> results = new ArrayList<>();
    for (int i = 0; i < outputs; i++) results.add("result[" + i + "]");
    String delegate = "    if (this.accelerated != null) {\n"
        + "      // On TornadoVM: the same graph as one TaskGraph (null: TornadoVM failed, run the jvm kernels).\n"
        + "      Tensor[] result = this.accelerated.forward(" + String.join(", ", params) + ");\n"
        + "      if (result != null) return new Outputs(" + String.join(", ", results) + ");\n"
        + "    }\n";
    return s.substring(0, m.end()) + delegate + s.substring(m.end());
  }

  private static String insertBefore(String s, String anchor, String text, String what) {
    int i = s.indexOf(anchor);
    if (i < 0) throw missing(what);
    return s.substring(0, i) + text + s.substring(i);
  }

  /** Adds {@code import fqcn;} keeping the import block sorted. */
  private static String addImport(String s, String fqcn) {
    String line = "import " + fqcn + ";";
    List<String> lines = new ArrayList<>(List.of(s.split("\n", -1)));
    int first = -1, last = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith("import ")) {
        if (first < 0) first = i;
        last = i;
      }
    }
    if (first < 0) throw missing("imports");
    List<String> imports = new ArrayList<>(lines.subList(first, last + 1));
    if (!imports.contains(line)) imports.add(line);
    imports.sort(String::compareTo);
    List<String> out = new ArrayList<>(lines.subList(0, first));
    out.addAll(imports);
    out.addAll(lines.subList(last + 1, lines.size()));
    return String.join("\n", out);
  }

  private static String javaString(String s) {
    StringBuilder sb = new StringBuilder();
    for (char ch : s.toCharArray()) {
      if (ch == '"' || ch == '\\') sb.append('\\').append(ch);
      else if (ch < 0x20 || ch == 0x7f) sb.append(String.format("\\%03o", (int) ch));
      else sb.append(ch);
    }
    return sb.toString();
  }

  private static IllegalStateException missing(String what) {
    return new IllegalStateException("tornadovm: cannot add TornadoVM delegation to the jvm model class: its " + what
        + " is not where heed expects it (the jvm emitter changed; update JvmDelegation)");
  }
}
