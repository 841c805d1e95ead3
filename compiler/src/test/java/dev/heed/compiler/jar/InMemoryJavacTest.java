package dev.heed.compiler.jar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class InMemoryJavacTest {

  /** A class loader over class files in memory. */
  static final class BytesLoader extends ClassLoader {
    private final Map<String, byte[]> classes;

    BytesLoader(Map<String, byte[]> classes) {
      super(BytesLoader.class.getClassLoader());
      this.classes = classes;
    }

    @Override protected Class<?> findClass(String name) throws ClassNotFoundException {
      byte[] b = classes.get(name);
      if (b == null) throw new ClassNotFoundException(name);
      return defineClass(name, b, 0, b.length);
    }
  }

  @Test
  void compilesAgainstTheRuntimeAndLoads() throws Exception {
    String src = """
        package demo.gen;

        import dev.heed.runtime.Tensor;
        import java.util.function.Supplier;

        public final class Hello implements Supplier<String> {
          /** A nested class, to check binary names. */
          static final class Inner {
            static int twice(int x) { int doubled = 2 * x; return doubled; }
          }

          @Override public String get() {
            Tensor t = Tensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
            return t.typeString() + " " + Inner.twice(21);
          }
        }
        """;
    Map<String, byte[]> classes = InMemoryJavac.compile(Map.of("demo.gen.Hello", src));
    assertEquals(java.util.Set.of("demo.gen.Hello", "demo.gen.Hello$Inner"), classes.keySet());
    // Class file major version 65 is Java 21.
    byte[] hello = classes.get("demo.gen.Hello");
    assertEquals(0xCAFEBABE, ((hello[0] & 0xff) << 24) | ((hello[1] & 0xff) << 16) | ((hello[2] & 0xff) << 8) | (hello[3] & 0xff));
    assertEquals(65, ((hello[6] & 0xff) << 8) | (hello[7] & 0xff));
    // -g keeps local variable names.
    assertTrue(new String(classes.get("demo.gen.Hello$Inner"), java.nio.charset.StandardCharsets.ISO_8859_1)
        .contains("LocalVariableTable"));

    Class<?> type = new BytesLoader(classes).loadClass("demo.gen.Hello");
    @SuppressWarnings("unchecked")
    Supplier<String> s = (Supplier<String>) type.getDeclaredConstructor().newInstance();
    assertEquals("f32[2, 3] 42", s.get());
  }

  @Test
  void sameSourcesGiveSameBytes() {
    Map<String, String> src = Map.of("a.B", "package a; public class B { int x = 1; }");
    assertArrayEquals(InMemoryJavac.compile(src).get("a.B"), InMemoryJavac.compile(src).get("a.B"));
  }

  @Test
  void reportsErrorsWithLocations() {
    String bad = "package a;\npublic class Bad {\n  int f() { return missing; }\n}\n";
    var e = assertThrows(InMemoryJavac.CompilationException.class,
        () -> InMemoryJavac.compile(Map.of("a.Bad", bad)));
    assertTrue(e.diagnostics().contains("a/Bad.java:3:20: error: cannot find symbol"), e.diagnostics());
    assertTrue(e.diagnostics().contains("int f() { return missing; }"), e.diagnostics());
    assertTrue(e.getMessage().contains("bug in heed"), e.getMessage());
  }

  @Test
  void warningsAreErrors() {
    String lint = "package a;\npublic class Lint {\n  @SuppressWarnings(\"nope\")\n  java.util.List raw() { return null; }\n}\n";
    var e = assertThrows(InMemoryJavac.CompilationException.class,
        () -> InMemoryJavac.compile(Map.of("a.Lint", lint)));
    assertTrue(e.diagnostics().contains("warning:"), e.diagnostics());
  }

  @Test
  void classpathHasTheRuntime() {
    var cp = InMemoryJavac.runtimeClasspath();
    assertEquals(2, cp.size(), cp.toString());
  }
}
