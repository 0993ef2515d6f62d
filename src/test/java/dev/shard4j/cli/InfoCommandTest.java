package dev.shard4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class InfoCommandTest {

  @Test
  void infoDescribesTheMachineTruthfully() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    InfoCommand.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("Native:   libshard4j"), text);
    assertTrue(text.contains("CUDA:     "), text);
    assertTrue(text.contains("NCCL:     "), text);
    assertTrue(text.contains("SHARD4J_TIMEOUT=300 (default)"), text);
    if (!dev.shard4j.bindings.Cuda.available()) {
      assertTrue(text.contains("no usable device: "), text);
    }
  }

  @Test
  void commandLineRunsInfoAndRejectsUnknownCommands() {
    CommandLine cli = new CommandLine(new Shard4jCommand());
    cli.setOut(new java.io.PrintWriter(new java.io.StringWriter()));
    cli.setErr(new java.io.PrintWriter(new java.io.StringWriter()));
    assertEquals(0, cli.execute("info", "--help"));
    assertEquals(2, cli.execute("no-such-command"));
  }
}
