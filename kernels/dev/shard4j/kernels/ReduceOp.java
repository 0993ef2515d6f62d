package dev.shard4j.kernels;

/** Elementwise reduction operators; the codes are those of NCCL's ncclRedOp_t. */
public enum ReduceOp {
  /** Sum. */
  SUM(0),
  /** Product. */
  PROD(1),
  /** Maximum. */
  MAX(2),
  /** Minimum. */
  MIN(3);

  private final int nativeCode;

  ReduceOp(int nativeCode) {
    this.nativeCode = nativeCode;
  }

  /**
   * The code the native library (and NCCL) use.
   *
   * @return the ncclRedOp_t value
   */
  public int nativeCode() {
    return nativeCode;
  }
}
