/**
 * Java entry points of the fused kernels of sharded training (pack, unpack, chunk-cat, reduce,
 * accumulate, sharded AdamW) and GEMM, dispatching on the tensor's device. Depends on
 * {@code dev.shard4j.tensor} and {@code dev.shard4j.bindings}.
 */
package dev.shard4j.kernels;
