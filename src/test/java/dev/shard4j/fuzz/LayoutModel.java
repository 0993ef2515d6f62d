package dev.shard4j.fuzz;

import dev.shard4j.kernels.ShardLayout;
import dev.shard4j.tensor.Shape;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The sharding layout of shared/REFERENCE.md, computed the plain way: parameter p of shape
 * [d0, rest...] over W ranks is cut into chunks of c = ceil(d0 / W) rows, rank r holds rows
 * [r c, min((r + 1) c, d0)), zero-padded to c rows, and a rank's shard is its padded chunks in
 * parameter order (a scalar is one row of one element). Gives the segments that unpack and
 * chunk-cat plans must copy, and checks {@link ShardLayout} against it.
 */
final class LayoutModel {
  final int world;
  final long[] rows;
  final long[] rowNumel;
  final long[] chunkRows;
  final long[] shardOffset;
  final long shardNumel;

  LayoutModel(List<long[]> shapes, int world) {
    this.world = world;
    int n = shapes.size();
    rows = new long[n];
    rowNumel = new long[n];
    chunkRows = new long[n];
    shardOffset = new long[n];
    long at = 0;
    for (int p = 0; p < n; p++) {
      long[] s = shapes.get(p);
      rows[p] = s.length == 0 ? 1 : s[0];
      long row = 1;
      for (int d = 1; d < s.length; d++) {
        row *= s[d];
      }
      rowNumel[p] = row;
      chunkRows[p] = (rows[p] + world - 1) / world;
      shardOffset[p] = at;
      at += chunkRows[p] * rowNumel[p];
    }
    shardNumel = at;
  }

  long rows(int p) {
    return rows[p];
  }

  long rowNumel(int p) {
    return rowNumel[p];
  }

  long rowsOnRank(int p, int r) {
    long first = r * chunkRows[p];
    return Math.max(0, Math.min(chunkRows[p], rows[p] - first));
  }

  long paddedChunk(int p) {
    return chunkRows[p] * rowNumel[p];
  }

  /** gathered ([world][shard]) into each parameter's rows: rank r's rows of p from its shard. */
  List<PlanModel.Segment> unpackSegments(ModelTensor gathered, List<ModelTensor> params) {
    List<PlanModel.Segment> out = new ArrayList<>();
    for (int r = 0; r < world; r++) {
      for (int p = 0; p < params.size(); p++) {
        long count = rowsOnRank(p, r) * rowNumel[p];
        if (count > 0) {
          ModelTensor t = params.get(p);
          out.add(new PlanModel.Segment(gathered.storage, (int) (gathered.offset + r * shardNumel + shardOffset[p]),
              t.storage, (int) (t.offset + r * paddedChunk(p)), (int) count));
        }
      }
    }
    return out;
  }

  /** Each gradient's chunk r into row r of out, zeros for the padding. */
  List<PlanModel.Segment> chunkCatSegments(List<ModelTensor> grads, ModelTensor out) {
    List<PlanModel.Segment> segments = new ArrayList<>();
    for (int r = 0; r < world; r++) {
      for (int p = 0; p < grads.size(); p++) {
        long count = rowsOnRank(p, r) * rowNumel[p];
        int dst = (int) (out.offset + r * shardNumel + shardOffset[p]);
        if (count > 0) {
          ModelTensor t = grads.get(p);
          segments.add(new PlanModel.Segment(t.storage, (int) (t.offset + r * paddedChunk(p)), out.storage, dst,
              (int) count));
        }
        long padding = paddedChunk(p) - count;
        if (padding > 0) {
          segments.add(new PlanModel.Segment(null, 0, out.storage, (int) (dst + count), (int) padding));
        }
      }
    }
    return segments;
  }

  /**
   * What a plan of these segments must do: refuse destinations that share an element with one
   * another or with a source (an IllegalArgumentException naming the overlap), else build.
   */
  static Outcome overlapOutcome(List<PlanModel.Segment> segments) {
    Outcome overlap = Outcome.fails(IllegalArgumentException.class, "overlap");
    for (int i = 0; i < segments.size(); i++) {
      PlanModel.Segment a = segments.get(i);
      if (a.count() == 0) {
        continue;
      }
      for (PlanModel.Segment b : segments) {
        if (b.count() == 0) {
          continue;
        }
        if (b != a && b.dst() == a.dst() && intersect(a.dstAt(), a.count(), b.dstAt(), b.count())) {
          return overlap;
        }
        if (b.src() == a.dst() && intersect(a.dstAt(), a.count(), b.srcAt(), b.count())) {
          return overlap;
        }
      }
    }
    return Outcome.ok();
  }

  private static boolean intersect(long a, long n, long b, long m) {
    return a < b + m && b < a + n;
  }

  /** ShardLayout against the model, on shapes of every kind (scalars, empty rows, huge sizes). */
  static final class Check {
    private final ApiFuzzer f;
    private final Gen g;

    Check(ApiFuzzer f) {
      this.f = f;
      this.g = f.gen;
    }

    void run() {
      int n = g.between(0, 4);
      List<Shape> shapes = new ArrayList<>();
      List<long[]> dims = new ArrayList<>();
      for (int p = 0; p < n; p++) {
        long[] s = switch (g.r.nextInt(8)) {
          case 0 -> new long[0];
          case 1 -> new long[] {0, g.between(1, 5)};
          case 2 -> new long[] {1L << g.between(20, 40), 1L << g.between(10, 22)};
          case 3 -> new long[] {0, 1L << 40, 1L << 30};
          default -> new long[] {g.between(1, 20), g.between(1, 4), g.between(1, 3)};
        };
        dims.add(s);
        shapes.add(Shape.of(s));
      }
      int world = g.chance(10) ? -g.between(0, 2) : g.chance(10) ? g.between(100, 5000) : g.between(1, 9);
      boolean nullList = g.chance(3);
      boolean nullShape = !nullList && n > 0 && g.chance(3);
      int nullAt = nullShape ? g.r.nextInt(n) : n;
      if (nullShape) {
        shapes.set(nullAt, null);
      }
      Outcome expected;
      if (nullList) {
        expected = Outcome.fails(NullPointerException.class, "shapes");
      } else if (world < 1) {
        expected = Outcome.fails(IllegalArgumentException.class, "worldSize");
      } else if (overflows(dims.subList(0, nullAt), world)) {
        expected = Outcome.fails(IllegalArgumentException.class, "overflow");
      } else {
        expected = nullShape ? Outcome.fails(NullPointerException.class, "shapes[" + nullAt + "]") : Outcome.ok();
      }
      List<Shape> arg = nullList ? null : shapes;
      int w = world;
      String what = "new ShardLayout(" + (nullList ? "null" : describe(dims, nullShape ? shapes : null)) + ", " + world
          + ")";
      Outcome.Result<ShardLayout> result = f.call("ShardLayout", what, expected, () -> new ShardLayout(arg, w));
      if (!result.ok()) {
        return;
      }
      ShardLayout real = result.value();
      LayoutModel m = new LayoutModel(dims, world);
      if (real.worldSize() != world || real.size() != n || real.shardNumel() != m.shardNumel) {
        f.check(what + ": worldSize " + real.worldSize() + ", size " + real.size() + ", shardNumel "
            + real.shardNumel() + ", expected " + world + ", " + n + ", " + m.shardNumel);
      }
      for (int p = 0; p < n; p++) {
        if (real.chunkRows(p) != m.chunkRows[p] || real.rowNumel(p) != m.rowNumel[p]
            || real.shardOffset(p) != m.shardOffset[p] || real.paddedChunkNumel(p) != m.paddedChunk(p)) {
          f.check(what + " parameter " + p + ": chunkRows " + real.chunkRows(p) + ", rowNumel " + real.rowNumel(p)
              + ", shardOffset " + real.shardOffset(p) + ", expected " + m.chunkRows[p] + ", " + m.rowNumel[p] + ", "
              + m.shardOffset[p]);
        }
        for (int r = 0; r < Math.min(world, 64); r++) {
          if (real.rowsOnRank(p, r) != m.rowsOnRank(p, r)) {
            f.check(what + " rowsOnRank(" + p + ", " + r + ") is " + real.rowsOnRank(p, r) + ", expected "
                + m.rowsOnRank(p, r));
          }
        }
      }
      int p = g.chance(50) && n > 0 ? g.r.nextInt(n) : g.chance(50) ? n + g.between(0, 2) : -g.between(1, 2);
      int r = p >= 0 && p < n ? (g.chance(50) ? world + g.between(0, 2) : -g.between(1, 2)) : 0;
      f.call("ShardLayout.rowsOnRank", what + ".rowsOnRank(" + p + ", " + r + ")",
          Outcome.fails(IndexOutOfBoundsException.class, null), () -> real.rowsOnRank(p, r));
    }

    private static String describe(List<long[]> dims, List<Shape> shapes) {
      StringBuilder s = new StringBuilder("[");
      for (int i = 0; i < dims.size(); i++) {
        s.append(i > 0 ? ", " : "").append(shapes != null && shapes.get(i) == null ? "null"
            : Arrays.toString(dims.get(i)));
      }
      return s.append("]").toString();
    }

    /** Whether a row, a padded chunk or the shard has more than 2^63 - 1 elements. */
    private static boolean overflows(List<long[]> dims, int world) {
      BigInteger max = BigInteger.valueOf(Long.MAX_VALUE);
      BigInteger total = BigInteger.ZERO;
      for (long[] s : dims) {
        BigInteger row = BigInteger.ONE;
        for (int d = 1; d < s.length; d++) {
          row = row.multiply(BigInteger.valueOf(s[d]));
        }
        long rows = s.length == 0 ? 1 : s[0];
        BigInteger chunk = BigInteger.valueOf((rows + world - 1) / world).multiply(row);
        if (row.compareTo(max) > 0 || chunk.compareTo(max) > 0) {
          return true;
        }
        total = total.add(chunk);
      }
      return total.compareTo(max) > 0;
    }
  }
}
