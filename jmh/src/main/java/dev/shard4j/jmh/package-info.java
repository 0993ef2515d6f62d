/**
 * JMH microbenchmarks of shard4j: native call overhead, tensor allocation, the fused kernels and
 * the in-process collectives. {@link dev.shard4j.jmh.Summary} turns a JSON result file into the
 * table of BENCHMARKS.md.
 */
package dev.shard4j.jmh;
