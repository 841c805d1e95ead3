package dev.heed.dsl.ast;

import dev.heed.dsl.diag.Span;
import java.util.List;
import java.util.Optional;

/**
 * {@code f32[batch, seq, d]} or {@code [..., d]}: an element type (absent when left out)
 * and dimensions. In an {@code input} every dimension is a name or a constant expression;
 * in a layer argument, a name not yet bound binds to the actual dimension.
 */
public record TypePattern(Optional<String> dtype, List<DimPattern> dims, Span span) {
  public TypePattern {
    dims = List.copyOf(dims);
  }

  /** One dimension of a pattern. */
  public sealed interface DimPattern {
    Span span();

    /** {@code ...}: any number of leading dimensions. */
    record Rest(Span span) implements DimPattern {}

    /** A name or constant expression. */
    record Of(Expr expr, Span span) implements DimPattern {}
  }
}
