package dev.heed.compiler.interp;

import dev.heed.compiler.ir.Op;

/**
 * The elementwise ops on one element: the reference definition shared by the
 * {@link Interpreter} and constant folding. Each is computed in double from f32 operands
 * and rounded to f32 once, so +, -, ×, ÷ and √ give exactly the f32 operation's result.
 */
public final class Scalars {
  private Scalars() {}

  /** {@code a op b} for add, sub, mul, div. */
  public static float binary(Op op, float a, float b) {
    double x = a, y = b;
    return switch (op) {
      case ADD -> (float) (x + y);
      case SUB -> (float) (x - y);
      case MUL -> (float) (x * y);
      case DIV -> (float) (x / y);
      default -> throw new IllegalArgumentException(op.irName() + " is not a binary elementwise op");
    };
  }

  /** {@code op(x)} for neg, relu, gelu, gelu_tanh, tanh, sigmoid, exp, sqrt. */
  public static float unary(Op op, float v) {
    double x = v;
    return switch (op) {
      case NEG -> -v;
      case RELU -> Math.max(v, 0f);
      case GELU -> (float) gelu(x);
      case GELU_TANH -> (float) geluTanh(x);
      case TANH -> (float) Math.tanh(x);
      case SIGMOID -> (float) (1.0 / (1.0 + Math.exp(-x)));
      case EXP -> (float) Math.exp(x);
      case SQRT -> (float) Math.sqrt(x);
      default -> throw new IllegalArgumentException(op.irName() + " is not a unary elementwise op");
    };
  }

  /** The exact GELU, x·Φ(x) = 0.5·x·(1 + erf(x/√2)). */
  public static double gelu(double x) { return 0.5 * x * (1.0 + erf(x / Math.sqrt(2.0))); }

  /** GELU's tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
  public static double geluTanh(double x) {
    return 0.5 * x * (1.0 + Math.tanh(Math.sqrt(2.0 / Math.PI) * (x + 0.044715 * x * x * x)));
  }

  /**
   * The error function, to about 1e-16 relative: W. J. Cody's rational approximations
   * (Math. Comp. 23, 1969), the one implementation heed has, shared with the generated code.
   */
  public static double erf(double x) { return dev.heed.runtime.kernels.Activations.erf(x); }
}
