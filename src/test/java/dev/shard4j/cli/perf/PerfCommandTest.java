package dev.shard4j.cli.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.shard4j.bindings.Cuda;
import dev.shard4j.collectives.Communicator;
import dev.shard4j.cli.CommandRun;
import dev.shard4j.collectives.RedOp;
import dev.shard4j.collectives.local.LocalGroup;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PerfCommandTest {

  private static String run(String... args) {
    return CommandRun.run(new PerfCommand(), args);
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
    String cpuFromEnv = refusal("all_reduce", "--from-env");
    assertTrue(cpuFromEnv.contains("--from-env needs --backend nccl"), cpuFromEnv);
    if (System.getenv("RANK") == null) {
      String unset = refusal("all_reduce", "--backend", "nccl", "--from-env");
      assertTrue(unset.contains("RANK is not set"), unset);
    }
  }

  @Test
  void eachBadValueIsRefusedInOneLineNamingItsFlag() {
    assertEquals("perf: --ranks must be at least 1, got 0", refusal("all_reduce", "--ranks", "0"));
    assertEquals("perf: --ranks must be at most 64, got 65", refusal("all_reduce", "--ranks", "65"));
    assertEquals("perf: -n must be at least 1, got 0", refusal("all_reduce", "-n", "0"));
    assertEquals("perf: -w must be at least 0, got -1", refusal("all_reduce", "-w", "-1"));
    assertEquals("perf: -c must be 0 or 1, got 2", refusal("all_reduce", "-c", "2"));
    assertEquals("perf: -z must be 0 or 1, got -1", refusal("all_reduce", "-z", "-1"));
    assertEquals("perf: -i must be a size such as 8, 64K, 128M or 1G, got '0'", refusal("all_reduce", "-i", "0"));
    assertEquals("perf: -b must be a size such as 8, 64K, 128M or 1G, got '1X'", refusal("all_reduce", "-b", "1X"));
    assertEquals("perf: -e 1K is smaller than -b 4K", refusal("all_reduce", "-b", "4K", "-e", "1K"));
    assertEquals("perf: -r must be -1 (every rank) or a rank from 0 to 1, got 5",
        refusal("broadcast", "--ranks", "2", "-r", "5"));
    assertEquals("perf: unknown operation 'all_things'; valid: all_reduce, all_gather, reduce_scatter, broadcast, "
        + "reduce, alltoall, sendrecv", refusal("all_things"));
    assertEquals("perf: -d: unknown value 'float128'; valid: float, double, half, bfloat16, int8, uint8, int32, "
        + "int64, all", refusal("all_reduce", "-d", "float128"));
    assertEquals("perf: -o: unknown value 'xor'; valid: sum, prod, max, min, avg, premulsum, all",
        refusal("all_reduce", "-o", "xor"));
    assertEquals("perf: --backend: unknown value 'mpi'; valid: cpu, nccl", refusal("all_reduce", "--backend", "mpi"));
    // Found before the run, not when it writes the rows at the end.
    assertEquals("perf: --json /no/such/dir/rows.json: directory /no/such/dir does not exist",
        refusal("all_reduce", "--json", "/no/such/dir/rows.json"));
  }

  /**
   * nccl-tests multiplies the size by -f when -f is above 1 and adds -i otherwise, so -f 1 alone
   * used to add the 1M default step in silence: it is refused, unless -i says what to add.
   */
  @Test
  void aStepFactorOfOneIsRefusedUnlessAnIncrementIsGiven() {
    assertEquals("perf: -f 1 does not grow the size from -b to -e: use -f 2 or more to multiply it, or -i to add "
        + "to it", refusal("all_reduce", "-b", "1K", "-e", "4K", "-f", "1"));
    assertEquals("perf: -f must be at least 0, got -2", refusal("all_reduce", "-b", "1K", "-e", "4K", "-f", "-2"));
    String out = run("all_reduce", "-b", "1K", "-e", "4K", "-f", "1", "-i", "1K", "-n", "1", "-w", "0",
        "--jit-warmup", "0", "--jit-settle", "0");
    assertTrue(out.startsWith("0\n"), out);
    assertEquals(List.of("1024", "2048", "3072", "4096"), sizes(out), out);
    out = run("all_reduce", "-b", "1K", "-e", "4K", "-f", "2", "-n", "1", "-w", "0", "--jit-warmup", "0",
        "--jit-settle", "0");
    assertEquals(List.of("1024", "2048", "4096"), sizes(out), out);
    out = run("all_reduce", "-b", "4K", "-e", "4K", "-f", "1", "-n", "1", "-w", "0", "--jit-warmup", "0",
        "--jit-settle", "0");
    assertEquals(List.of("4096"), sizes(out), "one size: nothing to step: " + out);
  }

  @Test
  void ncclWithoutAGpuIsALineNotAStackTrace() {
    assumeFalse(Cuda.probe().deviceCount() >= 2 && Cuda.probe().nccl().loaded(), "NCCL can run here");
    String line = refusal("all_reduce", "--backend", "nccl", "-b", "1K", "-e", "1K");
    assertTrue(line.startsWith("perf: --backend nccl needs a CUDA device per rank (2 here) and NCCL, but "), line);
    if (!Cuda.available()) {
      assertTrue(line.contains("but there is no usable CUDA device here: "), line);
    }
  }

  private static String refusal(String... args) {
    return CommandRun.refusal(new PerfCommand(), args);
  }

  /** The sizes of the table's rows. */
  private static List<String> sizes(String out) {
    return out.lines().filter(l -> l.matches(" +[0-9]+ +[0-9]+ .*")).map(l -> l.trim().split(" +")[0]).toList();
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
