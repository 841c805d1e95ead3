package dev.heed.compiler.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class LocTest {
  private static final Loc CALL = new Loc("m.heed", 9, 5);
  private static final Loc A = new Loc("m.heed", 3, 11);
  private static final Loc B = new Loc("heed/prelude.heed", 22, 10, CALL);
  private static final Loc C = new Loc("m.heed", 4, 7);

  @Test void mergeKeepsEveryKnownPlaceOnceInOrder() {
    Loc ab = Loc.merge(A, B);
    assertEquals(List.of(A, B), ab.places());
    // Merging a merged location flattens it; repeats and unknown places go.
    Loc all = Loc.merge(ab, Loc.UNKNOWN, B, C, A);
    assertEquals(List.of(A, B, C), all.places());
    assertEquals("m.heed", all.file());
    assertEquals(3, all.line());
    assertEquals(Loc.UNKNOWN, Loc.merge(Loc.UNKNOWN, Loc.UNKNOWN));
    assertEquals(B, Loc.merge(B));
    // Another column of a line already there adds nothing; the same line reached by another call does.
    assertEquals(List.of(A), Loc.merge(A, new Loc("m.heed", 3, 2)).places());
    Loc otherCall = new Loc("heed/prelude.heed", 22, 3, new Loc("m.heed", 10, 5));
    assertEquals(List.of(B, otherCall), Loc.merge(B, new Loc("heed/prelude.heed", 22, 1, CALL), otherCall).places());
  }

  @Test void chainsAndTheInnermostPlaceOfAFile() {
    assertEquals(List.of(B, CALL), B.chain());
    assertEquals(CALL, B.innermost(f -> f.equals("m.heed")));
    assertNull(A.innermost(f -> f.equals("heed/prelude.heed")));
    // The chain of a merged location is its first place's.
    assertEquals(List.of(A), Loc.merge(A, B).chain());
    assertEquals("heed/prelude.heed:22:10 from m.heed:9:5", B.toString());
    assertEquals("m.heed:3:11, heed/prelude.heed:22:10 from m.heed:9:5", Loc.merge(A, B).toString());
  }

  @Test void aPlaceIsOnePlace() {
    assertThrows(IllegalArgumentException.class, () -> new Loc("m.heed", 1, 1, null, List.of(Loc.merge(A, C))));
  }
}
