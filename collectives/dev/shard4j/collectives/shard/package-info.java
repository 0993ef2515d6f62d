/**
 * Sharded data parallel (FSDP / ZeRO-3 style): a {@link dev.shard4j.collectives.shard.ShardGroup}
 * owns the fp32 master shards, optimizer state and gradient shards of a list of parameters, and
 * gathers, reduces and steps them with the fused kernels and a communicator.
 */
package dev.shard4j.collectives.shard;
