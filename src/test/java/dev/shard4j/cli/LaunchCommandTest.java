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
  void everyRankOfTheNodeGetsTheLaunchVariablesAndItsLinesAreMarked() {
    String port = freePort();
    String out = run("launch", "--nproc-per-node", "3", "--nnodes", "2", "--node-rank", "1", "--master-addr",
        "127.0.0.1", "--master-port", port, "--", "info");
    assertTrue(out.startsWith("0\n"), out);
    for (int local = 0; local < 3; local++) {
      int rank = 3 + local;
      String line = "[rank " + rank + "] Launch:   rank " + rank + " of 6 (local " + local + " of 3), rendezvous at "
          + "127.0.0.1:" + port;
      assertTrue(out.contains(line), "missing '" + line + "' in\n" + out);
      assertEquals(1, out.lines().filter(l -> l.startsWith("[rank " + rank + "] Native:   ")).count(), out);
    }
    // Three reports interleave line by line: each line says whose it is.
    assertTrue(out.lines().skip(1).allMatch(l -> l.matches("\\[rank [345]\\] .*")), out);
  }

  @Test
  void aFailedRankStopsTheLaunchWithItsStatus() {
    long started = System.nanoTime();
    // perf refuses the unknown operation with status 2 on every rank.
    CommandRun.Result r = CommandRun.execute(new Shard4jCommand(), "launch", "--nproc-per-node", "2",
        "--master-port", freePort(), "--", "perf", "all_things", "--backend", "nccl", "--from-env");
    assertEquals(2, r.code(), r.toString());
    // The first to fail stops the other, maybe before it said why too.
    assertTrue(r.err().matches("(?s).*\\[rank [01]\\] shard4j perf: unknown operation 'all_things'.*"), r.toString());
    assertTrue(r.err().matches("(?s)(.*\n)?shard4j launch: rank [01] exited with 2; stopping the others\n.*"),
        r.toString());
    CommandRun.assertNoStackTrace(r);
    if (!Cuda.probe().nccl().loaded()) {
      // Every rank finds that NCCL cannot run here before it joins the rendezvous.
      r = CommandRun.execute(new Shard4jCommand(), "launch", "--nproc-per-node", "2", "--master-port", freePort(),
          "--", "perf", "all_reduce", "--backend", "nccl", "--from-env");
      assertEquals(2, r.code(), r.toString());
      assertTrue(r.err().contains("] shard4j perf: --backend nccl needs a CUDA device per rank"), r.toString());
      CommandRun.assertNoStackTrace(r);
    }
    assertTrue((System.nanoTime() - started) / 1e9 < 60, "the launch ended at once");
  }

  /** A rank that fails takes the others down at once: one that would sleep for ten minutes here. */
  @Test
  void theFirstFailureStopsTheRanksStillRunning() throws Exception {
    Process sleeper = new ProcessBuilder("sleep", "600").start();
    Process failing = new ProcessBuilder("sh", "-c", "sleep 0.5; exit 3").start();
    long started = System.nanoTime();
    assertEquals(3, LaunchCommand.awaitAll(List.of(sleeper, failing), 0));
    assertTrue(!sleeper.isAlive() && (System.nanoTime() - started) / 1e9 < 30, "the sleeper was stopped");
    Process ok = new ProcessBuilder("true").start();
    assertEquals(0, LaunchCommand.awaitAll(List.of(ok), 0));
  }

  @Test
  void badFlagsAreRefused() {
    assertTrue(run("launch", "--nproc-per-node", "2").startsWith("2\n"), "no command");
    assertTrue(run("launch", "--nnodes", "2", "--node-rank", "2", "--", "info").startsWith("2\n"));
    assertTrue(run("launch", "--nproc-per-node", "0", "--", "info").startsWith("2\n"));
    assertTrue(run("launch", "--master-port", "70000", "--", "info").startsWith("2\n"));
    assertTrue(run("launch", "--", "launch", "--", "info").startsWith("2\n"));
    assertEquals("shard4j launch: --nproc-per-node must be at least 1, got 0",
        refusal("launch", "--nproc-per-node", "0", "--", "info"));
    assertEquals("shard4j launch: --node-rank must be at most 1, got 2",
        refusal("launch", "--nnodes", "2", "--node-rank", "2", "--", "info"));
    assertEquals("shard4j launch: --master-port must be at most 65535, got 70000",
        refusal("launch", "--master-port", "70000", "--", "info"));
    assertEquals("shard4j launch: unknown command 'tain'; valid: info, train, bench, perf",
        refusal("launch", "--", "tain", "--from-env"));
    // The launched command's own mistakes are found here, once, before any process starts.
    assertEquals("shard4j train: Unknown option: '--form-env'", refusal("launch", "--", "train", "--form-env"));
  }

  /**
   * train and perf without --from-env would ignore the launch: each process would run a whole
   * job of its own (all its ranks in-process) beside the others, on the same cores or GPUs.
   */
  @Test
  void trainOrPerfWithoutFromEnvIsRefused() {
    long started = System.nanoTime();
    assertEquals("shard4j launch: train without --from-env ignores the launch: each of the 2 processes would run "
        + "a whole train of its own; add --from-env to make them the ranks of one",
        refusal("launch", "--nproc-per-node", "2", "--", "train", "--ranks", "2", "--steps", "2"));
    assertEquals("shard4j launch: perf without --from-env ignores the launch: each of the 4 processes would run "
        + "a whole perf of its own; add --from-env to make them the ranks of one",
        refusal("launch", "--nproc-per-node", "4", "--", "perf", "all_reduce"));
    assertTrue((System.nanoTime() - started) / 1e9 < 10, "no process was started");
  }

  private static String refusal(String... args) {
    return CommandRun.refusal(new Shard4jCommand(), args);
  }
}
