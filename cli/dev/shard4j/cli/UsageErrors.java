package dev.shard4j.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * How every command reports a usage error (a bad flag, a combination that cannot work, a backend
 * that is not there), as GNU tools do: one line naming the command and the problem, picocli's
 * suggestions for a mistyped name, and a hint at --help, on standard error; exit code 2. The full
 * usage is one --help away instead of burying the line under it.
 */
final class UsageErrors implements IParameterExceptionHandler {
  @Override
  public int handleParseException(ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    String name = cmd.getCommandSpec().qualifiedName();
    PrintWriter err = cmd.getErr();
    err.println(cmd.getColorScheme().errorText(name + ": " + e.getMessage()));
    UnmatchedArgumentException.printSuggestions(e, err);
    err.println("Try '" + name + " --help' for more information.");
    err.flush();
    return cmd.getExitCodeExceptionMapper() != null ? cmd.getExitCodeExceptionMapper().getExitCode(e)
        : cmd.getCommandSpec().exitCodeOnInvalidInput();
  }
}
