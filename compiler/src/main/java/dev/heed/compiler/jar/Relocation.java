package dev.heed.compiler.jar;

import java.nio.charset.StandardCharsets;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.commons.ClassRemapper;
import org.objectweb.asm.commons.Remapper;

/**
 * Moves jackson-core into heed's own package inside a model jar, as maven-shade's relocation
 * does: {@code com.fasterxml.jackson.core} becomes {@value #TO_PACKAGE}. A model jar used as a
 * library then brings no second copy of jackson-core to the application's class path, where
 * whichever came first would serve both the application and heed. Class files are rewritten with
 * ASM: every reference to a relocated class, and string constants naming one (as
 * {@code a.b.C} or {@code a/b/C}).
 */
final class Relocation {
  static final String FROM_PACKAGE = "com.fasterxml.jackson.core";
  static final String TO_PACKAGE = "dev.heed.shaded.jackson.core";
  private static final String FROM = FROM_PACKAGE.replace('.', '/') + "/";
  private static final String TO = TO_PACKAGE.replace('.', '/') + "/";
  private static final byte[] MARKER = FROM.getBytes(StandardCharsets.UTF_8);
  private static final byte[] DOTTED_MARKER = (FROM_PACKAGE + ".").getBytes(StandardCharsets.UTF_8);

  private static final Remapper REMAPPER = new Remapper() {
    @Override public String map(String internalName) {
      return internalName.startsWith(FROM) ? TO + internalName.substring(FROM.length()) : internalName;
    }

    @Override public Object mapValue(Object value) {
      if (value instanceof String s) return string(s);
      return super.mapValue(value);
    }
  };

  private Relocation() {}

  /** The jar entry name {@code name} has after relocation: classes and service files move. */
  static String name(String name) {
    if (name.startsWith(FROM)) return TO + name.substring(FROM.length());
    String services = "META-INF/services/";
    if (name.startsWith(services)) return services + string(name.substring(services.length()));
    return name;
  }

  /** True when the content of entry {@code name} may name a relocated class. */
  private static boolean rewrites(String name, byte[] content) {
    if (name.endsWith(".class")) return contains(content, MARKER) || contains(content, DOTTED_MARKER);
    return name.startsWith("META-INF/services/") && contains(content, DOTTED_MARKER);
  }

  /** The content of entry {@code name} after relocation: {@code content} itself when nothing in it moves. */
  static byte[] content(String name, byte[] content) {
    if (!rewrites(name, content)) return content;
    if (!name.endsWith(".class")) {
      return string(new String(content, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
    }
    ClassReader reader = new ClassReader(content);
    ClassWriter writer = new ClassWriter(0);
    reader.accept(new ClassRemapper(writer, REMAPPER), 0);
    return writer.toByteArray();
  }

  /** {@code s} with every relocated package name in it replaced, dotted or slashed. */
  static String string(String s) {
    return s.replace(FROM_PACKAGE + ".", TO_PACKAGE + ".").replace(FROM, TO);
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0, end = haystack.length - needle.length; i <= end; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) continue outer;
      }
      return true;
    }
    return false;
  }
}
