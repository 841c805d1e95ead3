package dev.heed.compiler.ir;

import java.util.ArrayList;
import java.util.List;

/**
 * The epilogue of a {@link Op#FUSED_LINEAR}: what happens to {@code x·wᵀ} before it is stored,
 * in this order: add a bias, apply an activation, add a residual, normalise each row. Its text
 * form, the node's {@code epilogue} attribute, lists the steps joined by commas, e.g.
 * {@code "bias,gelu"} or {@code "bias,residual,layer_norm"}.
 *
 * <p>Operands after x and w, in step order: the bias, the residual, then the norm's scale
 * (and, for layer_norm, shift), each f32[n]. A norm step needs the node's {@code eps}
 * attribute.
 *
 * @param bias       the next operand after x and w is a bias f32[n]
 * @param activation a unary elementwise op (relu, gelu, gelu_tanh, tanh, sigmoid), or null
 * @param residual   the next operand is added to the result (same type)
 * @param norm       {@link Op#LAYER_NORM} or {@link Op#RMS_NORM} over each row of the result,
 *                   with the last one or two operands as scale and shift; or null
 */
public record Epilogue(boolean bias, Op activation, boolean residual, Op norm) {
  /** The activations a GEMM's store can apply. */
  public static final List<Op> ACTIVATIONS = List.of(Op.RELU, Op.GELU, Op.GELU_TANH, Op.TANH, Op.SIGMOID);

  /** The row normalisations a GEMM's store can apply, once a row is complete. */
  public static final List<Op> NORMS = List.of(Op.LAYER_NORM, Op.RMS_NORM);

  public Epilogue {
    if (activation != null && !ACTIVATIONS.contains(activation)) {
      throw new IllegalArgumentException(activation.irName() + " is not an epilogue activation");
    }
    if (norm != null && !NORMS.contains(norm)) throw new IllegalArgumentException(norm.irName() + " is not an epilogue norm");
    if (!bias && activation == null && !residual && norm == null) {
      throw new IllegalArgumentException("an epilogue needs at least one step");
    }
  }

  /** An epilogue without a norm step. */
  public Epilogue(boolean bias, Op activation, boolean residual) {
    this(bias, activation, residual, null);
  }

  /** Operands the epilogue takes after x and w. */
  public int operandCount() {
    return (bias ? 1 : 0) + (residual ? 1 : 0) + (norm == Op.LAYER_NORM ? 2 : norm == Op.RMS_NORM ? 1 : 0);
  }

  /** Index of the residual among all the node's operands (x and w first); -1 without one. */
  public int residualIndex() {
    return residual ? 2 + (bias ? 1 : 0) : -1;
  }

  /** Index of the norm's scale among all the node's operands; -1 without a norm (shift: the next one). */
  public int normIndex() {
    return norm == null ? -1 : 2 + (bias ? 1 : 0) + (residual ? 1 : 0);
  }

  /** Parses {@code "bias,gelu,residual,layer_norm"} and its subsets (in that order), or fails saying why. */
  public static Epilogue parse(String text) {
    boolean bias = false, residual = false;
    Op act = null, norm = null;
    int stage = 0; // 0: bias may come, 1: activation, 2: residual, 3: norm, 4: nothing more
    for (String step : text.split(",", -1)) {
      String s = step.strip();
      Op op = Op.fromIrName(s);
      if (s.equals("bias") && stage == 0) {
        bias = true;
        stage = 1;
      } else if (op != null && ACTIVATIONS.contains(op) && stage <= 1) {
        act = op;
        stage = 2;
      } else if (s.equals("residual") && stage <= 2) {
        residual = true;
        stage = 3;
      } else if (op != null && NORMS.contains(op) && stage <= 3) {
        norm = op;
        stage = 4;
      } else {
        throw new ShapeError("fused_linear: bad epilogue \"" + text + "\": steps are bias, then one of "
            + "relu/gelu/gelu_tanh/tanh/sigmoid, then residual, then layer_norm or rms_norm, each at most once "
            + "and in that order");
      }
    }
    return new Epilogue(bias, act, residual, norm);
  }

  /** The text form, e.g. {@code "bias,gelu"}. */
  @Override public String toString() {
    List<String> steps = new ArrayList<>();
    if (bias) steps.add("bias");
    if (activation != null) steps.add(activation.irName());
    if (residual) steps.add("residual");
    if (norm != null) steps.add(norm.irName());
    return String.join(",", steps);
  }
}
