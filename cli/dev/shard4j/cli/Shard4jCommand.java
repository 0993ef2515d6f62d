package dev.shard4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code shard4j} command: the entry point of {@code ./shard4j} and of the jar. */
@Command(
    name = "shard4j",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Sharded data-parallel training for the JVM.",
    subcommands = {InfoCommand.class, TrainCommand.class, BenchCommand.class,
        dev.shard4j.cli.perf.PerfCommand.class, LaunchCommand.class})
public final class Shard4jCommand implements Runnable {
  @CommandLine.Spec private CommandLine.Model.CommandSpec spec;

  /** Creates the command; picocli calls this. */
  public Shard4jCommand() {}

  /**
   * Runs the command line and exits with its status.
   *
   * @param args the arguments
   */
  public static void main(String[] args) {
    System.exit(new CommandLine(new Shard4jCommand()).execute(args));
  }

  /** Without a subcommand, prints the usage. */
  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
