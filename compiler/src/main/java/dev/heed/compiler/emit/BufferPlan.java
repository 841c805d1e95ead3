package dev.heed.compiler.emit;

import dev.heed.compiler.ir.Dim;
import dev.heed.compiler.ir.Graph;
import dev.heed.compiler.ir.Node;
import dev.heed.compiler.ir.Op;
import dev.heed.compiler.ir.TensorType;
import dev.heed.compiler.passes.KernelPlan;
import dev.heed.runtime.DType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * Where every value of a graph lives when the generated {@code forward} runs, and which
 * buffers share memory.
 *
 * <p>Each node is a <b>source</b> (an input, a parameter or a constant), a <b>load-time
 * value</b> (computed once from the weights, in the constructor: {@link KernelPlan#isLoadTime}),
 * a <b>view</b> (a reshape, or a slice that multi-head attention reads in place: no code, its
 * consumers read its root's buffer) or a <b>kernel</b>, which writes a buffer of its own
 * ({@link KernelPlan#kernels}). Walking the kernels in order, each kernel's buffer is live from
 * its kernel to the last kernel that reads it, directly or through views. Buffers that are
 * model outputs are allocated per call (the caller keeps them); every other buffer goes to a
 * <b>slot</b> of the call's workspace ({@code float[]} and {@code long[]} slots separately),
 * chosen so that
 * <ul>
 *   <li>buffers whose lifetimes overlap never share a slot, so a kernel's output never shares
 *       one with its own inputs (no kernel is asked to work in place);
 *   <li>a free slot whose size expression matches the buffer's is preferred, then the free slot
 *       closest in size (growing it is cheaper than a new slot), unless the buffer would use
 *       less than a quarter of it; otherwise a new slot is opened.
 * </ul>
 * Sizes are symbolic ({@code batch·seq·384}); a slot holds, at run time, the largest of its
 * buffers' sizes with the symbols bound. Slot choices compare sizes at batch = 8 and every other
 * symbol 128.
 */
public final class BufferPlan {
  /** What a node is to the generated code. */
  public enum Role { SOURCE, LOAD_TIME, VIEW, KERNEL }

  /**
   * An element count: {@code known} times the product of {@code symbols} (in shape order,
   * repeated when a symbol occurs twice).
   */
  public record Size(long known, List<String> symbols) {
    public Size {
      symbols = List.copyOf(symbols);
    }

    /** The element count of {@code t}. */
    public static Size of(TensorType t) {
      long known = 1;
      List<String> syms = new ArrayList<>();
      for (Dim d : t.shape()) {
        if (d instanceof Dim.Known k) known *= k.size();
        else syms.add(((Dim.Sym) d).name());
      }
      return new Size(known, syms);
    }

    /** Equal for sizes that are the same product, whatever the order of their symbols. */
    String key() {
      List<String> s = new ArrayList<>(symbols);
      Collections.sort(s);
      return String.join("*", s) + "*" + known;
    }

    /** True when this size is at least {@code o} for every binding of the symbols (each ≥ 1). */
    boolean dominates(Size o) {
      if (known < o.known) return false;
      List<String> mine = new ArrayList<>(symbols);
      for (String s : o.symbols) if (!mine.remove(s)) return false;
      return true;
    }

    /** The count with each symbol's size from {@code sizeOf}. */
    public long eval(ToLongFunction<String> sizeOf) {
      long n = known;
      for (String s : symbols) n *= sizeOf.applyAsLong(s);
      return n;
    }

    /** The Java expression, as {@link JvmKernels#size} writes it: {@code batch * seq * 384}. */
    public String java() {
      List<String> parts = new ArrayList<>();
      for (String s : symbols) parts.add(JvmKernels.symVar(s));
      if (known != 1 || parts.isEmpty()) parts.add(Long.toString(known));
      return String.join(" * ", parts);
    }

    /** {@code batch·seq·384}. */
    @Override public String toString() {
      List<String> parts = new ArrayList<>(symbols);
      if (known != 1 || parts.isEmpty()) parts.add(Long.toString(known));
      return String.join("·", parts);
    }
  }

  /** Where a kernel's buffer lives. */
  public enum Home { SLOT, OUTPUT }

  /**
   * One kernel's buffer.
   *
   * @param value the kernel node's name
   * @param kernel index of the kernel that writes it, in {@link #kernels()}
   * @param lastUse index of the last kernel that reads it (itself when none does)
   * @param home a workspace slot, or allocated per call because it is a model output
   * @param slot the slot's index among the slots of its element type; -1 for outputs
   */
  public record Buffer(String value, TensorType type, Size size, int kernel, int lastUse, Home home, int slot) {
    public DType dtype() { return type.dtype(); }
  }

  /**
   * A workspace slot.
   *
   * @param dtype f32 (a {@code float[]} slot) or i64 ({@code long[]})
   * @param index the slot's number among the slots of its element type
   * @param sizes the sizes it must hold, none at most another for every binding; the slot's
   *     capacity is their maximum
   * @param buffers the buffers it holds, in kernel order
   */
  public record Slot(DType dtype, int index, List<Size> sizes, List<String> buffers) {
    public Slot {
      sizes = List.copyOf(sizes);
      buffers = List.copyOf(buffers);
    }

    /** {@code f0}, {@code l1}: the slot's short name. */
    public String label() { return (dtype == DType.F32 ? "f" : "l") + index; }

    /** Elements it holds for the given sizes of the symbols. */
    public long elements(ToLongFunction<String> sizeOf) {
      long max = 0;
      for (Size s : sizes) max = Math.max(max, s.eval(sizeOf));
      return max;
    }

    public long bytes(ToLongFunction<String> sizeOf) { return elements(sizeOf) * elementBytes(dtype); }

    /** The capacity as Java: one size, or nested {@code Math.max}. */
    public String java() {
      String e = sizes.get(sizes.size() - 1).java();
      for (int i = sizes.size() - 2; i >= 0; i--) e = "Math.max(" + sizes.get(i).java() + ", " + e + ")";
      return e;
    }

    /** {@code batch·seq·1536} or {@code max(batch·seq·384, seq·seq)}. */
    public String formula() {
      if (sizes.size() == 1) return sizes.get(0).toString();
      return "max(" + String.join(", ", sizes.stream().map(Size::toString).toList()) + ")";
    }
  }

  /** Symbol sizes used to compare symbolic sizes when choosing slots. */
  private static long heuristicSize(String symbol) {
    return symbol.equals("batch") ? 8 : 128;
  }

  /** A buffer fits a free slot only if it uses at least 1/WASTE of the slot. */
  private static final int WASTE = 4;

  private final Graph graph;
  private final Map<String, Node> byName;
  private final Map<String, Role> roles = new LinkedHashMap<>();
  private final Map<String, String> roots = new HashMap<>();
  private final List<Node> kernels;
  private final List<Node> loadTime = new ArrayList<>();
  private final Map<String, Buffer> buffers = new LinkedHashMap<>();
  private final List<Slot> slots = new ArrayList<>();

  private BufferPlan(Graph g) {
    this.graph = g;
    this.byName = g.byName();
    this.kernels = List.copyOf(KernelPlan.kernels(g));
    Set<String> kernelNames = new HashSet<>();
    for (Node k : kernels) kernelNames.add(k.name());
    Set<String> loadTimeNames = KernelPlan.loadTimeValues(g);
    for (Node n : g.nodes()) {
      Role r;
      if (KernelPlan.isSource(n)) r = Role.SOURCE;
      else if (n.op() == Op.RESHAPE) r = Role.VIEW;
      else if (kernelNames.contains(n.name())) r = Role.KERNEL;
      else if (loadTimeNames.contains(n.name())) r = Role.LOAD_TIME;
      else r = Role.VIEW;
      roles.put(n.name(), r);
      roots.put(n.name(), r == Role.VIEW ? roots.get(n.operands().get(0)) : n.name());
      if (r == Role.LOAD_TIME) loadTime.add(n);
    }
    assign();
  }

  /** The plan for {@code g}, a graph after the passes. */
  public static BufferPlan of(Graph g) {
    return new BufferPlan(g);
  }

  public Graph graph() { return graph; }

  /** The kernels {@code forward} runs, in order. */
  public List<Node> kernels() { return kernels; }

  /** The load-time values, in node order: computed by the constructor. */
  public List<Node> loadTime() { return Collections.unmodifiableList(loadTime); }

  public Role role(String value) { return roles.get(value); }

  /** The value whose buffer or array holds {@code value}: itself, or for a view the root of its operand. */
  public String root(String value) { return roots.get(value); }

  /** Each kernel's buffer, by kernel node name, in kernel order. */
  public Map<String, Buffer> buffers() { return Collections.unmodifiableMap(buffers); }

  public Buffer buffer(String kernelValue) { return buffers.get(kernelValue); }

  /** Every slot, float slots first, each group by index. */
  public List<Slot> slots() { return Collections.unmodifiableList(slots); }

  public List<Slot> slots(DType dtype) {
    return slots.stream().filter(s -> s.dtype() == dtype).toList();
  }

  /** The slot holding kernel buffer {@code value}, or null when it is an output. */
  public Slot slotOf(String value) {
    Buffer b = buffers.get(value);
    if (b == null || b.home() != Home.SLOT) return null;
    return slots(b.dtype()).get(b.slot());
  }

  /** Peak activation bytes: the workspace's slots, for the given sizes of the symbols. */
  public long workspaceBytes(ToLongFunction<String> sizeOf) {
    long n = 0;
    for (Slot s : slots) n += s.bytes(sizeOf);
    return n;
  }

  /** The bytes of the output buffers allocated per call. */
  public long outputBytes(ToLongFunction<String> sizeOf) {
    long n = 0;
    for (Buffer b : buffers.values()) if (b.home() == Home.OUTPUT) n += b.size().eval(sizeOf) * elementBytes(b.dtype());
    return n;
  }

  /** The bytes of every kernel buffer together: what one buffer per kernel, with no reuse, would take. */
  public long unplannedBytes(ToLongFunction<String> sizeOf) {
    long n = 0;
    for (Buffer b : buffers.values()) n += b.size().eval(sizeOf) * elementBytes(b.dtype());
    return n;
  }

  /** The workspace as a formula of slot sizes in bytes, e.g. {@code 4·(3·batch·seq·384 + batch·seq·1536) + 8·seq}. */
  public String formula() {
    List<String> parts = new ArrayList<>();
    for (DType t : List.of(DType.F32, DType.I64)) {
      List<Slot> ss = slots(t);
      if (ss.isEmpty()) continue;
      Map<String, Integer> counts = new LinkedHashMap<>();
      for (Slot s : ss) counts.merge(s.formula(), 1, Integer::sum);
      List<String> terms = new ArrayList<>();
      counts.forEach((f, c) -> terms.add(c == 1 ? f : c + "·" + f));
      String sum = String.join(" + ", terms);
      parts.add(elementBytes(t) + "·" + (terms.size() == 1 && counts.values().iterator().next() == 1 ? sum : "(" + sum + ")"));
    }
    return parts.isEmpty() ? "0" : String.join(" + ", parts);
  }

  static int elementBytes(DType t) { return t == DType.I64 ? 8 : 4; }

  // ---- assignment ----------------------------------------------------------------------

  private final class SlotBuilder {
    final DType dtype;
    final int index;
    final List<Size> sizes = new ArrayList<>();
    final List<String> held = new ArrayList<>();
    int busyUntil;

    SlotBuilder(DType dtype, int index) {
      this.dtype = dtype;
      this.index = index;
    }

    long capacity() {
      long m = 0;
      for (Size s : sizes) m = Math.max(m, s.eval(BufferPlan::heuristicSize));
      return m;
    }

    boolean holdsSize(Size s) {
      for (Size x : sizes) if (x.key().equals(s.key())) return true;
      return false;
    }

    void add(String value, Size s, int until) {
      held.add(value);
      busyUntil = until;
      for (Size x : sizes) if (x.dominates(s)) return;
      sizes.removeIf(s::dominates);
      sizes.add(s);
    }
  }

  private void assign() {
    Map<String, Integer> lastUse = new HashMap<>();
    Set<String> outputs = new HashSet<>();
    for (int j = 0; j < kernels.size(); j++) {
      for (String o : kernels.get(j).operands()) {
        String r = roots.get(o);
        if (roles.get(r) == Role.KERNEL) lastUse.merge(r, j, Math::max);
      }
    }
    for (Graph.Output o : graph.outputs()) {
      String r = roots.get(o.value());
      if (roles.get(r) == Role.KERNEL) outputs.add(r);
    }
    List<SlotBuilder> built = new ArrayList<>();
    Map<DType, Integer> counts = new HashMap<>();
    Map<String, SlotBuilder> slotOf = new HashMap<>();
    for (int j = 0; j < kernels.size(); j++) {
      Node k = kernels.get(j);
      Size size = Size.of(k.type());
      int last = Math.max(j, lastUse.getOrDefault(k.name(), j));
      if (outputs.contains(k.name())) {
        buffers.put(k.name(), new Buffer(k.name(), k.type(), size, j, last, Home.OUTPUT, -1));
        continue;
      }
      SlotBuilder best = null;
      long bestScore = Long.MAX_VALUE;
      long want = size.eval(BufferPlan::heuristicSize);
      for (SlotBuilder s : built) {
        // Free: its last buffer's last reader ran before this kernel, so not one of its inputs.
        if (s.dtype != k.type().dtype() || s.busyUntil >= j) continue;
        long cap = s.capacity();
        long score;
        if (s.holdsSize(size)) score = -1;
        else if (want <= cap) score = (long) WASTE * want <= cap ? Long.MAX_VALUE : cap - want;
        else score = want - cap;
        if (score < bestScore) {
          bestScore = score;
          best = s;
        }
      }
      if (best == null || bestScore == Long.MAX_VALUE) {
        int index = counts.merge(k.type().dtype(), 1, Integer::sum) - 1;
        best = new SlotBuilder(k.type().dtype(), index);
        built.add(best);
      }
      best.add(k.name(), size, last);
      slotOf.put(k.name(), best);
      buffers.put(k.name(), new Buffer(k.name(), k.type(), size, j, last, Home.SLOT, best.index));
    }
    for (DType t : List.of(DType.F32, DType.I64)) {
      for (SlotBuilder s : built) {
        if (s.dtype == t) slots.add(new Slot(t, s.index, s.sizes, s.held));
      }
    }
  }

  // ---- text ------------------------------------------------------------------------------

  /**
   * The plan as text ({@code heed emit --stage plan}): the slots, the kernels in order with
   * the buffers they read and write, and the bytes for the given sizes of the symbols.
   *
   * @param kernelNames generated method by kernel node name ({@link KernelNames#of})
   * @param sizeOf each symbol's size
   * @param sizesLine how the sizes are described, e.g. {@code batch = 8, seq = 128}
   */
  public String describe(Map<String, String> kernelNames, ToLongFunction<String> sizeOf, String sizesLine) {
    StringBuilder sb = new StringBuilder();
    sb.append("buffer plan of ").append(graph.name()).append(": ").append(count(kernels.size(), "kernel")).append(", ")
        .append(count(slots(DType.F32).size(), "float slot")).append(", ").append(count(slots(DType.I64).size(), "long slot"))
        .append(loadTime.isEmpty() ? "" : ", " + count(loadTime.size(), "load-time value")).append('\n');
    sb.append("sizes: ").append(sizesLine).append("\n\n");
    if (!loadTime.isEmpty()) {
      sb.append("computed once at load time:\n");
      for (Node n : loadTime) {
        sb.append("  %").append(n.name()).append(" = ").append(n.op().irName()).append(operands(n)).append(" : ")
            .append(n.type()).append('\n');
      }
      sb.append('\n');
    }
    sb.append("slots:\n");
    for (Slot s : slots) {
      sb.append(String.format(Locale.ROOT, "  %-4s %s[%s] = %s, holds %s%n", s.label(),
          s.dtype() == DType.F32 ? "float" : "long", s.formula(), bytes(s.bytes(sizeOf)),
          String.join(" ", s.buffers().stream().map(b -> "%" + b).toList())));
    }
    if (slots.isEmpty()) sb.append("  (none)\n");
    sb.append("\nkernels:\n");
    int width = Integer.toString(kernels.size()).length();
    for (int j = 0; j < kernels.size(); j++) {
      Node k = kernels.get(j);
      Buffer b = buffers.get(k.name());
      String where = b.home() == Home.OUTPUT ? "output" : slots(b.dtype()).get(b.slot()).label();
      List<String> reads = new ArrayList<>();
      for (String o : k.operands()) {
        Node d = byName.get(o);
        if (d.op() == Op.CONSTANT) continue;
        String r = roots.get(o);
        reads.add("%" + o + (r.equals(o) ? "" : " (view of %" + r + ")") + " " + locationOf(r));
      }
      sb.append(String.format(Locale.ROOT, "  %" + width + "d  %-22s %%%s : %s -> %s%n", j, kernelNames.getOrDefault(k.name(),
          k.op().irName()), k.name(), k.type(), where));
      if (!reads.isEmpty()) sb.append(" ".repeat(width + 4)).append("reads ").append(String.join(", ", reads)).append('\n');
      List<String> freed = new ArrayList<>();
      for (Buffer x : buffers.values()) if (x.lastUse() == j && x.home() == Home.SLOT && x.kernel() != j) freed.add("%" + x.value());
      if (!freed.isEmpty()) sb.append(" ".repeat(width + 4)).append("last use of ").append(String.join(", ", freed)).append('\n');
    }
    sb.append("\npeak activation memory (").append(sizesLine).append("):\n");
    sb.append("  workspace ").append(bytes(workspaceBytes(sizeOf))).append(" = ").append(formula()).append(" bytes\n");
    sb.append("  outputs   ").append(bytes(outputBytes(sizeOf))).append(", allocated per call\n");
    sb.append("  without the plan (a buffer per kernel, outputs included): ").append(bytes(unplannedBytes(sizeOf))).append('\n');
    return sb.toString();
  }

  private static String count(int n, String what) {
    return n + " " + what + (n == 1 ? "" : "s");
  }

  private String operands(Node n) {
    return "(" + String.join(", ", n.operands().stream().map(o -> "%" + o).toList()) + ")";
  }

  private String locationOf(String root) {
    Role r = roles.get(root);
    return switch (r) {
      case SOURCE -> "[" + byName.get(root).op().irName() + "]";
      case LOAD_TIME -> "[load-time]";
      case VIEW -> "[view]";
      case KERNEL -> {
        Buffer b = buffers.get(root);
        yield "[" + (b.home() == Home.OUTPUT ? "output" : slots(b.dtype()).get(b.slot()).label()) + "]";
      }
    };
  }

  /** 1536 → "1.50 KiB". */
  public static String bytes(long n) {
    String[] units = {" B", " KiB", " MiB", " GiB", " TiB"};
    double v = n;
    int u = 0;
    while (Math.abs(v) >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return u == 0 ? n + " B" : String.format(Locale.ROOT, "%.2f%s", v, units[u]);
  }
}
