package dev.heed.runtime;

/** Element types of heed tensors. */
public enum DType {
  /** 32-bit IEEE float: activations and weights. */
  F32("f32", "<f4"),
  /** 64-bit signed integer: token ids and attention masks, as ONNX and numpy give them. */
  I64("i64", "<i8");

  private final String irName;
  private final String npyDescr;

  DType(String irName, String npyDescr) {
    this.irName = irName;
    this.npyDescr = npyDescr;
  }

  /** The spelling in specs and IR text: {@code f32}, {@code i64}. */
  public String irName() { return irName; }

  /** The numpy {@code descr} of this type, little-endian. */
  public String npyDescr() { return npyDescr; }

  public static DType fromIrName(String name) {
    for (DType t : values()) if (t.irName.equals(name)) return t;
    throw new IllegalArgumentException("unknown element type '" + name + "' (expected f32 or i64)");
  }
}
