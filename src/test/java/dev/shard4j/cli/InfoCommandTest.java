package dev.shard4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.shard4j.bindings.Cuda;
import dev.shard4j.bindings.CudaReport;
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

  /**
   * Without a device, the CUDA line says why in words: a library built with CUDA on a machine
   * without a driver used to quote the failed call and the source file of our build.
   */
  @Test
  void noDeviceIsExplainedWithoutQuotingOurBuild() {
    CudaReport cuda = Cuda.probe();
    assumeTrue(cuda.deviceCount() == 0, "there is a device here");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    InfoCommand.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String line = bytes.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("CUDA:"))
        .findFirst().orElseThrow();
    assertFalse(line.contains(".cu:") || line.contains("native/") || line.contains("cudaError"), line);
    if (cuda.runtimeVersion() > 0 && cuda.driverVersion() == 0) {
      assertEquals("CUDA:     no usable device: no NVIDIA driver (libcuda.so.1 not found)", line);
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
