package dev.heed.compiler.emit;

import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Node;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which generated kernel method computes each IR node, for tools that explain the emitted
 * code ({@code heed inspect}). Walks the graph the way {@link JvmEmitter} does, so the names
 * are the ones in the generated class.
 */
public final class KernelNames {
  private KernelNames() {}

  /**
   * Kernel method name by node name, in node order; nodes with no code of their own
   * (inputs, params, constants, reshapes) are absent.
   */
  public static Map<String, String> of(Graph g) {
    JvmKernels kernels = new JvmKernels(g, loc -> null);
    Map<String, String> names = new LinkedHashMap<>();
    for (Node n : g.nodes()) {
      switch (n.op()) {
        case INPUT, PARAM, CONSTANT, RESHAPE -> { }
        default -> names.put(n.name(), kernels.kernelFor(n).method());
      }
    }
    return names;
  }
}
