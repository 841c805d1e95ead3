package dev.heed.compiler.emit;

import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Node;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which generated kernel method computes each IR node, for tools that explain the emitted
 * code ({@code heed inspect}, {@code heed emit --stage plan}). Makes the kernels in the order
 * {@link JvmEmitter} does (load-time values first, then {@code forward}'s kernels), so the
 * names are the ones in the generated class.
 */
public final class KernelNames {
  private KernelNames() {}

  /**
   * Kernel method name by node name, for the kernels {@code forward} runs, in order; nodes
   * with no code of their own (inputs, params, constants, views) and load-time values are
   * absent.
   */
  public static Map<String, String> of(Graph g) {
    return of(BufferPlan.of(g));
  }

  /** {@link #of(Graph)} for a graph already planned. */
  public static Map<String, String> of(BufferPlan plan) {
    JvmKernels kernels = new JvmKernels(plan, loc -> null);
    for (Node n : plan.loadTime()) kernels.kernelFor(n);
    Map<String, String> names = new LinkedHashMap<>();
    for (Node n : plan.kernels()) names.put(n.name(), kernels.kernelFor(n).method());
    return names;
  }
}
