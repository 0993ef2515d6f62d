/**
 * What {@code shard4j train} leaves behind besides checkpoints: a PNG chart of the loss curves
 * ({@link dev.shard4j.cli.report.LossChart}) and a JSON-lines log of the metrics of each step
 * ({@link dev.shard4j.cli.report.MetricsLog}).
 */
package dev.shard4j.cli.report;
