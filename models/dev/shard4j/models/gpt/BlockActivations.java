package dev.shard4j.models.gpt;

import dev.shard4j.tensor.Tensor;

/**
 * What a block's forward pass keeps for its backward pass, rows [B * T, ...]: its input, both
 * LayerNorms' outputs and statistics, q, k, v and the attention probabilities, the merged heads,
 * the residual stream between attention and MLP, the MLP's pre-activation and activation, and
 * the block's output. Owns its tensors (the input as a reference of its own); the trainer closes
 * it after the block's backward, or right after the forward when it recomputes.
 */
public final class BlockActivations implements AutoCloseable {
  final long batch;
  final long seq;
  final Tensor input;
  final Tensor ln1;
  final Tensor mean1;
  final Tensor rstd1;
  final Tensor q;
  final Tensor k;
  final Tensor v;
  final Tensor probs;
  final Tensor heads;
  final Tensor mid;
  final Tensor ln2;
  final Tensor mean2;
  final Tensor rstd2;
  final Tensor hidden;
  final Tensor act;
  final Tensor out;
  private final Scope scope;

  BlockActivations(Scope scope, long batch, long seq, Tensor[] t) {
    this.scope = scope;
    this.batch = batch;
    this.seq = seq;
    input = t[0];
    ln1 = t[1];
    mean1 = t[2];
    rstd1 = t[3];
    q = t[4];
    k = t[5];
    v = t[6];
    probs = t[7];
    heads = t[8];
    mid = t[9];
    ln2 = t[10];
    mean2 = t[11];
    rstd2 = t[12];
    hidden = t[13];
    act = t[14];
    out = t[15];
  }

  /**
   * The block's output, the next block's input.
   *
   * @return a new reference [B, T, C], owned by the caller
   */
  public Tensor output() {
    return out.view(batch, seq, out.shape().dim(1));
  }

  /** Frees the activations; idempotent. */
  @Override
  public void close() {
    scope.close();
  }
}
