package dev.shard4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The main job: every strategy trains, the loss falls, and matches one-rank training. */
class TrainCommandTest {

  private static String train(String... args) {
    return CommandRun.run(new Shard4jCommand(), args);
  }

  @Test
  void everyStrategyTrainsAndMatchesOneRank() {
    for (String strategy : new String[] {"full_shard", "shard_grad_op", "no_shard", "hybrid_shard"}) {
      String out = train("train", "--ranks", "4", "--strategy", strategy, "--steps", "30", "--hidden", "64",
          "--check");
      assertTrue(out.startsWith("0\n"), out);
      assertTrue(out.contains(": OK"), out);
      double first = loss(out, "step     1");
      double last = loss(out, "step    30");
      assertTrue(last < first / 2, strategy + ": loss " + first + " -> " + last);
      assertTrue(out.matches("(?s).*samples/s \\(second half of the steps: [1-9][0-9]*\\).*"), out);
    }
  }

  @Test
  void aDeeperModelTrainsWithEveryStrategyAndMatchesOneRank() {
    // Middle layers need their parameters in backward: FULL_SHARD gathers them again there.
    for (String strategy : new String[] {"full_shard", "shard_grad_op", "no_shard", "hybrid_shard"}) {
      String out = train("train", "--ranks", "4", "--layers", "4", "--strategy", strategy, "--steps", "20",
          "--hidden", "48", "--check");
      assertTrue(out.startsWith("0\n") && out.contains(": OK"), out);
      assertTrue(out.contains("MLP 64-48-48-48-16"), out);
      assertTrue(loss(out, "step    20") < loss(out, "step     1"), out);
    }
  }

  @Test
  void mixedPrecisionStaysCloseToOneRank() {
    String out = train("train", "--ranks", "3", "--param-dtype", "bf16", "--reduce-dtype", "bf16", "--steps", "20",
        "--hidden", "32", "--check");
    assertTrue(out.startsWith("0\n") && out.contains(": OK"), out);
    assertTrue(out.contains("FULL_SHARD") && out.contains("NO_SHARD"), out);
  }

  @Test
  void overlapChangesTheScheduleNotTheLossesAndReportsWhatItHid() {
    String on = train("train", "--ranks", "2", "--strategy", "full_shard", "--steps", "10", "--hidden", "512",
        "--batch", "128");
    String off = train("train", "--ranks", "2", "--strategy", "full_shard", "--steps", "10", "--hidden", "512",
        "--batch", "128", "--no-overlap");
    assertTrue(on.startsWith("0\n") && off.startsWith("0\n"), on + off);
    assertEquals(loss(off, "step    10"), loss(on, "step    10"), "the same collectives in the same order");
    assertTrue(off.contains(", 0% of it hidden behind compute"), off);
    assertTrue(on.contains("overlap on") && off.contains("overlap off"), on + off);
    // How much is hidden is a measurement of this machine's moment (OverlapTest checks that work
    // done between submitting and waiting is hidden); here only that it is reported.
    double hidden = Double.parseDouble(on.replaceAll("(?s).*ms per step and rank on the comm stream, (\\d+)%.*", "$1"));
    assertTrue(hidden >= 0 && hidden <= 100, on);
    // Without overlap the compute waits for all of it: exposed at least the communication time.
    String pattern = "(?s).*# communication: ([0-9.]+) ms per step .*; ([0-9.]+) ms per step exposed.*";
    assertTrue(off.matches(pattern), off);
    double busy = Double.parseDouble(off.replaceAll(pattern, "$1"));
    double exposed = Double.parseDouble(off.replaceAll(pattern, "$2"));
    assertTrue(exposed >= busy && busy > 0, off);
  }

  @Test
  void badFlagsAreRefused() {
    assertEquals('2', train("train", "--strategy", "zero_seven").charAt(0));
    assertEquals('2', train("train", "--param-dtype", "f8").charAt(0));
    assertEquals('2', train("train", "--ranks", "0").charAt(0));
    assertEquals('2', train("train", "--device", "tpu").charAt(0));
    assertEquals('2', train("train", "--layers", "1").charAt(0));
    String noGpu = train("train", "--device", "cuda", "--ranks", "64");
    assertTrue(noGpu.startsWith("2\n"), "no machine here has 64 GPUs: " + noGpu);
    assertEquals('2', train("train", "--from-env", "--device", "cpu").charAt(0)); // ranks in processes need GPUs
  }

  private static double loss(String out, String prefix) {
    String line = out.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow(() -> new AssertionError(out));
    return Double.parseDouble(line.split("\\s+")[3]);
  }
}
