/** The {@code shard4j train} demo: a small MLP trained with sharded data parallel. */
package dev.shard4j.collectives.train;
