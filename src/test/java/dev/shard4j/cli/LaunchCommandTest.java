package dev.shard4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shard4j.bindings.Cuda;
import dev.shard4j.testing.FreePort;
import java.util.List;
import org.junit.jupiter.api.Test;

/** `shard4j launch`: one JVM per rank with torchrun's variables, their output, their failure. */
class LaunchCommandTest {
  private static String run(String... args) {
    return CommandRun.run(new Shard4jCommand(), args);
  }

  private static String freePort() {
    return Integer.toString(FreePort.pick());
  }

  @Test
  void everyRankOfTheNodeGetsTheLaunchVariables() {
    String port = freePort();
    String out = run("launch", "--nproc-per-node", "3", "--nnodes", "2", "--node-rank", "1", "--master-addr",
        "127.0.0.1", "--master-port", port, "--", "info");
    assertTrue(out.startsWith("0\n"), out);
    for (int local = 0; local < 3; local++) {
      String line = "Launch:   rank " + (3 + local) + " of 6 (local " + local + " of 3), rendezvous at 127.0.0.1:"
          + port;
      assertTrue(out.contains(line), "missing '" + line + "' in\n" + out);
    }
    assertEquals(3, out.lines().filter(l -> l.startsWith("Native:   ")).count(), out);
  }

  @Test
  void aFailedRankStopsTheLaunchWithItsStatus() {
    long started = System.nanoTime();
    // perf refuses the unknown operation with status 2 on every rank.
    String out = run("launch", "--nproc-per-node", "2", "--master-port", freePort(), "--", "perf", "all_things");
    assertTrue(out.startsWith("2\n"), out);
    if (!Cuda.probe().nccl().loaded()) {
      // Both ranks join the rendezvous; rank 0 then fails to make the ncclUniqueId, and rank 1,
      // waiting for it, fails as soon as rank 0 drops the store, not at its 300 s timeout.
      out = run("launch", "--nproc-per-node", "2", "--master-port", freePort(), "--", "perf", "all_reduce",
          "--backend", "nccl", "--from-env");
      assertTrue(out.startsWith("1\n"), out);
    }
    assertTrue((System.nanoTime() - started) / 1e9 < 60, "the launch ended at once");
  }

  /** A rank that fails takes the others down at once: one that would sleep for ten minutes here. */
  @Test
  void theFirstFailureStopsTheRanksStillRunning() throws Exception {
    Process sleeper = new ProcessBuilder("sleep", "600").start();
    Process failing = new ProcessBuilder("sh", "-c", "sleep 0.5; exit 3").start();
    long started = System.nanoTime();
    assertEquals(3, LaunchCommand.awaitAll(List.of(sleeper, failing)));
    assertTrue(!sleeper.isAlive() && (System.nanoTime() - started) / 1e9 < 30, "the sleeper was stopped");
    Process ok = new ProcessBuilder("true").start();
    assertEquals(0, LaunchCommand.awaitAll(List.of(ok)));
  }

  @Test
  void badFlagsAreRefused() {
    assertTrue(run("launch", "--nproc-per-node", "2").startsWith("2\n"), "no command");
    assertTrue(run("launch", "--nnodes", "2", "--node-rank", "2", "--", "info").startsWith("2\n"));
    assertTrue(run("launch", "--nproc-per-node", "0", "--", "info").startsWith("2\n"));
    assertTrue(run("launch", "--master-port", "70000", "--", "info").startsWith("2\n"));
    assertTrue(run("launch", "--", "launch", "--", "info").startsWith("2\n"));
  }
}
