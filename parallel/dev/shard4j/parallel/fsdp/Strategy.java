package dev.shard4j.parallel.fsdp;

/**
 * How a {@link ShardGroup} spreads the model states over the ranks, as PyTorch FSDP names it.
 */
public enum Strategy {
  /** ZeRO-3: parameters, gradients and optimizer state sharded; free the parameters after forward. */
  FULL_SHARD(true),
  /** ZeRO-2: like FULL_SHARD, but the gathered parameters stay between forward and backward. */
  SHARD_GRAD_OP(false),
  /** DDP: every rank holds everything; gradients are all-reduced. */
  NO_SHARD(false),
  /** FULL_SHARD within groups of ranks, with gradients all-reduced across the groups' replicas. */
  HYBRID_SHARD(true);

  private final boolean reshardAfterForward;

  Strategy(boolean reshardAfterForward) {
    this.reshardAfterForward = reshardAfterForward;
  }

  /**
   * Whether the trainer frees the unsharded parameters after forward and gathers them again for
   * backward.
   *
   * @return true for FULL_SHARD and HYBRID_SHARD
   */
  public boolean reshardAfterForward() {
    return reshardAfterForward;
  }
}
