/**
 * The demo model of {@code shard4j train}: a small MLP trained with sharded data parallel on
 * synthetic data, one shard group per layer. Part of the models layer: built on the parallel layer.
 */
package dev.shard4j.models.mlp;
