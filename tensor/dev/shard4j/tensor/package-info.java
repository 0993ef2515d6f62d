/**
 * Tensors over off-heap memory on the host and CUDA devices: {@link dev.shard4j.tensor.Tensor}
 * and its factories {@link dev.shard4j.tensor.Tensors}, dtypes, devices, shapes, accounting
 * {@link dev.shard4j.tensor.Allocator}s, and {@link dev.shard4j.tensor.Stream}s and
 * {@link dev.shard4j.tensor.Event}s. Depends only on {@code dev.shard4j.bindings}.
 */
package dev.shard4j.tensor;
