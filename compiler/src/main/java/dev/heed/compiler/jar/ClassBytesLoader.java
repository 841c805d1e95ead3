package dev.heed.compiler.jar;

import dev.heed.runtime.HeedModelFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Loads classes compiled by {@link InMemoryJavac} straight from memory, so a model can be
 * instantiated without writing a jar (to check weights at compile time, and in tests).
 */
public final class ClassBytesLoader extends ClassLoader {
  static {
    registerAsParallelCapable();
  }

  private final Map<String, byte[]> classes;

  /** A loader for {@code classes} (binary name → class file) whose parent is heed's own loader. */
  public ClassBytesLoader(Map<String, byte[]> classes) {
    this(classes, ClassBytesLoader.class.getClassLoader());
  }

  public ClassBytesLoader(Map<String, byte[]> classes, ClassLoader parent) {
    super("heed-generated", parent);
    this.classes = Map.copyOf(classes);
  }

  @Override protected Class<?> findClass(String name) throws ClassNotFoundException {
    byte[] bytes = classes.get(name);
    if (bytes == null) throw new ClassNotFoundException(name);
    return defineClass(name, bytes, 0, bytes.length);
  }

  /**
   * Instantiates each factory named in {@code serviceEntries} (the text of the
   * {@code META-INF/services} file: class names one a line, {@code #} comments).
   *
   * @throws IllegalStateException if a factory cannot be loaded or instantiated
   */
  public List<HeedModelFactory> factories(String serviceEntries) {
    List<HeedModelFactory> out = new ArrayList<>();
    for (String line : serviceEntries.split("\n")) {
      int hash = line.indexOf('#');
      String name = (hash >= 0 ? line.substring(0, hash) : line).strip();
      if (name.isEmpty()) continue;
      try {
        Class<?> type = Class.forName(name, true, this);
        out.add(type.asSubclass(HeedModelFactory.class).getDeclaredConstructor().newInstance());
      } catch (ReflectiveOperationException | ClassCastException | LinkageError e) {
        throw new IllegalStateException("cannot instantiate generated model factory " + name + ": " + e, e);
      }
    }
    return List.copyOf(out);
  }
}
