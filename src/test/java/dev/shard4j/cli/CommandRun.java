package dev.shard4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs a command line in this JVM as the shard4j launcher would, capturing what it prints. */
public final class CommandRun {
  private CommandRun() {}

  /**
   * What a command did.
   *
   * @param code its exit code
   * @param out what it printed to standard output
   * @param err what it printed to standard error
   */
  public record Result(int code, String out, String err) {
    /** Everything, for assertion messages: the code, then standard output, then standard error. */
    @Override
    public String toString() {
      return "exit code " + code + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
    }
  }

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
      int code = Shard4jCommand.commandLine(command).execute(args);
      return code + "\n" + bytes.toString(StandardCharsets.UTF_8);
    } finally {
      System.setOut(old);
    }
  }

  /**
   * Executes the command with the arguments, capturing standard error too.
   *
   * @param command a picocli command object, e.g. a new Shard4jCommand
   * @param args its arguments
   * @return what it did
   */
  public static Result execute(Object command, String... args) {
    PrintStream oldErr = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      String run = run(command, args);
      int newline = run.indexOf('\n');
      return new Result(Integer.parseInt(run.substring(0, newline)), run.substring(newline + 1),
          err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(oldErr);
    }
  }

  /**
   * Runs a command line that must be refused as a user's mistake: exit code 2, no stack trace,
   * and the reason as the first line of standard error.
   *
   * @param command a picocli command object, e.g. a new Shard4jCommand
   * @param args its arguments
   * @return that first line
   */
  public static String refusal(Object command, String... args) {
    Result r = execute(command, args);
    assertEquals(2, r.code(), r.toString());
    assertNoStackTrace(r);
    return r.err().lines().findFirst().orElse("");
  }

  /**
   * Asserts that a command printed no exception and no stack trace.
   *
   * @param r what it did
   */
  public static void assertNoStackTrace(Result r) {
    String all = r.out() + r.err();
    assertFalse(all.contains("Exception") || all.contains("at dev.") || all.contains("\tat "), r.toString());
  }
}
