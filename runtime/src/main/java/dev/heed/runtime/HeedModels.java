package dev.heed.runtime;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/** Finds compiled models through {@link ServiceLoader}: each registers a {@link HeedModelFactory}. */
public final class HeedModels {
  private HeedModels() {}

  /**
   * Every model factory {@code loader} can see, sorted by name.
   *
   * @throws IllegalStateException if a registered factory cannot be loaded
   */
  public static List<HeedModelFactory> all(ClassLoader loader) {
    List<HeedModelFactory> result = new ArrayList<>();
    try {
      for (HeedModelFactory f : ServiceLoader.load(HeedModelFactory.class, loader)) result.add(f);
    } catch (ServiceConfigurationError e) {
      throw new IllegalStateException("cannot load a heed model: " + oneLine(e.getMessage()), e);
    }
    result.sort(Comparator.comparing(HeedModelFactory::name));
    return List.copyOf(result);
  }

  /**
   * The factory for the model called {@code nameOrNull}; with null, the only model there is.
   *
   * @throws IllegalArgumentException listing the models found, if there is no model of that
   *     name, no model at all, or several and no name was given
   */
  public static HeedModelFactory find(ClassLoader loader, String nameOrNull) {
    List<HeedModelFactory> all = all(loader);
    if (all.isEmpty()) throw new IllegalArgumentException("no heed model found on the class path");
    String names = all.stream().map(HeedModelFactory::name).collect(Collectors.joining(", "));
    if (nameOrNull == null) {
      if (all.size() > 1) {
        throw new IllegalArgumentException("found " + all.size() + " models (" + names + "); name the one to run");
      }
      return all.get(0);
    }
    for (HeedModelFactory f : all) if (f.name().equals(nameOrNull)) return f;
    throw new IllegalArgumentException("no model named '" + nameOrNull + "' (available: " + names + ")");
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.replace('\n', ' ');
  }
}
