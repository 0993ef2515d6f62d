package dev.shard4j.parallel.fsdp;

import dev.shard4j.tensor.DType;
import java.util.EnumSet;
import java.util.Objects;

/**
 * The dtypes of a shard group beside its fp32 master shards: the dtype the unsharded parameters
 * are gathered in (and computed with), and the dtype gradients are reduced in.
 *
 * @param paramDtype F32, BF16 or F16
 * @param reduceDtype F32, BF16 or F16
 */
public record MixedPrecision(DType paramDtype, DType reduceDtype) {
  private static final EnumSet<DType> ALLOWED = EnumSet.of(DType.F32, DType.BF16, DType.F16);

  /** Full precision: gather and reduce in fp32. */
  public static final MixedPrecision FULL = new MixedPrecision(DType.F32, DType.F32);

  /**
   * Checks the dtypes.
   *
   * @param paramDtype F32, BF16 or F16
   * @param reduceDtype F32, BF16 or F16
   */
  public MixedPrecision {
    Objects.requireNonNull(paramDtype, "paramDtype");
    Objects.requireNonNull(reduceDtype, "reduceDtype");
    if (!ALLOWED.contains(paramDtype) || !ALLOWED.contains(reduceDtype)) {
      throw new IllegalArgumentException("param and reduce dtypes must be F32, BF16 or F16, got "
          + paramDtype + " and " + reduceDtype);
    }
  }
}
