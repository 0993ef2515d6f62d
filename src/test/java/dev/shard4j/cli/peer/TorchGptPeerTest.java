package dev.shard4j.cli.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.shard4j.models.gpt.GptConfig;
import dev.shard4j.models.gpt.GptTrainer;
import dev.shard4j.models.gpt.TokenBatches;
import dev.shard4j.models.gpt.TrainSettings;
import dev.shard4j.models.ranks.RankRunner;
import dev.shard4j.parallel.fsdp.MixedPrecision;
import dev.shard4j.parallel.fsdp.Strategy;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * shard4j's GPT against PyTorch's autograd on the same weights and batches: 20 fp32 steps of
 * AdamW with warm-up, cosine decay, weight decay and clipping, shard4j on two FULL_SHARD ranks,
 * PyTorch in one process; every step's loss within relative 1e-5 and gradient norm within 1e-4.
 * .ci/run installs PyTorch first and sets SHARD4J_REQUIRE_TORCH, so there it cannot be skipped;
 * elsewhere it is skipped when no torch can be found.
 */
@Timeout(900)
class TorchGptPeerTest {
  private static final GptConfig MODEL = new GptConfig(2, 2, 32, 16, 256);
  private static final int STEPS = 20;

  /** Windows of a random text with structure to learn; targets are the inputs shifted by one. */
  static TokenBatches windows(int length, long seed) {
    int[] text = new int[length];
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 1; i < length; i++) {
      text[i] = (text[i - 1] * 7 + r.nextInt(3)) % 256;
    }
    return (index, inputs, targets) -> {
      SplittableRandom pick = new SplittableRandom(seed * 31 + index);
      int seq = 16;
      for (int b = 0; b < inputs.length / seq; b++) {
        int start = pick.nextInt(length - seq - 1);
        for (int t = 0; t < seq; t++) {
          inputs[b * seq + t] = text[start + t];
          targets[b * seq + t] = text[start + t + 1];
        }
      }
    };
  }

  @Test
  void lossesMatchPyTorchStepForStep(@TempDir Path work) throws Exception {
    Path root = Path.of(System.getProperty("shard4j.root", "."));
    Optional<String> python = TorchGptPeer.findPython(root, false);
    if (python.isEmpty()) {
      if (System.getenv("SHARD4J_REQUIRE_TORCH") != null) {
        fail("no python with torch: .ci/run installs python3-torch (scripts/peers/ensure-torch.sh)");
      }
      Assumptions.abort("no python with torch here (scripts/peers/ensure-torch.sh installs one as root)");
    }
    TrainSettings s = new TrainSettings(MODEL, new TrainSettings.Parallel(new RankRunner(2, false, null),
        Strategy.FULL_SHARD, 2, MixedPrecision.FULL, true, false), STEPS, 4, 16, 1,
        new TrainSettings.Optimizer(1e-3, 1e-4, 5, 0.1, 0.9, 0.95, 1e-8, 1.0), 17, 0, 0, null, 0, null,
        TrainSettings.Sample.none());
    TokenBatches data = windows(5000, 3);
    GptTrainer.Outcome ours = new GptTrainer(s, data, null, null).run();
    TorchGptPeer.Result torch = TorchGptPeer.run(python.get(), root, s, data, 1, work);
    for (int i = 0; i < STEPS; i++) {
      TorchGptPeer.Step t = torch.steps().get(i);
      System.out.printf(Locale.ROOT, "step %2d  shard4j %.7f  torch %.7f  norms %.6f %.6f%n", i + 1,
          ours.losses()[i], t.loss(), ours.gradNorms()[i], t.gradNorm());
    }
    for (int i = 0; i < STEPS; i++) {
      TorchGptPeer.Step t = torch.steps().get(i);
      assertEquals(s.optimizer().lrAt(i + 1, STEPS), t.lr(), 1e-12, "lr of step " + (i + 1));
      assertEquals(t.loss(), ours.losses()[i], 1e-5 * t.loss(), "loss of step " + (i + 1));
      assertEquals(t.gradNorm(), ours.gradNorms()[i], 1e-4 * t.gradNorm(), "gradient norm of step " + (i + 1));
    }
  }
}
