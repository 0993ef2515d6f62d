/**
 * Collectives: the Communicator API, its NCCL and in-process CPU backends, and rendezvous. Depends
 * on kernels, tensor and bindings; the parallel strategies above it call it.
 */
package dev.shard4j.collectives;
