package dev.shard4j.models.gpt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shard4j.models.ranks.RankRunner;
import dev.shard4j.parallel.fsdp.MixedPrecision;
import dev.shard4j.parallel.fsdp.Strategy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The GPT trainer under every strategy against one rank drawing every micro-batch itself, step
 * for step (fp32, relative 1e-5), with clipping active; recomputation giving the same bits; a run
 * killed after a checkpoint resuming to the same curve bit for bit; and bad input failing every
 * rank at once with a message naming it.
 */
@Timeout(120)
class GptTrainerTest {
  private static final GptConfig MODEL = new GptConfig(2, 2, 16, 8, 61);
  private static final int STEPS = 5;

  /**
   * Random tokens by index (the same for the same index on every rank), each followed by the next
   * id: a pattern the model learns within a few steps.
   */
  static TokenBatches randomTokens(int vocab, long seed) {
    return (index, inputs, targets) -> {
      SplittableRandom r = new SplittableRandom(seed * 1_000_003L + index);
      for (int i = 0; i < inputs.length; i++) {
        inputs[i] = r.nextInt(vocab);
        targets[i] = (inputs[i] + 1) % vocab;
      }
    };
  }

  static TrainSettings settings(int ranks, Strategy strategy, int shardSize, int accum, boolean overlap,
      boolean recompute, Path save, int saveEvery, Path resume) {
    TrainSettings.Parallel parallel = new TrainSettings.Parallel(new RankRunner(ranks, false, null), strategy, shardSize,
        MixedPrecision.FULL, overlap, recompute);
    // Clipping at 0.5 and a high learning rate: the global norm is exercised and the curve moves.
    TrainSettings.Optimizer optimizer = new TrainSettings.Optimizer(3e-3, 3e-4, 2, 0.1, 0.9, 0.95, 1e-8, 0.5);
    return new TrainSettings(MODEL, parallel, STEPS, 2, 7, accum, optimizer, 11, 0, 0, save, saveEvery, resume,
        TrainSettings.Sample.none());
  }

  private static GptTrainer.Outcome train(TrainSettings s) throws Exception {
    return new GptTrainer(s, randomTokens(MODEL.vocab(), 5), null, null).run();
  }

  @ParameterizedTest(name = "{0} on {1} ranks (shard size {2}), overlap {3}")
  @CsvSource({"FULL_SHARD, 2, 2, false", "FULL_SHARD, 3, 3, true", "FULL_SHARD, 4, 4, true",
      "SHARD_GRAD_OP, 2, 2, true", "NO_SHARD, 4, 4, false", "HYBRID_SHARD, 4, 2, true"})
  void everyStrategyMatchesOneRank(Strategy strategy, int ranks, int shardSize, boolean overlap) throws Exception {
    GptTrainer.Outcome many = train(settings(ranks, strategy, shardSize, 1, overlap, false, null, 0, null));
    GptTrainer.Outcome one = train(settings(1, Strategy.FULL_SHARD, 1, ranks, false, false, null, 0, null));
    assertEquals(STEPS, many.losses().length);
    for (int i = 0; i < STEPS; i++) {
      assertEquals(one.losses()[i], many.losses()[i], 1e-5 * one.losses()[i], "loss of step " + (i + 1));
      assertEquals(one.gradNorms()[i], many.gradNorms()[i], 1e-5 * one.gradNorms()[i], "norm of step " + (i + 1));
    }
    assertTrue(one.gradNorms()[0] > 0.5, "clipping must act: the first norm is " + one.gradNorms()[0]);
    assertTrue(one.losses()[STEPS - 1] < one.losses()[0], "the loss must fall");
  }

  @Test
  void gradientAccumulationOnOneRankMatchesItsRanks() throws Exception {
    GptTrainer.Outcome two = train(settings(2, Strategy.FULL_SHARD, 2, 2, true, false, null, 0, null));
    GptTrainer.Outcome one = train(settings(1, Strategy.FULL_SHARD, 1, 4, false, false, null, 0, null));
    for (int i = 0; i < STEPS; i++) {
      assertEquals(one.losses()[i], two.losses()[i], 1e-5 * one.losses()[i], "loss of step " + (i + 1));
    }
  }

  @Test
  void recomputationGivesTheSameBits() throws Exception {
    GptTrainer.Outcome kept = train(settings(2, Strategy.FULL_SHARD, 2, 1, true, false, null, 0, null));
    GptTrainer.Outcome recomputed = train(settings(2, Strategy.FULL_SHARD, 2, 1, true, true, null, 0, null));
    assertArrayEquals(kept.losses(), recomputed.losses());
    assertArrayEquals(kept.gradNorms(), recomputed.gradNorms());
    assertTrue(recomputed.activationsPeakBytes()[0] < kept.activationsPeakBytes()[0],
        "recomputation keeps fewer activations: " + recomputed.activationsPeakBytes()[0] + " vs "
            + kept.activationsPeakBytes()[0]);
  }

  @Test
  void aRunKilledAfterACheckpointResumesToTheSameCurve(@TempDir Path dir) throws Exception {
    GptTrainer.Outcome whole = train(settings(2, Strategy.FULL_SHARD, 2, 1, true, false, null, 0, null));
    Path ckpt = dir.resolve("ckpt");
    TrainSettings first = settings(2, Strategy.FULL_SHARD, 2, 1, true, false, ckpt, 2, null);
    GptTrainer killed = new GptTrainer(first, randomTokens(MODEL.vocab(), 5), null, r -> {
      if (r.step() == 3) {
        throw new IllegalStateException("killed at step 3");
      }
    });
    assertThrows(IllegalStateException.class, killed::run);
    assertTrue(Files.exists(ckpt.resolve("trainer.json")));
    // Resumed on one rank drawing both ranks' micro-batches: the same global batch, resharded.
    TrainSettings again = settings(1, Strategy.FULL_SHARD, 1, 2, false, false, null, 0, ckpt);
    GptTrainer.Outcome resumed = train(again);
    assertEquals(3, resumed.firstStep());
    for (int step = 3; step <= STEPS; step++) {
      assertEquals(whole.losses()[step - 1], resumed.losses()[step - 3], 1e-5 * whole.losses()[step - 1],
          "loss of step " + step);
    }
    TrainSettings sameRanks = settings(2, Strategy.FULL_SHARD, 2, 1, true, false, null, 0, ckpt);
    GptTrainer.Outcome exact = train(sameRanks);
    assertArrayEquals(java.util.Arrays.copyOfRange(whole.losses(), 2, STEPS), exact.losses(),
        "the same ranks resume bit for bit");
  }

  @Test
  void badInputIsNamed(@TempDir Path dir) {
    IllegalArgumentException longer = assertThrows(IllegalArgumentException.class, () -> new TrainSettings(MODEL,
        settings(1, Strategy.FULL_SHARD, 1, 1, false, false, null, 0, null).parallel(), 2, 2, 9, 1,
        TrainSettings.Optimizer.defaults(), 1, 0, 0, null, 0, null, TrainSettings.Sample.none()));
    assertTrue(longer.getMessage().contains("longer than the model's context"), longer.getMessage());
    TrainSettings s = settings(3, Strategy.FULL_SHARD, 3, 1, true, false, null, 0, null);
    IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
        () -> new GptTrainer(s, randomTokens(MODEL.vocab() + 1, 5), null, null).run());
    assertTrue(outside.getMessage().contains("is not in [0, 61)"), outside.getMessage());
    TrainSettings resume = settings(1, Strategy.FULL_SHARD, 1, 1, false, false, null, 0, dir);
    Exception missing = assertThrows(java.io.IOException.class, () -> train(resume));
    assertTrue(missing.getMessage().contains("trainer.json"), missing.getMessage());
  }
}
