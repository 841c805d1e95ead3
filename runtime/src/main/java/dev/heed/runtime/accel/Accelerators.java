package dev.heed.runtime.accel;

import dev.heed.runtime.Tensor;
import dev.heed.runtime.Weights;
import java.lang.reflect.InvocationTargetException;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Run-time choice between a model's accelerated forward pass (TornadoVM) and its jvm kernels.
 *
 * <p>A model compiled with {@code --target tornadovm} calls {@link #load} from its constructor.
 * The accelerated class is loaded by name with {@link Class#forName}; if that fails (TornadoVM's
 * classes are not on the class path, no device, the option says no), the model runs its jvm
 * kernels after a one-line notice on stderr, printed once per JVM.
 *
 * <p>System properties:
 * <ul>
 *   <li>{@value #MODE}: {@code auto} (default: use TornadoVM when it can), {@code off} (always the
 *       jvm kernels, no notice), {@code require} (fail instead of falling back: for checks);
 *   <li>{@code heed.tornado.device=B:D}: TornadoVM backend index B, device index D (as
 *       {@code tornado --devices} lists them); default: TornadoVM's default device;
 *   <li>{@value #VERBOSE}{@code =true}: one line on stderr per model saying where it runs.
 * </ul>
 */
public final class Accelerators {
  /** The system property choosing auto, off or require. */
  public static final String MODE = "heed.tornado";
  /** The system property that makes each model say on stderr where it runs. */
  public static final String VERBOSE = "heed.tornado.verbose";

  private static final AtomicBoolean NOTICE_PRINTED = new AtomicBoolean();

  private Accelerators() {}

  /** What {@value #MODE} asks for. */
  public enum Mode { AUTO, OFF, REQUIRE }

  /** The mode from {@value #MODE}; an unknown value is an error. */
  public static Mode mode() {
    String v = System.getProperty(MODE, "auto").strip().toLowerCase(Locale.ROOT);
    return switch (v) {
      case "auto", "", "true", "on" -> Mode.AUTO;
      case "off", "false", "jvm" -> Mode.OFF;
      case "require", "required" -> Mode.REQUIRE;
      default -> throw new IllegalArgumentException("-D" + MODE + "=" + v + ": expected auto, off or require");
    };
  }

  /**
   * The accelerated forward pass of model {@code model}, or null to run its jvm kernels.
   *
   * @param owner the model's class: its class loader loads {@code className}
   * @param className the generated class implementing {@link AcceleratedModel}
   * @param model the model's name, for messages
   * @param weights passed to the class's constructor
   * @throws IllegalStateException in {@code require} mode, when the accelerator cannot be used
   */
  public static Accelerated load(Class<?> owner, String className, String model, Weights weights) {
    Mode mode = mode();
    if (mode == Mode.OFF) return null;
    try {
      Class<?> c = Class.forName(className, true, owner.getClassLoader());
      AcceleratedModel m = (AcceleratedModel) c.getConstructor(Weights.class).newInstance(weights);
      if (Boolean.getBoolean(VERBOSE)) System.err.println("heed: " + model + " runs on TornadoVM (" + m.device() + ")");
      return new Accelerated(m, model, mode);
    } catch (InvocationTargetException e) {
      return unavailable(mode, model, e.getCause());
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      return unavailable(mode, model, e);
    }
  }

  private static Accelerated unavailable(Mode mode, String model, Throwable why) {
    String reason = reason(why);
    if (mode == Mode.REQUIRE) {
      throw new IllegalStateException("heed: " + model + ": TornadoVM is required (-D" + MODE + "=require) but cannot be used: "
          + reason, why);
    }
    notice("heed: TornadoVM is not available (" + reason + "); running the jvm kernels");
    return null;
  }

  /** Prints {@code line} on stderr unless a notice was printed before in this JVM. */
  static void notice(String line) {
    if (NOTICE_PRINTED.compareAndSet(false, true)) System.err.println(line);
  }

  static String reason(Throwable t) {
    if (t instanceof ClassNotFoundException || t instanceof NoClassDefFoundError) {
      String missing = t.getMessage() == null ? "" : t.getMessage().replace('/', '.');
      return missing.startsWith("uk.ac.manchester.tornado") ? "its classes are not on the class path: run with java @$TORNADOVM_HOME/tornado-argfile"
          : "class " + missing + " not found";
    }
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m.lines().findFirst().orElse("").strip());
  }

  /**
   * A loaded accelerator as the model's class uses it: {@link #forward} returns null when the
   * accelerator failed at run time, after which the model runs its jvm kernels for good.
   */
  public static final class Accelerated {
    private final AcceleratedModel model;
    private final String name;
    private final Mode mode;
    private volatile boolean failed;

    Accelerated(AcceleratedModel model, String name, Mode mode) {
      this.model = model;
      this.name = name;
      this.mode = mode;
    }

    /**
     * The outputs, or null: run the jvm kernels instead.
     *
     * @throws IllegalArgumentException for bad inputs
     */
    public Tensor[] forward(Tensor... inputs) {
      if (failed) return null;
      try {
        return model.forward(inputs);
      } catch (IllegalArgumentException e) {
        throw e;
      } catch (RuntimeException | LinkageError e) {
        if (mode == Mode.REQUIRE) throw e;
        failed = true;
        notice("heed: " + name + ": TornadoVM failed (" + reason(e) + "); running the jvm kernels from now on");
        return null;
      }
    }

    /** The device, as the accelerator describes it. */
    public String device() {
      return model.device();
    }
  }

  /** For tests: allow the next notice to print. */
  static void resetNotice() {
    NOTICE_PRINTED.set(false);
  }

  /** Rounds an i64 value into int range, keeping its sign and whether it is 0 (ids, masks). */
  public static int saturatedInt(long v) {
    return v > Integer.MAX_VALUE ? Integer.MAX_VALUE : v < Integer.MIN_VALUE ? Integer.MIN_VALUE : (int) v;
  }
}
