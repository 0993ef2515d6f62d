package dev.shard4j.models.gpt;

/**
 * Where a trainer's batches come from: batch {@code index} of B sequences of T tokens and their
 * next tokens, the same for the same index on every rank and in every run (a resumed run finds
 * its data position from the index alone). Thread-safe.
 */
@FunctionalInterface
public interface TokenBatches {
  /**
   * Writes batch index into the arrays, row-major [B, T].
   *
   * @param index the batch, 0 or more
   * @param inputs receives the tokens
   * @param targets receives each position's next token
   */
  void fill(long index, int[] inputs, int[] targets);
}
