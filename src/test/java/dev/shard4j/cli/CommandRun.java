package dev.shard4j.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/** Runs a command line in this JVM as the shard4j launcher would, capturing what it prints. */
public final class CommandRun {
  private CommandRun() {}

  /**
   * Executes the command with the arguments.
   *
   * @param command a picocli command object, e.g. a new Shard4jCommand
   * @param args its arguments
   * @return the exit code, a newline, then everything printed to standard output
   */
  public static String run(Object command, String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      int code = new CommandLine(command).execute(args);
      return code + "\n" + bytes.toString(StandardCharsets.UTF_8);
    } finally {
      System.setOut(old);
    }
  }
}
