package dev.heed.dsl.ast;

import dev.heed.dsl.diag.SourceFile;
import java.util.List;

/** A parsed spec file: its declarations in source order. */
public record Spec(SourceFile file, List<Decl> decls) {
  public Spec {
    decls = List.copyOf(decls);
  }
}
