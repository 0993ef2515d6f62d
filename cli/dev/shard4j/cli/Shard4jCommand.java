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
    System.exit(commandLine(new Shard4jCommand()).execute(args));
  }

  /**
   * The command line that runs a shard4j command (this one or a subcommand on its own) as the
   * launcher does: a usage error is one line and exit code 2, a failure the user can act on (bad
   * input found once read, a file that cannot be read) one line and exit code 1, never a stack trace.
   *
   * @param command the command object
   * @return its command line
   */
  public static CommandLine commandLine(Object command) {
    return new CommandLine(command).setParameterExceptionHandler(new UsageErrors())
        .setExecutionExceptionHandler(new RunErrors());
  }

  /** Without a subcommand, prints the usage. */
  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
