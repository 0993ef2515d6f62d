package dev.shard4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shard4j.bindings.Cuda;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The main job: every strategy trains, the loss falls, and matches one-rank training. */
class TrainCommandTest {

  private static String train(String... args) {
    return CommandRun.run(new Shard4jCommand(), args);
  }

  @Test
  void everyStrategyTrainsAndMatchesOneRank() {
    for (String strategy : new String[] {"full_shard", "shard_grad_op", "no_shard", "hybrid_shard"}) {
      String out = train("train", "--model", "mlp", "--ranks", "4", "--strategy", strategy, "--steps", "30", "--hidden", "64",
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
      String out = train("train", "--model", "mlp", "--ranks", "4", "--layers", "4", "--strategy", strategy, "--steps", "20",
          "--hidden", "48", "--check");
      assertTrue(out.startsWith("0\n") && out.contains(": OK"), out);
      assertTrue(out.contains("MLP 64-48-48-48-16"), out);
      assertTrue(loss(out, "step    20") < loss(out, "step     1"), out);
    }
  }

  @Test
  void mixedPrecisionStaysCloseToOneRank() {
    String out = train("train", "--model", "mlp", "--ranks", "3", "--param-dtype", "bf16", "--reduce-dtype", "bf16", "--steps", "20",
        "--hidden", "32", "--check");
    assertTrue(out.startsWith("0\n") && out.contains(": OK"), out);
    assertTrue(out.contains("FULL_SHARD") && out.contains("NO_SHARD"), out);
  }

  @Test
  void overlapChangesTheScheduleNotTheLossesAndReportsWhatItHid() {
    String on = train("train", "--model", "mlp", "--ranks", "2", "--strategy", "full_shard", "--steps", "10", "--hidden", "512",
        "--batch", "128");
    String off = train("train", "--model", "mlp", "--ranks", "2", "--strategy", "full_shard", "--steps", "10", "--hidden", "512",
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
    assertEquals('2', train("train", "--model", "mlp", "--strategy", "zero_seven").charAt(0));
    assertEquals('2', train("train", "--model", "mlp", "--param-dtype", "f8").charAt(0));
    assertEquals('2', train("train", "--model", "mlp", "--ranks", "0").charAt(0));
    assertEquals('2', train("train", "--model", "mlp", "--device", "tpu").charAt(0));
    assertEquals('2', train("train", "--model", "mlp", "--layers", "1").charAt(0));
    String noGpu = train("train", "--model", "mlp", "--device", "cuda", "--ranks", "64");
    assertTrue(noGpu.startsWith("2\n"), "no machine here has 64 GPUs: " + noGpu);
    assertEquals('2', train("train", "--model", "mlp", "--from-env", "--device", "cpu").charAt(0)); // ranks in processes need GPUs
  }

  @Test
  void eachBadValueIsRefusedInOneLineNamingItsFlag() {
    assertEquals("shard4j train: --ranks must be at least 1, got 0", refusal("train", "--model", "mlp", "--ranks", "0"));
    assertEquals("shard4j train: --ranks must be at most 64, got 65", refusal("train", "--model", "mlp", "--ranks", "65"));
    assertEquals("shard4j train: --steps must be at least 1, got 0", refusal("train", "--model", "mlp", "--steps", "0"));
    assertEquals("shard4j train: --hidden must be at least 1, got 0", refusal("train", "--model", "mlp", "--hidden", "0"));
    assertEquals("shard4j train: --batch must be at least 1, got -3", refusal("train", "--model", "mlp", "--batch", "-3"));
    assertEquals("shard4j train: --layers must be at least 2, got 1", refusal("train", "--model", "mlp", "--layers", "1"));
    assertEquals("shard4j train: --layers must be at most 64, got 65", refusal("train", "--model", "mlp", "--layers", "65"));
    assertEquals("shard4j train: --strategy: unknown value 'foo'; valid: full_shard, shard_grad_op, no_shard, "
        + "hybrid_shard", refusal("train", "--model", "mlp", "--strategy", "foo"));
    assertEquals("shard4j train: --param-dtype: unknown value 'f8'; valid: f32, bf16, f16",
        refusal("train", "--model", "mlp", "--param-dtype", "f8"));
    assertEquals("shard4j train: --reduce-dtype: unknown value 'int8'; valid: f32, bf16, f16",
        refusal("train", "--model", "mlp", "--reduce-dtype", "int8"));
    assertEquals("shard4j train: --device: unknown value 'tpu'; valid: cpu, cuda, auto",
        refusal("train", "--model", "mlp", "--device", "tpu"));
    // picocli's own messages take the same form.
    assertEquals("shard4j train: Invalid value for option '--ranks': 'two' is not an int",
        refusal("train", "--model", "mlp", "--ranks", "two"));
    CommandRun.Result r = CommandRun.execute(new Shard4jCommand(), "train", "--model", "mlp", "--steps", "0");
    assertEquals(List.of("shard4j train: --steps must be at least 1, got 0",
        "Try 'shard4j train --help' for more information."), r.err().lines().toList(), r.toString());
    assertEquals("", r.out(), "nothing ran");
  }

  @Test
  void aShardSizeThatCannotSplitTheRanksIsRefusedBeforeTraining() {
    // It used to train, then fail in the memory summary with a stack trace.
    assertEquals("shard4j train: --shard-size 3 does not divide --ranks 4",
        refusal("train", "--model", "mlp", "--shard-size", "3", "--ranks", "4", "--steps", "2", "--hidden", "8"));
    assertEquals("shard4j train: --shard-size 8 does not divide --ranks 4",
        refusal("train", "--model", "mlp", "--strategy", "hybrid_shard", "--shard-size", "8", "--ranks", "4"));
    assertEquals("shard4j train: --shard-size must be at least 1, got 0",
        refusal("train", "--model", "mlp", "--shard-size", "0", "--ranks", "4"));
    // The default, half the ranks, did not divide an odd count either: it is now the largest divisor below it.
    assertEquals(List.of(1, 1, 2, 1, 3, 4, 3), List.of(1, 3, 4, 5, 6, 8, 9).stream()
        .map(TrainCommand::defaultShardSize).toList());
    CommandRun.Result five = CommandRun.execute(new Shard4jCommand(), "train", "--model", "mlp", "--ranks", "5", "--steps", "2",
        "--hidden", "8");
    assertEquals(0, five.code(), five.toString());
    assertTrue(five.out().contains("#   HYBRID_SHARD "), five.toString());
    CommandRun.assertNoStackTrace(five);
  }

  @Test
  void aMissingGpuIsALineNotAStackTrace() {
    String line = refusal("train", "--model", "mlp", "--device", "cuda", "--ranks", "64");
    assertTrue(line.startsWith("shard4j train: --device cuda needs a CUDA device per rank (64 here), NCCL and "
        + "cuBLAS, but "), line);
    if (!Cuda.available()) {
      assertTrue(line.contains("but there is no usable CUDA device here: "), line);
    }
  }

  private static String refusal(String... args) {
    return CommandRun.refusal(new Shard4jCommand(), args);
  }

  private static double loss(String out, String prefix) {
    String line = out.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow(() -> new AssertionError(out));
    return Double.parseDouble(line.split("\\s+")[3]);
  }
}
