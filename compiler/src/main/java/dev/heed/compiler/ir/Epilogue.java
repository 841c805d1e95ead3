package dev.heed.compiler.ir;

import java.util.ArrayList;
import java.util.List;

/**
 * The epilogue of a {@link Op#FUSED_LINEAR}: what happens to {@code x·wᵀ} before it is stored,
 * in this order: add a bias, apply an activation, add a residual. Its text form, the node's
 * {@code epilogue} attribute, lists the steps joined by commas, e.g. {@code "bias,gelu"}.
 *
 * @param bias       the next operand after x and w is a bias f32[n]
 * @param activation a unary elementwise op (relu, gelu, gelu_tanh, tanh, sigmoid), or null
 * @param residual   the last operand is added to the result (same type)
 */
public record Epilogue(boolean bias, Op activation, boolean residual) {
  /** The activations a GEMM's store can apply. */
  public static final List<Op> ACTIVATIONS = List.of(Op.RELU, Op.GELU, Op.GELU_TANH, Op.TANH, Op.SIGMOID);

  public Epilogue {
    if (activation != null && !ACTIVATIONS.contains(activation)) {
      throw new IllegalArgumentException(activation.irName() + " is not an epilogue activation");
    }
    if (!bias && activation == null && !residual) throw new IllegalArgumentException("an epilogue needs at least one step");
  }

  /** Parses {@code "bias,gelu,residual"} and its subsets (in that order), or fails saying why. */
  public static Epilogue parse(String text) {
    boolean bias = false, residual = false;
    Op act = null;
    int stage = 0; // 0: bias may come, 1: activation may come, 2: residual may come, 3: nothing more
    for (String step : text.split(",", -1)) {
      String s = step.strip();
      if (s.equals("bias") && stage == 0) {
        bias = true;
        stage = 1;
      } else if (s.equals("residual") && stage <= 2) {
        residual = true;
        stage = 3;
      } else {
        Op op = Op.fromIrName(s);
        if (op != null && ACTIVATIONS.contains(op) && stage <= 1) {
          act = op;
          stage = 2;
        } else {
          throw new ShapeError("fused_linear: bad epilogue \"" + text + "\": steps are bias, then one of "
              + "relu/gelu/gelu_tanh/tanh/sigmoid, then residual, each at most once and in that order");
        }
      }
    }
    return new Epilogue(bias, act, residual);
  }

  /** The text form, e.g. {@code "bias,gelu"}. */
  @Override public String toString() {
    List<String> steps = new ArrayList<>();
    if (bias) steps.add("bias");
    if (activation != null) steps.add(activation.irName());
    if (residual) steps.add("residual");
    return String.join(",", steps);
  }
}
