/**
 * Rendezvous of the ranks of a launch: a TCP key-value store (rank 0 serves it) and the torchrun
 * environment variables. NCCL carries the data between nodes; this only bootstraps it.
 */
package dev.shard4j.collectives.rendezvous;
