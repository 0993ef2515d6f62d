/** {@code shard4j perf}: the nccl-tests equivalent for shard4j's collectives. */
package dev.shard4j.cli.perf;
