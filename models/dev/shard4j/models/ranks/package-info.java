/** Running one training function on every rank: in-process CPU ranks, GPUs of one process, or a launch. */
package dev.shard4j.models.ranks;
