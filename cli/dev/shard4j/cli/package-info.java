/**
 * The {@code ./shard4j} command line: one picocli subcommand per tool. The top layer, shipped as an
 * artifact of its own ({@code shard4j-cli}) so that the library does not bring picocli along.
 */
package dev.shard4j.cli;
