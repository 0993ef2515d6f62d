package dev.shard4j.models.text;

import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;

/**
 * One batch of next-token prediction: B rows of T input tokens, and for each the T tokens that
 * follow, row-major [B, T]. Owns its arrays (the caller may change them); not thread-safe.
 *
 * @param inputs B * T tokens, row r at [r * T, (r + 1) * T)
 * @param targets B * T tokens, targets[i] the token after inputs[i] in the text
 * @param batchSize B
 * @param sequenceLength T
 */
public record Batch(int[] inputs, int[] targets, int batchSize, int sequenceLength) {
  /**
   * Checks the shapes.
   *
   * @param inputs B * T tokens
   * @param targets B * T tokens
   * @param batchSize B
   * @param sequenceLength T
   * @throws IllegalArgumentException when an array is null or does not hold B * T tokens
   */
  public Batch {
    if (inputs == null || targets == null) {
      throw new IllegalArgumentException("inputs and targets must not be null");
    }
    if (batchSize < 1 || sequenceLength < 1 || (long) batchSize * sequenceLength != inputs.length
        || targets.length != inputs.length) {
      throw new IllegalArgumentException("inputs (" + inputs.length + ") and targets (" + targets.length
          + ") must hold batchSize * sequenceLength = " + batchSize + " * " + sequenceLength + " tokens");
    }
  }

  /**
   * The inputs as an I32 tensor of shape [B, T].
   *
   * @param allocator accounts for the memory; the caller closes the tensor
   * @param device where it lives
   * @return a new tensor
   */
  public Tensor inputsTensor(Allocator allocator, Device device) {
    return Tensors.fromArray(allocator, inputs, DType.I32, device, batchSize, sequenceLength);
  }

  /**
   * The targets as an I32 tensor of shape [B, T].
   *
   * @param allocator accounts for the memory; the caller closes the tensor
   * @param device where it lives
   * @return a new tensor
   */
  public Tensor targetsTensor(Allocator allocator, Device device) {
    return Tensors.fromArray(allocator, targets, DType.I32, device, batchSize, sequenceLength);
  }
}
