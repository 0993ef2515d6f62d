package dev.shard4j.kernels;

import dev.shard4j.tensor.Shape;
import dev.shard4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * All-gather copy-out: the flat all-gather output, laid out [world][shard], into each parameter's
 * unsharded tensor (dim-0 sharding with zero-padded chunks, see {@link ShardLayout}), with a cast
 * to the parameters' dtype, in one pass. Padding rows are not copied.
 */
public final class UnpackKernel {
  private UnpackKernel() {}

  /**
   * A plan unpacking gathered into the parameters.
   *
   * @param gathered contiguous, worldSize times the layout's shard numel elements
   * @param worldSize the number of ranks
   * @param params contiguous unsharded parameters, on gathered's device
   * @return the plan, owned by the caller
   */
  public static CopyPlan plan(Tensor gathered, int worldSize, List<Tensor> params) {
    Objects.requireNonNull(params, "params");
    Checks.contiguous(gathered, "gathered");
    List<Shape> shapes = new ArrayList<>();
    for (int p = 0; p < params.size(); p++) {
      shapes.add(Checks.open(params.get(p), "params[" + p + "]").shape());
    }
    ShardLayout layout = new ShardLayout(shapes, worldSize);
    Checks.numel(gathered, worldSize * layout.shardNumel(), "gathered");
    try (CopyPlan.Builder plan = new CopyPlan.Builder(gathered.device())) {
      for (int r = 0; r < worldSize; r++) {
        for (int p = 0; p < params.size(); p++) {
          long count = layout.rowsOnRank(p, r) * layout.rowNumel(p);
          if (count == 0) {
            continue;
          }
          long src = r * layout.shardNumel() + layout.shardOffset(p);
          long dst = r * layout.paddedChunkNumel(p);
          plan.add(gathered, src, params.get(p), dst, count, "params[" + p + "] from rank " + r + ":");
        }
      }
      return plan.build();
    }
  }
}
