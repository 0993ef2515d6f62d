/** The NCCL backend of the collectives: one rank per GPU, through the Bytedeco NCCL preset. */
package dev.shard4j.collectives.nccl;
