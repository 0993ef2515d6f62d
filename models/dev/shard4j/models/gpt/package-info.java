/**
 * A GPT-2-style decoder written from shard4j's kernels, forward and backward by hand: its config,
 * its parameters and their initialisation, the transformer block, the embeddings and LM head, and
 * the trainer that shards it (one shard group per block, one for the embeddings).
 */
package dev.shard4j.models.gpt;
