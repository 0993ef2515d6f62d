package dev.shard4j.kernels;

import dev.shard4j.tensor.Shape;
import java.util.List;
import java.util.Objects;

/**
 * How a group of parameters is sharded on dim 0 over a world size, as PyTorch FSDP2 lays it out:
 * parameter p of shape [d0, rest...] is cut into chunks of c = ceil(d0 / W) rows, rank r holds rows
 * [r c, min((r + 1) c, d0)) padded with zero rows to c rows, and a rank's shard of the group is
 * its padded chunks concatenated in parameter order. A scalar counts as one row of one element.
 * The accessors throw IndexOutOfBoundsException for a parameter index (or rank) out of range.
 * Immutable and thread-safe.
 */
public final class ShardLayout {
  private final int worldSize;
  private final long[] rows;
  private final long[] rowNumel;
  private final long[] chunkRows;
  private final long[] shardOffset;
  private final long shardNumel;

  /**
   * Computes the layout.
   *
   * @param shapes the parameters' unsharded shapes, in order
   * @param worldSize the number of ranks, 1 or more
   * @throws IllegalArgumentException if worldSize is less than 1, or a row or a shard would have
   *     more than 2^63 - 1 elements
   */
  public ShardLayout(List<Shape> shapes, int worldSize) {
    Objects.requireNonNull(shapes, "shapes");
    if (worldSize < 1) {
      throw new IllegalArgumentException("worldSize must be >= 1, got " + worldSize);
    }
    this.worldSize = worldSize;
    int n = shapes.size();
    rows = new long[n];
    rowNumel = new long[n];
    chunkRows = new long[n];
    shardOffset = new long[n];
    long offset = 0;
    for (int p = 0; p < n; p++) {
      Shape s = Objects.requireNonNull(shapes.get(p), "shapes[" + p + "]");
      try {
        rows[p] = s.rank() == 0 ? 1 : s.dim(0);
        // A parameter without rows has a numel of 0 whatever its other sizes, so its row size is
        // their product, which may overflow where the shape's numel could not.
        rowNumel[p] = s.rank() == 0 ? 1 : (rows[p] == 0 ? rowNumelOf(s) : s.numel() / rows[p]);
        chunkRows[p] = (rows[p] + worldSize - 1) / worldSize;
        shardOffset[p] = offset;
        offset = Math.addExact(offset, Math.multiplyExact(chunkRows[p], rowNumel[p]));
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException("shard layout over " + worldSize + " ranks: shapes[" + p + "] " + s
            + " makes a row or a shard of more than 2^63 - 1 elements (overflow)");
      }
    }
    shardNumel = offset;
  }

  private static long rowNumelOf(Shape s) {
    long n = 1;
    for (int d = 1; d < s.rank(); d++) {
      n = Math.multiplyExact(n, s.dim(d));
    }
    return n;
  }

  private int param(int p) {
    if (p < 0 || p >= rows.length) {
      throw new IndexOutOfBoundsException("parameter " + p + " out of range for " + rows.length + " parameters");
    }
    return p;
  }

  /**
   * The number of ranks.
   *
   * @return W
   */
  public int worldSize() {
    return worldSize;
  }

  /**
   * The number of parameters.
   *
   * @return the count
   */
  public int size() {
    return rows.length;
  }

  /**
   * Elements of one rank's shard of the whole group, padding included.
   *
   * @return S
   */
  public long shardNumel() {
    return shardNumel;
  }

  /**
   * Rows of parameter p in each chunk (c = ceil(d0 / W)).
   *
   * @param p parameter index
   * @return c
   */
  public long chunkRows(int p) {
    return chunkRows[param(p)];
  }

  /**
   * Elements per row of parameter p (the product of its other dimensions).
   *
   * @param p parameter index
   * @return the row size
   */
  public long rowNumel(int p) {
    return rowNumel[param(p)];
  }

  /**
   * Rows of parameter p that rank r really holds (the rest of its chunk is padding).
   *
   * @param p parameter index
   * @param r rank, 0 .. worldSize - 1
   * @return 0 .. c
   * @throws IndexOutOfBoundsException if p or r is out of range
   */
  public long rowsOnRank(int p, int r) {
    param(p);
    if (r < 0 || r >= worldSize) {
      throw new IndexOutOfBoundsException("rank " + r + " out of range for worldSize " + worldSize);
    }
    return Math.max(0, Math.min(chunkRows[p], rows[p] - r * chunkRows[p]));
  }

  /**
   * Where parameter p's padded chunk starts inside a rank's shard, in elements.
   *
   * @param p parameter index
   * @return the offset
   */
  public long shardOffset(int p) {
    return shardOffset[param(p)];
  }

  /**
   * Elements of parameter p's padded chunk.
   *
   * @param p parameter index
   * @return c times the row size
   */
  public long paddedChunkNumel(int p) {
    return chunkRows[param(p)] * rowNumel[p];
  }
}
