package dev.heed.runtime.kernels;

import dev.heed.runtime.Parallel;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernels behind {@link Gemm} and {@link PackedLinear}:
 * {@code C = act(A·B + bias) + residual} with B packed into column panels. Loaded only when
 * {@link Simd#enabled()}; with {@link VectorActivations}, {@link VectorNorms} and
 * {@link VectorAttention}, the only classes in heed that name Vector API types.
 *
 * <p>Packed B: panel {@code p} holds columns {@code [p·NR, p·NR + NR)} of B for every k, one
 * row of {@link #NR} floats per k, the last panel zero-padded:
 * {@code packed[(p·k + kk)·NR + j] = B[kk, p·NR + j]}. The slice of a panel for one K block is
 * contiguous.
 *
 * <p>The loops, outermost first (the row-major counterpart of BLIS's five loops):
 * <ol>
 *   <li>the work is cut along M (whole {@link #MR}-row blocks) when {@code m ≥ n} or there are at
 *       least {@link #ROW_BLOCKS_BY_ROWS} row blocks, else along N
 *       (whole panels), into {@link Parallel}'s chunks (large first, smaller towards the end), which threads take as
 *       they finish the last: a part then reads the smaller operand in full and its share of the
 *       larger one. On a shared machine one core often runs slower than the other for seconds
 *       at a time; with one equal part per thread the product waited for the slower one. On a
 *       2-core AMD EPYC Zen 3 (AVX2), MiniLM's four products, 2 threads, interleaved in one JVM
 *       against one part per thread: medians of the per-round ratios 1.03 at 1024 rows, 1.05 at
 *       512 and 1.06 at 128 (50 rounds each);
 *   <li>{@link #NC} panels of B at a time (a slab): with 512-bit vectors 512 columns, so that
 *       the slab of one K block ({@code KC × 512} floats, 512 KiB) stays in L2 (1 MiB per core
 *       on the Zen 5 this was tuned on) while every row block of A passes over it; with
 *       narrower ones 1536 columns (see {@link #NC}); a {@link #wide} product's slabs are half as
 *       wide;
 *   <li>K whole up to {@link #K_SINGLE}, else in even blocks of at most {@link #KC} (of
 *       {@link #KC_WIDE} in a {@link #wide} product); with 512-bit vectors, products of at most
 *       {@link #DEEP_ROWS} rows whole up to {@link #K_DEEP};
 *   <li>row blocks of {@link #MR} rows: the block's {@code MR × depth} slice of A is copied into
 *       a per-thread buffer ("packing A", rows {@link #KA} floats apart), which stays in L1
 *       for the panel loop below (but for the deepest blocks) and which the kernel reads at fixed
 *       offsets from one index (rows of A itself can be 4 KiB apart, all in one L1 set);
 *   <li>panels, left to right: the register block's C tile moves along C's rows, which the
 *       hardware prefetchers follow, and each B slice streams from L2.
 * </ol>
 * The register block, {@link #block8}, holds an {@code MR × NR} tile of C (8 rows × 2 vectors)
 * in 16 accumulators: per k, two vector loads of B, eight broadcasts of A, sixteen FMAs. Where
 * vectors are narrower than 512 bits (AVX2: 16 vector registers, not 32), {@link #block6} holds
 * 6 rows × 2 vectors in 12 (and {@link #block4} the 4-row blocks {@link #rowStart} makes at the
 * bottom instead of one- and two-row ones). It
 * starts from the bias on the first K block and from zero on later ones, adding the tile of C
 * at the end, so the loads of C overlap the multiply-adds instead of stalling them. Tiles at
 * the bottom and right edges run through a per-thread scratch tile, so the kernel never reads
 * or writes past C.
 *
 * <p>On a 2-core AMD EPYC Zen 3 (AVX2, 256-bit vectors), one thread, MiniLM's products at 1024
 * rows and 1024³: 8 × 2 ran at 46–50 GFLOP/s (its accumulators spill), 6 × 2 at 78–88; a
 * 4 × 3 block alone, tried only with the constant stride (see {@link #block6}), ran slower than both.
 *
 * <p>Measured on a 2-core AMD EPYC (Zen 5, AVX-512), against the FMA ceiling of the same run:
 * the register block alone, about 92%; 1024³ with a packed weight, 80% on one thread and
 * 75–82% on two before {@link #wide} products had blocks of their own, 68–91% on two after
 * (JMH's forks in three paired runs, the machine's speed moving from minute to minute);
 * MiniLM's linear layers at 1024 rows 88–92% on one thread and 76–85% on two;
 * at 128 rows 90–96% on one thread and 62–81% on two (the K = 1536 one lowest). Other
 * register blocks measured the same (12×2, 14×2, 6×3) or slower (4×4; 8×3 and 6×4 spill);
 * K blocks of 384 or 512 alone, slabs of 256 or 1024 columns alone, more parts per thread and
 * splitting small-M products by rows instead of columns made no difference beyond the noise.
 *
 * <p>Epilogue: once the last K block of a row block's strip of tiles is done ({@link #MR} rows ×
 * up to {@code NC·NR} columns: 16 KiB with 512-bit vectors, in L1; 36 KiB with 256-bit ones, in
 * L1 and L2), {@link VectorActivations#epilogue} applies the activation and adds the residual, a
 * row of up to {@code NC·NR} floats per call (per tile, the calls
 * and the activation's constants cost more than the arithmetic: a GELU epilogue per 8×32 tile
 * measured slower than a separate pass). Bias is already in the accumulators. A row norm
 * ({@link RowNorm}, a linear's layer or RMS norm) runs on each row block as soon as its last
 * strip is done: with {@code n ≤ NC·NR} (a 384- or 512-wide model) the block's whole rows are
 * still in L1. It needs whole rows in one part, so such a product is split by rows whenever
 * there are enough row blocks, else its norm runs as a separate pass at the end.
 *
 * <p>No allocation per call beyond {@link Parallel}'s small loop objects: the packing buffer
 * and the scratch tile are per thread, of a fixed size, created on a thread's first product.
 *
 * <p>Every FloatVector lives and dies inside one kernel method: passing vectors to a method
 * C2 does not inline makes it allocate them (the "boxing cliff").
 */
final class VectorGemm {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  /**
   * Rows of C per register block: 8 where the vectors are 512 bits (32 vector registers hold
   * the 16 accumulators, two B vectors and a broadcast), 6 where they are narrower (AVX2 has 16
   * vector registers: 8 × 2 accumulators spill, 6 × 2 leave room for B and the broadcast).
   */
  static final int MR = L >= 16 ? 8 : 6;
  /** Columns of C per register block and per packed panel: two vectors. */
  static final int NR = 2 * L;
  /**
   * Depth of a K block when K is split: the packed {@code MR × KC} slice of A (8 KiB) stays in
   * L1, a panel's {@code KC × NR} slice of B (32 KiB) streams from L2.
   */
  static final int KC = 256;
  /**
   * Depths up to this run as one K block, so C is written once, not read back per block: K =
   * 384 (a 384-wide model's projections) measured 3–7% faster unsplit than as two blocks of 192;
   * deeper K splits into even blocks of at most {@link #KC} (K = 1536: six of 256), except in
   * products of at most {@link #DEEP_ROWS} rows.
   */
  static final int K_SINGLE = 384;

  /** The deepest K block of a {@link #wide} product: twice {@link #KC} with 512-bit vectors. */
  static final int KC_WIDE = L >= 16 ? 512 : KC;

  /**
   * Products of at most this many rows (64 row blocks) run K unsplit up to {@link #K_DEEP}, and
   * deeper K in even blocks of at most that, where vectors are 512 bits (0 elsewhere: not
   * measured on AVX2, where a 6 × 1536 slice of A, 36 KiB, alone outgrows the Zen 3's 32 KiB of
   * L1). A K block
   * of 256 lets the slab of B stay in L2 while every row block of a part passes over it; with
   * few row blocks per part that reuse saves less than writing C once instead of six times
   * does. On a 2-core Zen 5, 2 threads, MiniLM and single products in two class loaders of one
   * JVM, the previous build against this one (medians of per-round ratios, 16 rounds): 1.12 at
   * 1 × 128 (1.27 on its 128 × 1536 × 384 product alone), 1.04 at 1 × 512, 1.02–1.03 at 8 × 128
   * and 32 × 128, 1.00 at 1024³. The same rule for every row count gained nothing (0.99 at
   * 8 × 128 and 32 × 128, 1.00 at 1024³: a 1536-deep slab of B, 2.3 MiB, no longer stays in L2),
   * nor did blocks of 512 in products of more rows (0.99–1.02).
   */
  static final int DEEP_ROWS = L >= 16 ? 512 : 0;
  /** The deepest K block of a product of at most {@link #DEEP_ROWS} rows. */
  static final int K_DEEP = 1536;
  /**
   * Floats between the rows of a packed slice of A. A deeper K block (up to {@link #K_DEEP})
   * is packed as a stack of sub-slices of KA values of k each, {@code MR·KA} floats apart, so
   * that the register blocks read every row at a constant offset from one index (a stride
   * passed as a value cost 1–3% at 1024³ and in MiniLM's 384-deep products). With 512-bit
   * vectors 512, a {@link #wide} product's whole K block: with 384, its blocks of 512 ran as
   * two sub-slices and 1024³ 0.97 as fast. The rows of a 384-deep slice are then 2 KiB apart
   * rather than 1.5 KiB, and a 1536-deep one is three sub-slices instead of four: MiniLM's
   * 512-row products measured 0.96–1.02 as fast (noise; the 1536-deep ones 1.00–1.02 at 128
   * and 512 rows), and MiniLM itself in pairs of JMH forks at 1 × 512 and 8 × 128 the same.
   */
  static final int KA = Math.max(Math.max(KC, KC_WIDE), K_SINGLE);
  /** Floats per row of the deepest packed slice of A: room for {@link #K_DEEP} in sub-slices of {@link #KA}. */
  static final int KA_ROOM = Math.max(KA, DEEP_ROWS > 0 ? Math.ceilDiv(K_DEEP, KA) * KA : 0);
  /**
   * Panels per B slab. With 512-bit vectors, 512 columns: the slab, {@code KC × 512} floats
   * (512 KiB), stays in half of the Zen 5's L2. With narrower vectors, 1536 columns (MiniLM's
   * widest product in one slab): on the Zen 3 (512 KiB of L2 per core) no slab of a 384-deep
   * product fits L2 anyway (512 columns took 768 KiB), B streams from L3 at either size, and with
   * fewer slabs A is packed (or kept) once instead of once per slab. 1536 against 512 columns,
   * 2 threads, interleaved in one JVM (medians of per-round ratios, same bits): 1.03 (QKV) and
   * 1.04–1.07 (first feed-forward, with and without its GELU epilogue) at 1024 rows, 1.04–1.05
   * at 4096, 1.00 at 128 rows and at 1024³.
   */
  static final int NC = (L >= 16 ? 512 : 1536) / NR;

  /**
   * Panels per slab of a {@link #wide} product: with 512-bit vectors 256 columns, so that a slab
   * of {@link #KC_WIDE} values of k takes the same 512 KiB as one of {@link #NC} panels and
   * {@link #KC}.
   */
  static final int NC_WIDE = L >= 16 ? 256 / NR : NC;

  /**
   * Products whose whole packed A takes at most this many floats (2 MiB) keep it, per thread, for
   * the whole call, when A would otherwise be packed more than once: see {@link #part}.
   */
  static final int A_KEEP = 512 * 1024;

  /**
   * Products with at least this many row blocks are split by rows even when {@code m < n}. Cut
   * along N, each part reads all of A, which at this size no longer stays in L2. Measured on a
   * 2-core Zen 3, 2 threads, 1024 × 384 × 1152 (MiniLM's QKV product at 8 × 128): against two
   * threads each running a whole product of its own, split by columns 0.90 of their throughput,
   * split by rows 0.955; interleaved against the previous rule, MiniLM's QKV product 1.03 and
   * its first feed-forward product 1.05 at 1024 rows, 1.00 at 512.
   */
  static final int ROW_BLOCKS_BY_ROWS = 64;

  /** Numbers the calls that keep their packed A, so that a thread knows which slices it holds. */
  private static final AtomicLong CALLS = new AtomicLong();

  /** Floats a packed slice of A of {@code depth} values of k takes: {@link #MR} rows in sub-slices of {@link #KA}. */
  static int aSize(int depth) {
    return MR * Math.ceilDiv(depth, KA) * KA;
  }

  /**
   * A thread's buffers: the packed slice of A (room for the deepest K block), an edge tile of C, and
   * the packed slices of A kept for a call ({@code kept[i]}, packed for the call numbered
   * {@code keptFor[i]}).
   */
  private static final class Scratch {
    final float[] a = new float[MR * KA_ROOM];
    final float[] c = new float[MR * NR];
    float[][] kept = new float[0][];
    long[] keptFor = new long[0];
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private VectorGemm() {}

  static int bits() {
    return S.vectorBitSize();
  }

  /** Floats a packed copy of a {@code k × n} B takes. */
  static int packedSize(int k, int n) {
    return Math.ceilDiv(n, NR) * k * NR;
  }

  /** Packs row-major {@code B[k, n]} (from {@code bOff}) into panels. */
  static float[] packRows(float[] b, int bOff, int k, int n) {
    float[] packed = new float[packedSize(k, n)];
    for (int p = 0; p * NR < n; p++) {
      int cols = Math.min(NR, n - p * NR);
      for (int kk = 0; kk < k; kk++) {
        System.arraycopy(b, bOff + kk * n + p * NR, packed, (p * k + kk) * NR, cols);
      }
    }
    return packed;
  }

  /** Packs {@code B = wᵀ} for a row-major {@code w[out, in]}: B is {@code [in, out]}. */
  static float[] packTransposed(float[] w, int out, int in) {
    float[] packed = new float[packedSize(in, out)];
    for (int o = 0; o < out; o++) {
      int dst = (o / NR) * in * NR + o % NR;
      int src = o * in;
      for (int kk = 0; kk < in; kk++) packed[dst + kk * NR] = w[src + kk];
    }
    return packed;
  }

  /** {@code C = A·B + bias}: {@link #gemm(float[], int, int, int, float[], int, float[], Activation, float[], RowNorm, float[], int)} without an epilogue. */
  static void gemm(float[] a, int aOff, int m, int k, float[] packed, int n, float[] bias, float[] c, int cOff) {
    gemm(a, aOff, m, k, packed, n, bias, Activation.NONE, null, null, c, cOff);
  }

  /**
   * {@code C[m, n] = norm(act(A[m, k] · B[k, n] + bias) + res)}, with A and C row-major from
   * their offsets, B packed ({@link #packRows}), {@code bias} of length n or null, {@code res}
   * laid out as C (same offset) or null, {@code norm} over each row of C or null (then
   * {@code cOff} must be 0). C is overwritten and must not overlap A or res.
   */
  static void gemm(float[] a, int aOff, int m, int k, float[] packed, int n, float[] bias, Activation act,
      float[] res, RowNorm norm, float[] c, int cOff) {
    if (norm != null && cOff != 0) throw new IllegalArgumentException("gemm: a row norm needs C from offset 0");
    if (m == 0 || n == 0) return;
    if (k == 0) {
      for (int i = 0; i < m; i++) {
        int ci = cOff + i * n;
        if (bias == null) Arrays.fill(c, ci, ci + n, 0f); else System.arraycopy(bias, 0, c, ci, n);
        VectorActivations.apply(act, c, ci, c, ci, n, res, ci);
      }
      if (norm != null) norm.all(c, m, n);
      return;
    }
    int rowBlocks = Math.ceilDiv(m, MR);
    int panels = Math.ceilDiv(n, NR);
    int threads = (long) m * k * n >= Gemm.PARALLEL_WORK ? Parallel.threads() : 1;
    // A row norm needs whole rows in one part: split by rows whenever every thread gets a row block.
    boolean byRows = m >= n || rowBlocks >= ROW_BLOCKS_BY_ROWS || norm != null && rowBlocks >= threads;
    int units = byRows ? rowBlocks : panels;
    boolean single = threads <= 1 || units <= 1;
    // A is packed once per slab of B in each part: keep it when that is more than once per row
    // block (several slabs, or parts of columns that each need all of A) and it is small.
    int kc = kDepth(k, m, n);
    int slabs = Math.ceilDiv(panels, slabPanels(m, k, n));
    long aFloats = (long) Math.ceilDiv(k, kc) * rowBlocks * aSize(kc);
    long call = aFloats <= A_KEEP && (slabs > 1 || !single && !byRows) ? CALLS.incrementAndGet() : 0;
    if (single) {
      part(a, aOff, m, k, packed, n, bias, act, res, norm, c, cOff, 0, rowBlocks, 0, panels, call);
      return;
    }
    Parallel.forRange(units, (u0, u1) -> {
      if (byRows) {
        part(a, aOff, m, k, packed, n, bias, act, res, norm, c, cOff, u0, u1, 0, panels, call);
      } else {
        part(a, aOff, m, k, packed, n, bias, act, res, null, c, cOff, 0, rowBlocks, u0, u1, call);
      }
    });
    // Parts of columns: no part holds a whole row, so the norm runs once they have all finished.
    if (!byRows && norm != null) norm.all(c, m, n);
  }

  /**
   * The depth of each K block of an {@code m × k × n} product (the last block may be
   * shallower).
   */
  private static int kDepth(int k, int m, int n) {
    if (m <= DEEP_ROWS) return k <= K_DEEP ? k : Math.ceilDiv(k, Math.ceilDiv(k, K_DEEP));
    if (k <= K_SINGLE) return k;
    return Math.ceilDiv(k, Math.ceilDiv(k, wide(m, k, n) ? KC_WIDE : KC));
  }

  /**
   * A wide product: more than {@link #DEEP_ROWS} rows, K split into blocks (deeper than
   * {@link #K_SINGLE}) and wider than one slab of {@link #NC} panels, such as 1024³. Its K blocks
   * are up to {@link #KC_WIDE} deep and its slabs {@link #NC_WIDE} panels wide (with 512-bit
   * vectors: 512 and 256 columns, against 256 and 512): C is read back half as often (at 1024³,
   * once per row block instead of three times) for the price of packing A in twice as many slabs.
   * The slab stays at 512 KiB. On a 2-core Zen 5, 2 threads: 1024³ 1.053 and 1.018 as fast
   * (medians of 12 interleaved rounds in two class loaders of one JVM, each build first in one of
   * two JVMs), 2048 × 1024 × 2048 1.024 and 1.018; JMH, six pairs of forks of 1024³, every pair
   * faster, by 1.01–1.075 (medians 335 and 347 GFLOP/s). Not kept: K blocks of 1024 with slabs
   * of 128 columns (0.99), or of 256 columns (0.99), slabs of 128 columns with K blocks of 512
   * (0.96), and K blocks of 512 for products at most one slab wide (0.99 on MiniLM's 1024 × 1536
   * × 384 at 8 × 128, whose 384 columns are one slab).
   */
  private static boolean wide(int m, int k, int n) {
    return m > DEEP_ROWS && k > K_SINGLE && n > NC * NR;
  }

  /** Panels per slab of B in an {@code m × k × n} product: {@link #NC_WIDE} if it is {@link #wide}, else {@link #NC}. */
  private static int slabPanels(int m, int k, int n) {
    return wide(m, k, n) ? NC_WIDE : NC;
  }

  /**
   * Row blocks {@code [rb0, rb1)} times panels {@code [q0, q1)} of C, on this thread;
   * {@code norm} (or null) only when the panels are all of C's columns. With {@code call} not 0,
   * the packed slices of A this thread makes stay in its {@code kept} buffer for the rest of the
   * call (the call's number tells them from an earlier call's), so a later slab or a later part
   * of the same call on this thread reuses them instead of packing again. Sampled on a 2-core
   * Zen 3 (MiniLM at 1 × 128 and 8 × 128, 2 threads), packing A took 4.5% of the time; keeping it,
   * MiniLM's four linear layers at 128 rows on 2 threads ran 1.027× as fast (median of 40
   * interleaved rounds against the previous build; quartiles 0.98 and 1.12), on one thread and at
   * 1024 rows no change beyond the noise.
   */
  private static void part(float[] a, int aOff, int m, int k, float[] packed, int n, float[] bias, Activation act,
      float[] res, RowNorm norm, float[] c, int cOff, int rb0, int rb1, int q0, int q1, long call) {
    Scratch scratch = SCRATCH.get();
    boolean epilogue = act != Activation.NONE || res != null;
    int kc = kDepth(k, m, n);
    int nc = slabPanels(m, k, n);
    int sliceSize = aSize(kc);
    int rowBlocks = Math.ceilDiv(m, MR);
    if (call != 0) {
      int slices = Math.ceilDiv(k, kc) * rowBlocks;
      if (scratch.keptFor.length < slices) {
        scratch.kept = Arrays.copyOf(scratch.kept, slices);
        scratch.keptFor = Arrays.copyOf(scratch.keptFor, slices);
      }
    }
    for (int j0 = q0; j0 < q1; j0 += nc) {
      int j1 = Math.min(q1, j0 + nc);
      for (int k0 = 0; k0 < k; k0 += kc) {
        int depth = Math.min(kc, k - k0);
        boolean first = k0 == 0;
        boolean last = k0 + depth == k;
        for (int rb = rb0; rb < rb1; rb++) {
          int r0 = rowStart(rb, m);
          int rows = rowStart(rb + 1, m) - r0;
          float[] ap = scratch.a;
          if (call != 0) {
            int slice = (k0 / kc) * rowBlocks + rb;
            if (scratch.kept[slice] == null || scratch.kept[slice].length < sliceSize) scratch.kept[slice] = new float[sliceSize];
            ap = scratch.kept[slice];
            if (scratch.keptFor[slice] != call) {
              packA(a, aOff + r0 * k + k0, k, rows, depth, ap);
              scratch.keptFor[slice] = call;
            }
          } else {
            packA(a, aOff + r0 * k + k0, k, rows, depth, ap);
          }
          for (int q = j0; q < j1; q++) {
            int n0 = q * NR;
            int cols = Math.min(NR, n - n0);
            int bi = (q * k + k0) * NR;
            int ci = cOff + r0 * n + n0;
            if (rows == MR && cols == NR) {
              block(ap, depth, packed, bi, c, ci, n, bias, n0, first);
            } else if (MR == 6 && rows == 4 && cols == NR) {
              block4(ap, depth, packed, bi, c, ci, n, bias, n0, first);
            } else {
              edge(ap, depth, packed, bi, c, ci, n, rows, cols, bias, n0, first, scratch.c);
            }
          }
          if (last && epilogue) {
            // The strip just finished, rows × up to NC·NR columns, is still in L1 or L2.
            int n0 = j0 * NR;
            VectorActivations.epilogue(act, c, cOff + r0 * n + n0, n, rows, Math.min(n, j1 * NR) - n0, res);
          }
          if (last && norm != null && j1 == q1) {
            // The block's rows are now complete (with n ≤ NC·NR, the whole rows are still in L1).
            norm.rows(c, r0, r0 + rows, n);
          }
        }
      }
    }
  }

  /**
   * The first row of row block {@code rb} of an {@code m}-row C ({@code m} for the block past the
   * last): {@code rb·MR}, except with 6-row blocks (AVX2) where {@code m % 6} is 1 or 2. There the
   * last full block and the remainder become 4 + 3 or 4 + 4 rows, so that no tile of one or two
   * rows runs {@link #block1} (2 accumulators: it waits on the multiply-add latency, a quarter of
   * the block's rate), which with MiniLM's 128 and 512 rows took 1.5% of the GEMM time. The
   * number of row blocks stays {@code ceil(m / MR)}. Measured on a 2-core Zen 3, MiniLM's four
   * linear layers at 128 rows, old and new interleaved in one JVM (medians of per-round ratios):
   * 1.03 on one thread, 1.06 on two; at 512 rows no change beyond the noise. The last rows' bias
   * is now added first, as in every other block, not after the product: their bits change.
   */
  private static int rowStart(int rb, int m) {
    int full = m / MR, rem = m % MR;
    if (rb * MR >= m) return m;
    if (MR == 6 && (rem == 1 || rem == 2) && full >= 1 && rb == full) return (full - 1) * MR + 4;
    return rb * MR;
  }

  /**
   * Copies {@code rows} rows of {@code depth} floats, {@code lda} apart from {@code src}, to rows
   * {@link #KA} apart, in sub-slices of {@link #KA} values of k, {@code MR·KA} floats apart;
   * zero rows below.
   */
  private static void packA(float[] a, int src, int lda, int rows, int depth, float[] ap) {
    for (int s0 = 0, base = 0; s0 < depth; s0 += KA, base += MR * KA) {
      int len = Math.min(KA, depth - s0);
      for (int r = 0; r < rows; r++) System.arraycopy(a, src + r * lda + s0, ap, base + r * KA, len);
      for (int r = rows; r < MR; r++) Arrays.fill(ap, base + r * KA, base + r * KA + len, 0f);
    }
  }

  /**
   * A tile at the bottom or right edge ({@code rows × cols} of C, short of {@code MR × NR}): the
   * kernel runs on {@code tile} ({@code MR × NR}), which holds C's tile on later K blocks, and
   * the valid part goes back to C, with the bias on the first K block.
   */
  private static void edge(float[] a, int kc, float[] b, int bi, float[] c, int ci, int ldc, int rows, int cols,
      float[] bias, int biasOff, boolean first, float[] tile) {
    if (!first) {
      for (int r = 0; r < rows; r++) System.arraycopy(c, ci + r * ldc, tile, r * NR, cols);
    }
    if (rows <= 2) {
      for (int r = 0; r < rows; r++) block1(a, r * KA, kc, b, bi, tile, r * NR, first);
    } else {
      block(a, kc, b, bi, tile, 0, NR, null, 0, first);
    }
    for (int r = 0; r < rows; r++) {
      if (first && bias != null) {
        for (int j = 0; j < cols; j++) c[ci + r * ldc + j] = tile[r * NR + j] + bias[biasOff + j];
      } else {
        System.arraycopy(tile, r * NR, c, ci + r * ldc, cols);
      }
    }
  }

  /** The register block for this machine's vectors: {@link #block8} or {@link #block6} ({@link #MR} rows). */
  private static void block(float[] a, int kc, float[] b, int bi, float[] c, int ci, int ldc,
      float[] bias, int biasOff, boolean first) {
    if (MR == 8) {
      block8(a, kc, b, bi, c, ci, ldc, bias, biasOff, first);
    } else {
      block6(a, kc, b, bi, NR, c, ci, ldc, bias, biasOff, first);
    }
  }

  /**
   * The register block: {@code C[8 rows, 2 vectors] (+)= A·B} over {@code kc} values of k, in
   * 16 accumulators. {@code a}: the packed slice, rows {@link #KA} apart, in sub-slices of KA
   * values of k (see {@link #packA}); {@code b}: the panel's
   * slice from {@code bi}, NR floats per k. On the first K block the accumulators start from
   * the bias (or zero) and overwrite C; on later ones they start from zero and C is added at
   * the end.
   */
  private static void block8(float[] a, int kc, float[] b, int bi, float[] c, int ci, int ldc,
      float[] bias, int biasOff, boolean first) {
    FloatVector init0 = first && bias != null ? FloatVector.fromArray(S, bias, biasOff) : FloatVector.zero(S);
    FloatVector init1 = first && bias != null ? FloatVector.fromArray(S, bias, biasOff + L) : FloatVector.zero(S);
    FloatVector acc00 = init0, acc01 = init1, acc10 = init0, acc11 = init1;
    FloatVector acc20 = init0, acc21 = init1, acc30 = init0, acc31 = init1;
    FloatVector acc40 = init0, acc41 = init1, acc50 = init0, acc51 = init1;
    FloatVector acc60 = init0, acc61 = init1, acc70 = init0, acc71 = init1;
    // The first KA values of k: all of them but in the deepest blocks (see K_DEEP). This loop
    // keeps the shape of a block's only loop (offsets from one index); run as the first turn of
    // the nested loop below, MiniLM at 32 × 128 and its 1024 × 384 × 1152 product ran 2–3% slower.
    for (int p = 0, end = Math.min(kc, KA); p < end; p++) {
      int bp = bi + p * NR;
      FloatVector b0 = FloatVector.fromArray(S, b, bp);
      FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
      FloatVector x = FloatVector.broadcast(S, a[p]);
      acc00 = x.fma(b0, acc00); acc01 = x.fma(b1, acc01);
      x = FloatVector.broadcast(S, a[p + KA]);
      acc10 = x.fma(b0, acc10); acc11 = x.fma(b1, acc11);
      x = FloatVector.broadcast(S, a[p + 2 * KA]);
      acc20 = x.fma(b0, acc20); acc21 = x.fma(b1, acc21);
      x = FloatVector.broadcast(S, a[p + 3 * KA]);
      acc30 = x.fma(b0, acc30); acc31 = x.fma(b1, acc31);
      x = FloatVector.broadcast(S, a[p + 4 * KA]);
      acc40 = x.fma(b0, acc40); acc41 = x.fma(b1, acc41);
      x = FloatVector.broadcast(S, a[p + 5 * KA]);
      acc50 = x.fma(b0, acc50); acc51 = x.fma(b1, acc51);
      x = FloatVector.broadcast(S, a[p + 6 * KA]);
      acc60 = x.fma(b0, acc60); acc61 = x.fma(b1, acc61);
      x = FloatVector.broadcast(S, a[p + 7 * KA]);
      acc70 = x.fma(b0, acc70); acc71 = x.fma(b1, acc71);
    }
    // The rest of a deep block: sub-slices of KA values of k, MR·KA floats apart (see packA).
    for (int s0 = KA, ab = MR * KA; s0 < kc; s0 += KA, ab += MR * KA) {
      int sk = Math.min(KA, kc - s0), bs = bi + s0 * NR;
      for (int p = 0; p < sk; p++) {
        int bp = bs + p * NR;
        FloatVector b0 = FloatVector.fromArray(S, b, bp);
        FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
        FloatVector x = FloatVector.broadcast(S, a[ab + p]);
        acc00 = x.fma(b0, acc00); acc01 = x.fma(b1, acc01);
        x = FloatVector.broadcast(S, a[ab + p + KA]);
        acc10 = x.fma(b0, acc10); acc11 = x.fma(b1, acc11);
        x = FloatVector.broadcast(S, a[ab + p + 2 * KA]);
        acc20 = x.fma(b0, acc20); acc21 = x.fma(b1, acc21);
        x = FloatVector.broadcast(S, a[ab + p + 3 * KA]);
        acc30 = x.fma(b0, acc30); acc31 = x.fma(b1, acc31);
        x = FloatVector.broadcast(S, a[ab + p + 4 * KA]);
        acc40 = x.fma(b0, acc40); acc41 = x.fma(b1, acc41);
        x = FloatVector.broadcast(S, a[ab + p + 5 * KA]);
        acc50 = x.fma(b0, acc50); acc51 = x.fma(b1, acc51);
        x = FloatVector.broadcast(S, a[ab + p + 6 * KA]);
        acc60 = x.fma(b0, acc60); acc61 = x.fma(b1, acc61);
        x = FloatVector.broadcast(S, a[ab + p + 7 * KA]);
        acc70 = x.fma(b0, acc70); acc71 = x.fma(b1, acc71);
      }
    }
    int c1 = ci + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc, c6 = c5 + ldc, c7 = c6 + ldc;
    if (!first) {
      acc00 = acc00.add(FloatVector.fromArray(S, c, ci)); acc01 = acc01.add(FloatVector.fromArray(S, c, ci + L));
      acc10 = acc10.add(FloatVector.fromArray(S, c, c1)); acc11 = acc11.add(FloatVector.fromArray(S, c, c1 + L));
      acc20 = acc20.add(FloatVector.fromArray(S, c, c2)); acc21 = acc21.add(FloatVector.fromArray(S, c, c2 + L));
      acc30 = acc30.add(FloatVector.fromArray(S, c, c3)); acc31 = acc31.add(FloatVector.fromArray(S, c, c3 + L));
      acc40 = acc40.add(FloatVector.fromArray(S, c, c4)); acc41 = acc41.add(FloatVector.fromArray(S, c, c4 + L));
      acc50 = acc50.add(FloatVector.fromArray(S, c, c5)); acc51 = acc51.add(FloatVector.fromArray(S, c, c5 + L));
      acc60 = acc60.add(FloatVector.fromArray(S, c, c6)); acc61 = acc61.add(FloatVector.fromArray(S, c, c6 + L));
      acc70 = acc70.add(FloatVector.fromArray(S, c, c7)); acc71 = acc71.add(FloatVector.fromArray(S, c, c7 + L));
    }
    acc00.intoArray(c, ci); acc01.intoArray(c, ci + L);
    acc10.intoArray(c, c1); acc11.intoArray(c, c1 + L);
    acc20.intoArray(c, c2); acc21.intoArray(c, c2 + L);
    acc30.intoArray(c, c3); acc31.intoArray(c, c3 + L);
    acc40.intoArray(c, c4); acc41.intoArray(c, c4 + L);
    acc50.intoArray(c, c5); acc51.intoArray(c, c5 + L);
    acc60.intoArray(c, c6); acc61.intoArray(c, c6 + L);
    acc70.intoArray(c, c7); acc71.intoArray(c, c7 + L);
  }

  /**
   * {@link #block8} for 6 rows: 12 accumulators, for machines with 16 vector registers (AVX2).
   * The panel's row stride comes in as {@code ldb} (always {@link #NR}) rather than as the
   * constant: with the constant, C2 (JDK 25, AVX2 on Zen 3) compiled this loop to run at 35
   * GFLOP/s in a 1024 × 384 × 1152 product, with the stride as a value at 83 (one thread).
   * The disassembly (hsdis) shows why: with a constant stride C2 removes every range check from
   * the loop, which leaves its body one basic block, and schedules all six broadcasts of A ahead
   * of the multiply-adds; 12 accumulators, two B vectors and six broadcasts do not fit in 16
   * registers, so it spills accumulators to the stack and each iteration waits on a store and a
   * reload. With the stride as a value the two loads of B keep their range checks, the body is
   * split at them and C2 issues the broadcasts two at a time: no spills. The same happened to
   * every other 12- and 10-accumulator block tried on AVX2 whose loads were all free of range
   * checks (6 and 5 rows of A broadcast from a k-major packing, 6 keys of attention scores, 6
   * columns of weights · v with rows in lanes): each ran at 31–38 GFLOP/s, so those blocks stay
   * at 8 accumulators ({@link VectorAttention}).
   *
   * <p>{@code bp} steps by {@code ldb} rather than being {@code bi + p·ldb}: C2 does not
   * strength-reduce a product by a run-time value, so that form cost a move and an integer
   * multiply per k (28 instructions per 12 multiply-adds; stepped, 26, the same schedule
   * otherwise). MiniLM's four products at 1024 rows and 2 threads, interleaved in one JVM against
   * the multiplied form: medians of per-round ratios 1.01–1.03, 1.04 at 128 rows (1024 × 384 ×
   * 1152); same bits.
   */
  private static void block6(float[] a, int kc, float[] b, int bi, int ldb, float[] c, int ci, int ldc,
      float[] bias, int biasOff, boolean first) {
    FloatVector init0 = first && bias != null ? FloatVector.fromArray(S, bias, biasOff) : FloatVector.zero(S);
    FloatVector init1 = first && bias != null ? FloatVector.fromArray(S, bias, biasOff + L) : FloatVector.zero(S);
    FloatVector acc00 = init0, acc01 = init1, acc10 = init0, acc11 = init1;
    FloatVector acc20 = init0, acc21 = init1, acc30 = init0, acc31 = init1;
    FloatVector acc40 = init0, acc41 = init1, acc50 = init0, acc51 = init1;
    int bp = bi - ldb;
    for (int p = 0; p < kc; p++) {
      bp += ldb;
      FloatVector b0 = FloatVector.fromArray(S, b, bp);
      FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
      FloatVector x = FloatVector.broadcast(S, a[p]);
      acc00 = x.fma(b0, acc00); acc01 = x.fma(b1, acc01);
      x = FloatVector.broadcast(S, a[p + KA]);
      acc10 = x.fma(b0, acc10); acc11 = x.fma(b1, acc11);
      x = FloatVector.broadcast(S, a[p + 2 * KA]);
      acc20 = x.fma(b0, acc20); acc21 = x.fma(b1, acc21);
      x = FloatVector.broadcast(S, a[p + 3 * KA]);
      acc30 = x.fma(b0, acc30); acc31 = x.fma(b1, acc31);
      x = FloatVector.broadcast(S, a[p + 4 * KA]);
      acc40 = x.fma(b0, acc40); acc41 = x.fma(b1, acc41);
      x = FloatVector.broadcast(S, a[p + 5 * KA]);
      acc50 = x.fma(b0, acc50); acc51 = x.fma(b1, acc51);
    }
    int c1 = ci + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
    if (!first) {
      acc00 = acc00.add(FloatVector.fromArray(S, c, ci)); acc01 = acc01.add(FloatVector.fromArray(S, c, ci + L));
      acc10 = acc10.add(FloatVector.fromArray(S, c, c1)); acc11 = acc11.add(FloatVector.fromArray(S, c, c1 + L));
      acc20 = acc20.add(FloatVector.fromArray(S, c, c2)); acc21 = acc21.add(FloatVector.fromArray(S, c, c2 + L));
      acc30 = acc30.add(FloatVector.fromArray(S, c, c3)); acc31 = acc31.add(FloatVector.fromArray(S, c, c3 + L));
      acc40 = acc40.add(FloatVector.fromArray(S, c, c4)); acc41 = acc41.add(FloatVector.fromArray(S, c, c4 + L));
      acc50 = acc50.add(FloatVector.fromArray(S, c, c5)); acc51 = acc51.add(FloatVector.fromArray(S, c, c5 + L));
    }
    acc00.intoArray(c, ci); acc01.intoArray(c, ci + L);
    acc10.intoArray(c, c1); acc11.intoArray(c, c1 + L);
    acc20.intoArray(c, c2); acc21.intoArray(c, c2 + L);
    acc30.intoArray(c, c3); acc31.intoArray(c, c3 + L);
    acc40.intoArray(c, c4); acc41.intoArray(c, c4 + L);
    acc50.intoArray(c, c5); acc51.intoArray(c, c5 + L);
  }

  /**
   * {@link #block6} for 4 rows (8 accumulators), for the row blocks {@link #rowStart} makes of 4
   * rows. Its loads are free of range checks (the stride is the constant {@link #NR}): with 8
   * accumulators, two B vectors and four broadcasts in 14 registers, C2 has no reason to spill.
   * A method of its own rather than {@link #block6} with a row count: a register block's
   * accumulators must be named variables for C2 to keep them in registers, and whatever changes
   * block6's loop changes how C2 schedules it (see there).
   */
  private static void block4(float[] a, int kc, float[] b, int bi, float[] c, int ci, int ldc,
      float[] bias, int biasOff, boolean first) {
    FloatVector init0 = first && bias != null ? FloatVector.fromArray(S, bias, biasOff) : FloatVector.zero(S);
    FloatVector init1 = first && bias != null ? FloatVector.fromArray(S, bias, biasOff + L) : FloatVector.zero(S);
    FloatVector acc00 = init0, acc01 = init1, acc10 = init0, acc11 = init1;
    FloatVector acc20 = init0, acc21 = init1, acc30 = init0, acc31 = init1;
    for (int p = 0; p < kc; p++) {
      int bp = bi + p * NR;
      FloatVector b0 = FloatVector.fromArray(S, b, bp);
      FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
      FloatVector x = FloatVector.broadcast(S, a[p]);
      acc00 = x.fma(b0, acc00); acc01 = x.fma(b1, acc01);
      x = FloatVector.broadcast(S, a[p + KA]);
      acc10 = x.fma(b0, acc10); acc11 = x.fma(b1, acc11);
      x = FloatVector.broadcast(S, a[p + 2 * KA]);
      acc20 = x.fma(b0, acc20); acc21 = x.fma(b1, acc21);
      x = FloatVector.broadcast(S, a[p + 3 * KA]);
      acc30 = x.fma(b0, acc30); acc31 = x.fma(b1, acc31);
    }
    int c1 = ci + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
    if (!first) {
      acc00 = acc00.add(FloatVector.fromArray(S, c, ci)); acc01 = acc01.add(FloatVector.fromArray(S, c, ci + L));
      acc10 = acc10.add(FloatVector.fromArray(S, c, c1)); acc11 = acc11.add(FloatVector.fromArray(S, c, c1 + L));
      acc20 = acc20.add(FloatVector.fromArray(S, c, c2)); acc21 = acc21.add(FloatVector.fromArray(S, c, c2 + L));
      acc30 = acc30.add(FloatVector.fromArray(S, c, c3)); acc31 = acc31.add(FloatVector.fromArray(S, c, c3 + L));
    }
    acc00.intoArray(c, ci); acc01.intoArray(c, ci + L);
    acc10.intoArray(c, c1); acc11.intoArray(c, c1 + L);
    acc20.intoArray(c, c2); acc21.intoArray(c, c2 + L);
    acc30.intoArray(c, c3); acc31.intoArray(c, c3 + L);
  }

  /** One row × 2 vectors of C, as {@link #block8} without bias: for edge tiles of one or two rows. */
  private static void block1(float[] a, int ai, int kc, float[] b, int bi, float[] c, int ci, boolean first) {
    FloatVector acc0 = FloatVector.zero(S);
    FloatVector acc1 = FloatVector.zero(S);
    for (int s0 = 0, ab = ai; s0 < kc; s0 += KA, ab += MR * KA) {
      int sk = Math.min(KA, kc - s0), bs = bi + s0 * NR;
      for (int p = 0; p < sk; p++) {
        int bp = bs + p * NR;
        FloatVector x = FloatVector.broadcast(S, a[ab + p]);
        acc0 = x.fma(FloatVector.fromArray(S, b, bp), acc0);
        acc1 = x.fma(FloatVector.fromArray(S, b, bp + L), acc1);
      }
    }
    if (!first) {
      acc0 = acc0.add(FloatVector.fromArray(S, c, ci));
      acc1 = acc1.add(FloatVector.fromArray(S, c, ci + L));
    }
    acc0.intoArray(c, ci);
    acc1.intoArray(c, ci + L);
  }
}
