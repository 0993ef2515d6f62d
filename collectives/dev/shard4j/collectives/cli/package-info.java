/** The {@code ./shard4j} command line: one picocli subcommand per tool. */
package dev.shard4j.collectives.cli;
