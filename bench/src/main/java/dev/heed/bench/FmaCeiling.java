package dev.heed.bench;

import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * The machine's FP32 FMA ceiling for the Vector API: twelve independent accumulators in
 * registers, no memory traffic, so the loop runs as fast as the FMA units issue. GEMM
 * numbers are read against this.
 *
 * <p>Each accumulator is the addend, {@code acc = x·y + acc}, as in a GEMM's inner loop. With
 * the accumulator as a multiplicand instead ({@code acc = acc·x + y}) the loop ran 16% slower on
 * an AVX2 Zen 3 (83 against 98 GFLOP/s on one thread), below what heed's GEMM itself reached
 * there, so it was no ceiling.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class FmaCeiling {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  /** Loop trips per call. */
  static final int TRIPS = 1 << 16;
  /** Accumulators: enough to cover FMA latency times issue width. */
  static final int CHAINS = 12;

  /** Floating-point operations per call: one FMA is two per lane. */
  static double flops() {
    return 2.0 * TRIPS * CHAINS * S.length();
  }

  private float x = 0.999f;
  private float y = 1e-7f;

  @Benchmark
  public float fma() {
    FloatVector vx = FloatVector.broadcast(S, x);
    FloatVector vy = FloatVector.broadcast(S, y);
    FloatVector a0 = vy, a1 = vy, a2 = vy, a3 = vy, a4 = vy, a5 = vy;
    FloatVector a6 = vy, a7 = vy, a8 = vy, a9 = vy, a10 = vy, a11 = vy;
    for (int i = 0; i < TRIPS; i++) {
      a0 = vx.fma(vy, a0); a1 = vx.fma(vy, a1); a2 = vx.fma(vy, a2); a3 = vx.fma(vy, a3);
      a4 = vx.fma(vy, a4); a5 = vx.fma(vy, a5); a6 = vx.fma(vy, a6); a7 = vx.fma(vy, a7);
      a8 = vx.fma(vy, a8); a9 = vx.fma(vy, a9); a10 = vx.fma(vy, a10); a11 = vx.fma(vy, a11);
    }
    return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
        .reduceLanes(VectorOperators.ADD);
  }
}
