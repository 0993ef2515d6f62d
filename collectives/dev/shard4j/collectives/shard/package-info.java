/**
 * Sharded data parallel (FSDP / ZeRO-3 style): a {@link dev.shard4j.collectives.shard.ShardGroup}
 * owns the fp32 master shards, optimizer state and gradient shards of a list of parameters, and
 * gathers, reduces and steps them with the fused kernels and a communicator. The groups of one rank
 * share a {@link dev.shard4j.collectives.shard.CommStream}, on which their collectives run in order
 * beside the rank's compute; {@link dev.shard4j.collectives.shard.ShardCheckpoint} saves and loads
 * the shards across world sizes.
 */
package dev.shard4j.collectives.shard;
