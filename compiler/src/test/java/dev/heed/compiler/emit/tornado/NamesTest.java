package dev.heed.compiler.emit.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.heed.compiler.emit.JavaNames;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The identifiers each target gives out: one set of rules ({@link JavaNames}), each target's own types. */
class NamesTest {
  @Test void tornadoNamesAvoidTheTornadoTypesTheJvmTargetDoesNotUse() {
    Names tornado = new Names();
    JavaNames jvm = new JavaNames(Set.of("Tensor", "Gemm"));
    assertEquals("FloatArray2", tornado.allocate("FloatArray"));
    assertEquals("FloatArray", jvm.allocate("FloatArray"));
    assertEquals("Gemm", tornado.allocate("Gemm"));
    assertEquals("Gemm2", jvm.allocate("Gemm"));
    assertEquals("Tensor2", tornado.allocate("Tensor"));
  }

  @Test void namesAreCamelCasedUniqueAndNeverKeywordsOrReserved() {
    Names names = new Names().reserve("plan", "device", "plan");
    assertEquals("encoderLayer0Q", names.allocate("encoder.layer.0.q"));
    assertEquals("encoderLayer0Q2", names.allocate("encoder_layer_0_q"));
    assertEquals("plan2", names.allocate("plan"));
    assertEquals("class2", names.allocate("class"));
    assertEquals("String2", names.allocate("String"));
    assertEquals("t0", names.allocate("0"));
  }
}
