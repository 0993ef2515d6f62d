package dev.shard4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shard4j.tensor.Shape;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ShardLayout's bad input, as the API fuzzer found it: overflowing sizes, indices out of range, nulls. */
class ShardLayoutTest {
  @Test
  void rowsAndShardsTooLargeForALongAreRefused() {
    // Each shape's numel fits; the row of an empty parameter, or the shard of several, does not.
    List<List<Shape>> overflowing = List.of(
        List.of(Shape.of(0, 1L << 40, 1L << 30)),
        List.of(Shape.of(1L << 40, 1L << 22), Shape.of(1L << 40, 1L << 22), Shape.of(1L << 40, 1L << 22)));
    for (List<Shape> shapes : overflowing) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ShardLayout(shapes, 1),
          shapes.toString());
      assertTrue(e.getMessage().contains("overflow"), e.getMessage());
    }
  }

  @Test
  void theLargestLayoutsThatFitAreExact() {
    ShardLayout layout = new ShardLayout(List.of(Shape.of(0, 1L << 30, 1L << 30), Shape.of(1L << 40, 1L << 22)), 3);
    assertEquals(1L << 60, layout.rowNumel(0));
    assertEquals(0, layout.paddedChunkNumel(0));
    assertEquals(((1L << 40) + 2) / 3 * (1L << 22), layout.shardNumel());
  }

  @Test
  void indicesOutOfRangeAreRefused() {
    ShardLayout layout = new ShardLayout(List.of(Shape.of(5, 2), Shape.of()), 2);
    assertEquals(3, layout.rowsOnRank(0, 0));
    assertEquals(2, layout.rowsOnRank(0, 1));
    for (int[] pr : new int[][] {{0, 2}, {0, -1}, {1, 5}, {2, 0}, {-1, 0}}) {
      IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
          () -> layout.rowsOnRank(pr[0], pr[1]), Arrays.toString(pr));
      assertTrue(e.getMessage().contains(pr[0] < 0 || pr[0] >= 2 ? "parameter " + pr[0] : "rank " + pr[1]),
          e.getMessage());
    }
    assertThrows(IndexOutOfBoundsException.class, () -> layout.rowNumel(2));
    assertThrows(IndexOutOfBoundsException.class, () -> layout.shardOffset(-1));
  }

  @Test
  void nullShapesAreNamed() {
    NullPointerException list = assertThrows(NullPointerException.class, () -> new ShardLayout(null, 2));
    assertEquals("shapes", list.getMessage());
    NullPointerException one = assertThrows(NullPointerException.class,
        () -> new ShardLayout(Arrays.asList(Shape.of(2), null), 2));
    assertEquals("shapes[1]", one.getMessage());
  }
}
