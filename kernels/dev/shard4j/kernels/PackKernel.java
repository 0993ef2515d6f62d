package dev.shard4j.kernels;

import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Tensor;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * All-gather copy-in: a rank's parameter shards (F32, BF16 or F16) copied into one flat buffer at
 * given offsets, cast to the buffer's dtype and optionally scaled, in one pass.
 */
public final class PackKernel {
  private static final Set<DType> SOURCES = EnumSet.of(DType.F32, DType.BF16, DType.F16);

  private PackKernel() {}

  /**
   * A plan packing the sources back to back from element 0 of the flat buffer.
   *
   * @param sources contiguous shards, on the flat buffer's device
   * @param flat the contiguous destination, large enough for all of them
   * @return the plan, owned by the caller
   */
  public static CopyPlan plan(List<Tensor> sources, Tensor flat) {
    Objects.requireNonNull(sources, "sources");
    long[] offsets = new long[sources.size()];
    long at = 0;
    for (int i = 0; i < offsets.length; i++) {
      offsets[i] = at;
      at += Checks.open(sources.get(i), "sources[" + i + "]").numel();
    }
    return plan(sources, flat, offsets);
  }

  /**
   * A plan packing source i at element offsets[i] of the flat buffer.
   *
   * @param sources contiguous shards (F32, BF16 or F16), on the flat buffer's device
   * @param flat the contiguous destination (any float dtype)
   * @param offsets where each source starts in flat, in elements; destinations must not overlap
   * @return the plan, owned by the caller
   */
  public static CopyPlan plan(List<Tensor> sources, Tensor flat, long[] offsets) {
    Objects.requireNonNull(sources, "sources");
    Objects.requireNonNull(offsets, "offsets");
    Checks.contiguous(flat, "flat");
    if (offsets.length != sources.size()) {
      throw new IllegalArgumentException(sources.size() + " sources but " + offsets.length + " offsets");
    }
    try (CopyPlan.Builder plan = new CopyPlan.Builder(flat.device())) {
      for (int i = 0; i < offsets.length; i++) {
        Tensor s = Checks.open(sources.get(i), "sources[" + i + "]");
        Checks.dtype(s, "sources[" + i + "]", SOURCES);
        plan.add(s, 0, flat, offsets[i], s.numel(), "sources[" + i + "] at offset " + offsets[i] + ":");
      }
      return plan.build();
    }
  }
}
