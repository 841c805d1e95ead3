package dev.heed.compiler.ir;

/**
 * Every IR op, grouped as a spec. Operands in parentheses, attributes in braces.
 * Binary elementwise ops broadcast numpy-style (dimensions align from the right; a
 * dimension of 1 stretches). The reference interpreter ({@code interp.Interpreter})
 * is the definition of each op; {@link ShapeRules} its typing rule.
 */
public enum Op {
  // ---- sources -------------------------------------------------------------------
  /** {name}: a model input; its type is declared. */
  INPUT("input", Kind.SOURCE),
  /** {name, init}: a learned tensor read from the weights under checkpoint name {@code name}. */
  PARAM("param", Kind.SOURCE),
  /** {value}: an f32 scalar constant, type f32[]. */
  CONSTANT("constant", Kind.SOURCE),

  // ---- elementwise -----------------------------------------------------------------
  /** (a, b): a + b, broadcasting. */
  ADD("add", Kind.ELEMENTWISE),
  /** (a, b): a - b, broadcasting. */
  SUB("sub", Kind.ELEMENTWISE),
  /** (a, b): a * b, broadcasting. */
  MUL("mul", Kind.ELEMENTWISE),
  /** (a, b): a / b, broadcasting. */
  DIV("div", Kind.ELEMENTWISE),
  /** (x): -x */
  NEG("neg", Kind.ELEMENTWISE),
  /** (x): max(x, 0) */
  RELU("relu", Kind.ELEMENTWISE),
  /** (x): x·Φ(x) = 0.5·x·(1 + erf(x/√2)), the exact GELU. */
  GELU("gelu", Kind.ELEMENTWISE),
  /** (x): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), GELU's tanh approximation. */
  GELU_TANH("gelu_tanh", Kind.ELEMENTWISE),
  /** (x): tanh(x) */
  TANH("tanh", Kind.ELEMENTWISE),
  /** (x): 1 / (1 + e^-x) */
  SIGMOID("sigmoid", Kind.ELEMENTWISE),
  /** (x): e^x */
  EXP("exp", Kind.ELEMENTWISE),
  /** (x): √x */
  SQRT("sqrt", Kind.ELEMENTWISE),

  // ---- contractions ---------------------------------------------------------------
  /** (a[..., m, k], b[..., k, n]) → [..., m, n]; leading dimensions broadcast. */
  MATMUL("matmul", Kind.GEMM),
  /** (x[..., k], w[n, k], bias[n]?) → [..., n]: x·wᵀ + bias, PyTorch's Linear layout. */
  LINEAR("linear", Kind.GEMM),

  // ---- layout ------------------------------------------------------------------------
  /** (x) {perm}: out.shape[i] = x.shape[perm[i]]. */
  TRANSPOSE("transpose", Kind.LAYOUT),
  /** (x) {shape}: same elements in row-major order, new shape (sizes or symbols). */
  RESHAPE("reshape", Kind.LAYOUT),
  /** (a, b, ...) {axis}: joined along a known-size axis. */
  CONCAT("concat", Kind.LAYOUT),
  /** (x) {axis, start, end}: the elements with index start ≤ i &lt; end along a known-size axis. */
  SLICE("slice", Kind.LAYOUT),

  // ---- reductions and normalisation ------------------------------------------------
  /** (x) {axis}: e^x / Σ e^x along axis, computed with the row maximum subtracted. */
  SOFTMAX("softmax", Kind.REDUCTION),
  /** (x[..., d], gamma[d], beta[d]) {eps}: (x - mean) / √(var + eps) · gamma + beta over the last axis. */
  LAYER_NORM("layer_norm", Kind.REDUCTION),
  /** (x[..., d], gamma[d]) {eps}: x / √(mean(x²) + eps) · gamma over the last axis. */
  RMS_NORM("rms_norm", Kind.REDUCTION),

  // ---- embeddings, positions and masks ----------------------------------------------
  /** (ids i64[...], table f32[v, d]) → f32[..., d]: rows of table; an id outside [0, v) is an error. */
  EMBEDDING("embedding", Kind.GATHER),
  /** (x) {axis} → i64[n], n = x.shape[axis]: 0, 1, …, n-1. */
  POSITIONS("positions", Kind.GENERATOR),
  /** (x) {axis, dim} → f32[n, dim], n = x.shape[axis]: sin at even, cos at odd columns, pos / 10000^(2i/dim). */
  SINUSOIDAL("sinusoidal", Kind.GENERATOR),
  /** (m i64[b, s]) → f32[b, 1, s]: 0 where m ≠ 0, -1e9 where m = 0; added to attention scores. */
  PADDING_MASK("padding_mask", Kind.GENERATOR),
  /** (x) {axis} → f32[n, n], n = x.shape[axis]: 0 where key ≤ query, -1e9 above the diagonal. */
  CAUSAL_MASK("causal_mask", Kind.GENERATOR),

  // ---- fused ops: made by passes, never by the lowering ------------------------------
  /**
   * (q[..., sq, d], k[..., sk, d], v[..., sk, dv], mask?) {scale} → [..., sq, dv]:
   * softmax(q·kᵀ·scale + mask) · v, softmax over the last axis; batch dimensions broadcast
   * as for matmul, mask broadcasts to the scores' shape [..., sq, sk] without growing it.
   * Exactly the chain transpose → matmul → mul(scale) → add(mask) → softmax → matmul that
   * {@code fuse-attention} replaces, so that kernels can skip the scores tensor.
   */
  ATTENTION("attention", Kind.FUSED),
  /**
   * (q[b, sq, h·d], k[b, sk, h·d], v[b, sk, h·dv], mask?) {heads, scale} → [b, sq, h·dv]:
   * multi-head attention on packed rows, head i reading columns i·d … (i+1)·d − 1. Exactly
   * {@code merge_heads(attention(split_heads(q), split_heads(k), split_heads(v), mask))}, where
   * split_heads is reshape to [b, s, h, d] then transpose [0, 2, 1, 3]; the mask broadcasts to
   * [b, h, sq, sk] without growing it. Kernels read heads in place: no transposes.
   */
  MHA("mha", Kind.FUSED),
  /**
   * (x[..., k], w[n, k], operands of the epilogue…) {epilogue, eps?} → [..., n]:
   * {@code linear(x, w)} followed by the epilogue's steps in order, e.g. {@code "bias,gelu"} or
   * {@code "bias,residual,layer_norm"}: {@code bias} adds the next operand (f32[n]), an
   * activation (relu, gelu, gelu_tanh, tanh, sigmoid) applies itself, {@code residual} adds the
   * next operand (same shape as the result), {@code layer_norm} (next two operands: scale and
   * shift, f32[n]) or {@code rms_norm} (next operand: scale) normalises each row with attribute
   * {@code eps}. Steps come in that order, each at most once. See {@link Epilogue}.
   */
  FUSED_LINEAR("fused_linear", Kind.FUSED),
  /** (a, b, gamma[d], beta[d]) {eps}: layer_norm(a + b), a and b of the same shape. */
  ADD_LAYER_NORM("add_layer_norm", Kind.FUSED),
  /** (a, b, gamma[d]) {eps}: rms_norm(a + b), a and b of the same shape. */
  ADD_RMS_NORM("add_rms_norm", Kind.FUSED),
  /**
   * (x0, x1, …) {expr}: a chain of elementwise ops computed in one loop, e.g.
   * {@code expr = "(($0 + $1) + $2)"}; operands broadcast numpy-style to the result's shape.
   * See {@link ElementwiseExpr} for the expression language.
   */
  ELEMENTWISE("elementwise", Kind.FUSED);

  /** The value added to masked attention scores: large enough that e^score is 0 in f32. */
  public static final float MASKED = -1e9f;

  /** Op categories, for fusion decisions. */
  public enum Kind { SOURCE, ELEMENTWISE, GEMM, LAYOUT, REDUCTION, GATHER, GENERATOR, FUSED }

  private final String irName;
  private final Kind kind;

  Op(String irName, Kind kind) {
    this.irName = irName;
    this.kind = kind;
  }

  /** The op's spelling in IR text. */
  public String irName() { return irName; }

  public Kind kind() { return kind; }

  public boolean isUnaryElementwise() {
    return kind == Kind.ELEMENTWISE && !isBinaryElementwise();
  }

  public boolean isBinaryElementwise() {
    return this == ADD || this == SUB || this == MUL || this == DIV;
  }

  public static Op fromIrName(String name) {
    for (Op op : values()) if (op.irName.equals(name)) return op;
    return null;
  }
}
