package dev.shard4j.collectives.nccl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.shard4j.bindings.Cuda;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * NCCL with several ranks, one process each, joined through the rendezvous as torchrun launches
 * them ({@link NcclRankChild}). With a GPU per rank they use NCCL's usual transports. With fewer
 * GPUs, ranks share one: NCCL refuses two ranks of a communicator on one GPU of one host, so each
 * process names a host of its own (NCCL_HOSTID) and the ranks talk over NCCL's socket transport
 * on loopback, as between nodes. That exercises every multi-rank path of the backend (counts per
 * rank, roots, PREMUL_SUM across ranks, split, send and receive, a rank that never arrives), not
 * the speed of the links between GPUs.
 */
@Tag("gpu")
class NcclProcessesTest {
  @ParameterizedTest(name = "{0} ranks")
  @ValueSource(ints = {2, 3})
  void ranksInSeparateProcessesAgreeWithTheReference(int world) throws Exception {
    assumeTrue(Cuda.available(), "no CUDA device: " + Cuda.probe().reason());
    assumeTrue(Cuda.probe().nccl().loaded(), "NCCL not loaded: " + Cuda.probe().nccl().detail());
    boolean shared = Cuda.probe().deviceCount() < world;
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<Process> processes = new ArrayList<>();
    try {
      for (int r = 0; r < world; r++) {
        processes.add(launch(r, world, port, shared));
      }
      List<String> failures = new ArrayList<>();
      for (int r = 0; r < world; r++) {
        Process p = processes.get(r);
        boolean exited = p.waitFor(240, TimeUnit.SECONDS);
        if (!exited) {
          p.destroyForcibly();
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        System.out.println("---- rank " + r + (shared ? " (GPUs shared through NCCL_HOSTID)" : "") + "\n" + out);
        if (!exited || p.exitValue() != 0 || !out.contains("rank " + r + " battery ok")
            || !out.contains("rank " + r + " fault ok")) {
          failures.add("rank " + r + (exited ? " exited with " + p.exitValue() : " hung"));
        }
      }
      assertTrue(failures.isEmpty(), "failed: " + failures + " (their output is above)");
    } finally {
      processes.forEach(Process::destroyForcibly);
    }
    assertEquals(world, processes.size());
  }

  private static Process launch(int rank, int world, int port, boolean sharedGpu) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("-D") || arg.startsWith("--enable-native-access")) {
        command.add(arg); // the JavaCPP cache folder, native access
      }
    }
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(NcclRankChild.class.getName());
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("RANK", Integer.toString(rank));
    pb.environment().put("WORLD_SIZE", Integer.toString(world));
    pb.environment().put("LOCAL_RANK", Integer.toString(rank));
    pb.environment().put("LOCAL_WORLD_SIZE", Integer.toString(world));
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
