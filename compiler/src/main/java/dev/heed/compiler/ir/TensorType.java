package dev.heed.compiler.ir;

import dev.heed.runtime.DType;
import java.util.List;
import java.util.stream.Collectors;

/** The type of an IR value: element type and shape, e.g. {@code f32[batch, seq, 64]}. */
public record TensorType(DType dtype, List<Dim> shape) {
  public TensorType {
    shape = List.copyOf(shape);
  }

  public static TensorType f32(Dim... dims) { return new TensorType(DType.F32, List.of(dims)); }

  public static TensorType i64(Dim... dims) { return new TensorType(DType.I64, List.of(dims)); }

  public int rank() { return shape.size(); }

  public Dim dim(int axis) { return shape.get(axis); }

  /** The last dimension. */
  public Dim last() { return shape.get(shape.size() - 1); }

  public TensorType withShape(List<Dim> newShape) { return new TensorType(dtype, newShape); }

  /** True when every dimension is known. */
  public boolean isStatic() { return shape.stream().allMatch(Dim::isKnown); }

  /** {@code f32[batch, seq, 64]}, the spelling used by specs, IR text and diagnostics. */
  @Override public String toString() {
    return dtype.irName() + shape.stream().map(Dim::toString).collect(Collectors.joining(", ", "[", "]"));
  }
}
