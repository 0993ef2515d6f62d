package dev.shard4j.kernels;

import dev.shard4j.tensor.Shape;
import dev.shard4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Reduce-scatter copy-in: each unsharded gradient split on dim 0 into world-size chunks (zero
 * padded, see {@link ShardLayout}) and interleaved so that row r of the [world][shard] output holds
 * the r-th chunk of every gradient; cast to the output's dtype and pre-scaled, in one pass. After
 * the reduce-scatter, rank r's output is exactly its padded gradient shards.
 */
public final class ChunkCatKernel {
  private ChunkCatKernel() {}

  /**
   * A plan chunking the gradients into out; the padding is written as zeros.
   *
   * @param grads contiguous unsharded gradients, on out's device
   * @param worldSize the number of ranks
   * @param out contiguous, worldSize times the layout's shard numel elements
   * @return the plan, owned by the caller
   */
  public static CopyPlan plan(List<Tensor> grads, int worldSize, Tensor out) {
    Objects.requireNonNull(grads, "grads");
    Checks.contiguous(out, "out");
    List<Shape> shapes = new ArrayList<>();
    for (int p = 0; p < grads.size(); p++) {
      shapes.add(Checks.open(grads.get(p), "grads[" + p + "]").shape());
    }
    ShardLayout layout = new ShardLayout(shapes, worldSize);
    Checks.numel(out, worldSize * layout.shardNumel(), "out");
    try (CopyPlan.Builder plan = new CopyPlan.Builder(out.device())) {
      for (int r = 0; r < worldSize; r++) {
        for (int p = 0; p < grads.size(); p++) {
          long count = layout.rowsOnRank(p, r) * layout.rowNumel(p);
          long dst = r * layout.shardNumel() + layout.shardOffset(p);
          String what = "grads[" + p + "] for rank " + r + ":";
          if (count > 0) {
            plan.add(grads.get(p), r * layout.paddedChunkNumel(p), out, dst, count, what);
          }
          long padding = layout.paddedChunkNumel(p) - count;
          if (padding > 0) {
            plan.add(null, 0, out, dst + count, padding, what + " padding");
          }
        }
      }
      return plan.build();
    }
  }
}
