/**
 * What {@code shard4j train} leaves behind besides checkpoints: a PNG chart of the loss curves
 * ({@link dev.shard4j.cli.report.LossChart}).
 */
package dev.shard4j.cli.report;
