/**
 * Sharded data parallel (FSDP / ZeRO-3 style): a {@link dev.shard4j.parallel.fsdp.ShardGroup}
 * owns the fp32 master shards, optimizer state and gradient shards of a list of parameters, and
 * gathers, reduces and steps them with the fused kernels and a communicator. The groups of one rank
 * share a {@link dev.shard4j.parallel.fsdp.CommStream}, on which their collectives run in order
 * beside the rank's compute; {@link dev.shard4j.parallel.fsdp.ShardCheckpoint} saves and loads
 * the shards across world sizes. Part of the parallel layer: depends on collectives, kernels and
 * tensor.
 */
package dev.shard4j.parallel.fsdp;
