package dev.heed.runtime;

import java.util.List;

/**
 * Creates instances of one compiled model. Each generated model class has a nested
 * {@code Factory} registered in {@code META-INF/services/dev.heed.runtime.HeedModelFactory},
 * so {@link java.util.ServiceLoader} finds every model in a jar.
 */
public interface HeedModelFactory {
  /** The model's name as declared in its spec. */
  String name();

  List<TensorSpec> inputs();

  List<TensorSpec> outputs();

  /** Every learned parameter: checkpoint name and shape, in declaration order. */
  List<ParamSpec> parameters();

  /** Loads the model, taking each parameter from {@code weights} (shapes are checked). */
  HeedModel create(Weights weights);

  /** One learned tensor of a model: its checkpoint name, shape and random-init rule. */
  record ParamSpec(String name, int[] shape, String init) {
    public ParamSpec {
      shape = shape.clone();
    }

    @Override public int[] shape() { return shape.clone(); }
  }
}
