package dev.shard4j.collectives.nccl;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.shard4j.bindings.Cuda;
import dev.shard4j.cli.LaunchCommand;
import dev.shard4j.cli.Shard4jCommand;
import dev.shard4j.testing.FreePort;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * NCCL with several ranks, one process each, joined through the rendezvous as torchrun launches
 * them. With a GPU per rank they use NCCL's usual transports. With fewer GPUs, ranks share one:
 * NCCL refuses two ranks of a communicator on one GPU of one host, so each process names a host of
 * its own (NCCL_HOSTID, and LOCAL_RANK 0 of a one-rank "node") and the ranks talk over NCCL's
 * socket transport on loopback, as between nodes. That exercises every multi-rank path of the
 * backend (counts per rank, roots, PREMUL_SUM across ranks, split, send and receive, a rank that
 * never arrives), of perf and train across processes and of the launcher, not the speed of the
 * links between GPUs.
 */
@Tag("gpu")
class NcclProcessesTest {
  @BeforeEach
  void requireNccl() {
    assumeTrue(Cuda.available(), "no CUDA device: " + Cuda.probe().reason());
    assumeTrue(Cuda.probe().nccl().loaded(), "NCCL not loaded: " + Cuda.probe().nccl().detail());
  }

  /** {@link NcclRankChild}: the collective battery on every rank, then a rank that never arrives. */
  @ParameterizedTest(name = "{0} ranks")
  @ValueSource(ints = {2, 3})
  void ranksInSeparateProcessesAgreeWithTheReference(int world) throws Exception {
    List<String> outputs = runWorld(world, "battery", NcclRankChild.class.getName());
    for (int r = 0; r < world; r++) {
      String out = outputs.get(r);
      assertTrue(out.contains("rank " + r + " battery ok") && out.contains("rank " + r + " fault ok"), out);
    }
  }

  /**
   * {@code shard4j perf --from-env} in one process per rank, as nccl-tests runs under MPI: every
   * process exits 0 (none saw a wrong element, counted over the world), and rank 0 alone prints
   * the table, with the world's size.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"all_reduce -d all -o all", "reduce_scatter -d bfloat16 -o avg", "all_gather -d int8",
      "broadcast -r 1 -d half", "alltoall -d int64", "sendrecv"})
  void perfFromEnvRunsOneRankPerProcess(String operation) throws Exception {
    List<String> args = new ArrayList<>(List.of(Shard4jCommand.class.getName(), "perf"));
    args.addAll(List.of(operation.split(" ")));
    args.addAll(List.of("--backend", "nccl", "--from-env", "-b", "16", "-e", "1M", "-f", "16", "-n", "3", "-w", "1",
        "--jit-warmup", "0", "--jit-settle", "0"));
    List<String> outputs = runWorld(2, "perf " + operation, args.toArray(new String[0]));
    String table = outputs.get(0);
    assertTrue(table.contains("nThread 2") && table.contains("# Avg bus bandwidth"), table);
    assertTrue(table.lines().anyMatch(l -> l.trim().startsWith("1048576 ")), "the 1 MiB row: " + table);
    assertTrue(outputs.get(1).lines().noneMatch(l -> l.contains("Avg bus bandwidth")), "only rank 0 prints");
  }

  /**
   * {@code shard4j train --from-env --check}: the ranks train across processes, and rank 0 then
   * trains alone on the same global batches and finds the same losses; the hybrid strategy splits
   * the world into sharding and replica groups.
   */
  @ParameterizedTest(name = "{0} on {1} ranks")
  @CsvSource({"full_shard, 2, --overlap", "shard_grad_op, 3, --no-overlap", "no_shard, 2, --overlap",
      "hybrid_shard, 4, --overlap"})
  void trainFromEnvMatchesOneRank(String strategy, int world, String overlap) throws Exception {
    List<String> outputs = runWorld(world, "train " + strategy, Shard4jCommand.class.getName(), "train", "--model", "mlp", "--from-env",
        "--device", "cuda", "--strategy", strategy, "--steps", "20", "--hidden", "256", "--check", overlap);
    String report = outputs.get(0);
    assertTrue(report.contains(world + " ranks (one per process and GPU, NCCL)") && report.contains(": OK"), report);
    for (int r = 1; r < world; r++) {
      assertTrue(outputs.get(r).lines().noneMatch(l -> l.startsWith("#") || l.startsWith("step")),
          "only rank 0 reports: " + outputs.get(r));
    }
  }

  /**
   * {@code shard4j launch} on two nodes of one rank each: two launchers here, each a host of its
   * own to NCCL when they share a GPU. Node 1's launcher starts its rank as RANK 1, and the two
   * train across the launchers, checked against one rank.
   */
  @Test
  void launchStartsTheRanksOfEachNode() throws Exception {
    int nodes = 2;
    String port = Integer.toString(FreePort.pick());
    List<String> outputs = runWorld(nodes, "launch", node -> new String[] {Shard4jCommand.class.getName(), "launch",
        "--nnodes", "2", "--node-rank", Integer.toString(node), "--nproc-per-node", "1", "--master-port", port, "--",
        "train", "--model", "mlp", "--from-env", "--device", "cuda", "--steps", "10", "--hidden", "128", "--check"});
    assertTrue(outputs.get(0).contains("2 ranks (one per process and GPU, NCCL)") && outputs.get(0).contains(": OK"),
        outputs.get(0));
  }

  /** Runs a main class in one process per rank; returns what each printed, after all exited 0. */
  private static List<String> runWorld(int world, String what, String... mainAndArgs) throws Exception {
    return runWorld(world, what, rank -> mainAndArgs);
  }

  /** The same with arguments of each rank's own. */
  private static List<String> runWorld(int world, String what, IntFunction<String[]> mainAndArgs) throws Exception {
    boolean shared = Cuda.probe().deviceCount() < world;
    int port = FreePort.pick();
    List<Process> processes = new ArrayList<>();
    List<String> outputs = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    try {
      for (int r = 0; r < world; r++) {
        processes.add(launch(r, world, port, shared, mainAndArgs.apply(r)));
      }
      for (int r = 0; r < world; r++) {
        Process p = processes.get(r);
        boolean exited = p.waitFor(180, TimeUnit.SECONDS);
        if (!exited) {
          p.destroyForcibly();
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        outputs.add(out);
        System.out.println("---- " + what + ", rank " + r + " of " + world
            + (shared ? " (GPUs shared through NCCL_HOSTID)" : "") + "\n" + out);
        if (!exited || p.exitValue() != 0) {
          failures.add("rank " + r + (exited ? " exited with " + p.exitValue() : " hung"));
        }
      }
    } finally {
      processes.forEach(Process::destroyForcibly);
    }
    assertTrue(failures.isEmpty(), what + " failed: " + failures + " (their output is above)");
    return outputs;
  }

  private static Process launch(int rank, int world, int port, boolean sharedGpu, String... mainAndArgs)
      throws IOException {
    List<String> command = LaunchCommand.thisJvm();
    command.addAll(List.of(mainAndArgs));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("RANK", Integer.toString(rank));
    pb.environment().put("WORLD_SIZE", Integer.toString(world));
    // Ranks that share a GPU are each alone on a host of their own, as NCCL sees them.
    pb.environment().put("LOCAL_RANK", Integer.toString(sharedGpu ? 0 : rank));
    pb.environment().put("LOCAL_WORLD_SIZE", Integer.toString(sharedGpu ? 1 : world));
    pb.environment().put("MASTER_ADDR", "127.0.0.1");
    pb.environment().put("MASTER_PORT", Integer.toString(port));
    pb.environment().put("SHARD4J_TIMEOUT", "60");
    if (sharedGpu) {
      pb.environment().put("NCCL_HOSTID", "shard4j-test-rank-" + rank);
      pb.environment().put("NCCL_SOCKET_IFNAME", "lo");
      pb.environment().put("NCCL_IB_DISABLE", "1");
    }
    return pb.start();
  }
}
