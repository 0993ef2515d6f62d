package dev.shard4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * How a command reports a failure of its work that the user can act on: input that turned out
 * bad once read (an empty data file, a checkpoint of another run, a token outside the vocabulary)
 * or a file that cannot be read or written. One line naming the command and the problem on
 * standard error, exit code 1, no stack trace; anything else is a fault of shard4j's and keeps
 * its stack trace.
 */
final class RunErrors implements IExecutionExceptionHandler {
  @Override
  public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parsed) throws Exception {
    Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
    if (!(cause instanceof IllegalArgumentException) && !(cause instanceof IOException)) {
      throw e;
    }
    PrintWriter err = cmd.getErr();
    err.println(cmd.getColorScheme().errorText(cmd.getCommandSpec().qualifiedName() + ": " + cause.getMessage()));
    err.flush();
    return 1;
  }
}
