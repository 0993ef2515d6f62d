package dev.shard4j.cli.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shard4j.collectives.Communicator;
import dev.shard4j.cli.CommandRun;
import dev.shard4j.collectives.RedOp;
import dev.shard4j.collectives.local.LocalGroup;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PerfCommandTest {

  private static String run(String... args) {
    return CommandRun.run(new PerfCommand(), args);
  }

  /** The exit code, a newline, then what the command printed to standard error. */
  private static String runForErrors(String... args) {
    PrintStream old = System.err;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      String code = CommandRun.run(new PerfCommand(), args).lines().findFirst().orElseThrow();
      return code + "\n" + bytes.toString(StandardCharsets.UTF_8);
    } finally {
      System.setErr(old);
    }
  }

  @Test
  void everyOperationRunsAndChecksCleanly(@TempDir Path dir) throws Exception {
    for (String op : new String[] {"all_reduce", "all_gather", "reduce_scatter", "broadcast", "reduce", "alltoall",
        "sendrecv"}) {
      Path json = dir.resolve(op + ".json");
      String out = run(op, "-b", "64", "-e", "4K", "-f", "4", "-n", "3", "-w", "1", "--ranks", "3", "-d", "all",
          "-o", "all", "-r", "-1", "--json", json.toString(), "--jit-warmup", "0", "--jit-settle", "0");
      assertTrue(out.startsWith("0\n"), out);
      assertTrue(out.contains("#wrong") && out.contains("# Avg bus bandwidth"), out);
      assertTrue(out.contains("bfloat16") && out.contains("int8"), out);
      String text = Files.readString(json);
      assertTrue(text.contains("\"wrong\": 0") && !text.matches("(?s).*\"wrong\": [1-9].*"), text);
    }
  }

  @Test
  void rowsCarryNcclTestsFormulas() {
    String out = run("all_reduce", "-b", "1M", "-e", "1M", "-n", "2", "-w", "1", "--ranks", "4", "--memory",
        "--jit-warmup", "0.1");
    String row = out.lines().filter(l -> l.trim().startsWith("1048576")).findFirst().orElseThrow();
    String[] f = row.trim().split("\\s+");
    // size count type redop root time algbw busbw #wrong ...
    assertEquals("262144", f[1]);
    double time = Double.parseDouble(f[5]);
    double algbw = Double.parseDouble(f[6]);
    double busbw = Double.parseDouble(f[7]);
    assertEquals(1048576 / (time * 1e3), algbw, 0.01 + algbw * 0.01);
    assertEquals(algbw * 2 * 3 / 4.0, busbw, 0.01 + busbw * 0.01);
    // --memory: every rank's input read once and output written once, and its share of the copy
    // bandwidth in the footer.
    double memory = Double.parseDouble(f[13]);
    double ofCopy = Double.parseDouble(f[14]);
    assertEquals(2.0 * 4 * 1048576 / (time * 1e3), memory, 0.01 + memory * 0.01);
    String footer = out.lines().filter(l -> l.startsWith("# Copy bandwidth")).findFirst().orElseThrow();
    double copy = Double.parseDouble(footer.replaceAll("^# Copy bandwidth *: *([0-9.]+) GB/s.*", "$1"));
    assertTrue(copy > 0, footer);
    assertEquals(memory / copy, ofCopy, 0.006 + ofCopy * 0.01);
  }

  @Test
  void badFlagsAreRefused() {
    assertTrue(run("all_reduce", "-d", "float128").startsWith("2\n"));
    assertTrue(run("all_things").startsWith("2\n"));
    assertTrue(run("broadcast", "--ranks", "2", "-r", "5").startsWith("2\n"));
    assertTrue(run("all_reduce", "--jit-warmup", "-1").startsWith("2\n"));
    assertTrue(run("all_reduce", "--jit-settle", "NaN").startsWith("2\n"));
    String cpuFromEnv = runForErrors("all_reduce", "--from-env");
    assertTrue(cpuFromEnv.startsWith("2\n") && cpuFromEnv.contains("--from-env needs --backend nccl"), cpuFromEnv);
    if (System.getenv("RANK") == null) {
      String unset = runForErrors("all_reduce", "--backend", "nccl", "--from-env");
      assertTrue(unset.startsWith("2\n") && unset.contains("RANK is not set"), unset);
    }
  }

  @Test
  void wrongElementsAreCounted() {
    List<Communicator> comms = LocalGroup.create(1);
    try (Allocator a = Allocator.root("perf-check");
        Tensor send = Tensors.zeros(a, DType.BF16, Device.CPU, 100);
        Tensor recv = Tensors.zeros(a, DType.BF16, Device.CPU, 100);
        Buffers b = Buffers.of(Collective.ALL_REDUCE, comms.get(0), send, recv, 100, false, -1)) {
      b.fillInputs(0, RedOp.SUM, Collective.ALL_REDUCE);
      comms.get(0).allReduce(b.send, b.recv, RedOp.SUM);
      assertEquals(0, b.countWrong(0, 1, RedOp.SUM, Collective.ALL_REDUCE, -1));
      try (Tensor one = b.recv.narrow(0, 17, 1)) {
        one.fill(42.0);
      }
      assertEquals(1, b.countWrong(0, 1, RedOp.SUM, Collective.ALL_REDUCE, -1));
    }
  }
}
