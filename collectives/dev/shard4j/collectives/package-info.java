/**
 * Collectives (the Communicator API and its NCCL and in-process CPU backends), rendezvous, and
 * sharded data parallel training. The top layer: depends on kernels, tensor and bindings.
 */
package dev.shard4j.collectives;
