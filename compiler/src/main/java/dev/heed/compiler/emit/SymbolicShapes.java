package dev.heed.compiler.emit;

import dev.heed.compiler.ir.Dim;
import dev.heed.compiler.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * Tensor types as text in which symbolic sizes are numbered by first appearance
 * ({@code f32[$0,$1,384,]}), so that nodes whose shapes differ only in the names of their symbols
 * get one kernel, taking the symbols as arguments in {@link #symbols()}'s order. One instance
 * per node: both emitters key their kernels on it.
 */
public final class SymbolicShapes {
  private final List<String> symbols = new ArrayList<>();

  /** {@code t} with its symbols numbered, numbering symbols not seen before in this instance. */
  public String canon(TensorType t) {
    StringBuilder sb = new StringBuilder(t.dtype().irName()).append('[');
    for (Dim d : t.shape()) {
      if (d instanceof Dim.Sym sym) {
        int i = symbols.indexOf(sym.name());
        if (i < 0) {
          symbols.add(sym.name());
          i = symbols.size() - 1;
        }
        sb.append('$').append(i);
      } else {
        sb.append(d);
      }
      sb.append(',');
    }
    return sb.append(']').toString();
  }

  /** The symbols seen so far, in the order {@link #canon} numbered them: live, not a copy. */
  public List<String> symbols() {
    return symbols;
  }
}
