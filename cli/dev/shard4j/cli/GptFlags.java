package dev.shard4j.cli;

import dev.shard4j.models.gpt.GptConfig;
import dev.shard4j.models.gpt.TrainSettings;
import dev.shard4j.models.ranks.RankRunner;
import dev.shard4j.models.text.ByteTokens;
import dev.shard4j.parallel.fsdp.MixedPrecision;
import dev.shard4j.parallel.fsdp.Strategy;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.concurrent.Callable;

/** The GPT's flags turned into a run, each value checked by name before anything starts. */
final class GptFlags {
  private GptFlags() {}

  static Callable<Integer> plan(GptOptions g, RankRunner ranks, Strategy strategy, int shardSize,
      MixedPrecision precision, int steps, long seed, int layers, int batch, boolean overlap, boolean check,
      PrintStream out) {
    Flags.atLeast("--heads", g.heads, 1);
    Flags.atLeast("--width", g.width, 1);
    if (g.width % g.heads != 0) {
      throw new IllegalArgumentException("--heads " + g.heads + " does not divide --width " + g.width);
    }
    Flags.atLeast("--context", g.context, 1);
    int seq = g.seq != null ? g.seq : g.context;
    Flags.inRange("--seq", seq, 1, g.context);
    Flags.atLeast("--accum", g.accum, 1);
    positive("--lr", g.lr, true);
    positive("--min-lr", g.minLr, true);
    if (g.minLr > g.lr) {
      throw new IllegalArgumentException("--min-lr " + g.minLr + " is above --lr " + g.lr);
    }
    Flags.atLeast("--warmup", g.warmup, 0);
    positive("--weight-decay", g.weightDecay, true);
    positive("--grad-clip", g.gradClip, true);
    Flags.atLeast("--eval-every", g.evalEvery, 0);
    Flags.atLeast("--eval-batches", g.evalBatches, 1);
    Flags.atLeast("--save-every", g.saveEvery, 0);
    if (g.saveEvery > 0 && g.save == null) {
      throw new IllegalArgumentException("--save-every needs --save");
    }
    if (g.resume != null && !Files.isDirectory(g.resume)) {
      throw new IllegalArgumentException("--resume " + g.resume + " is not a checkpoint folder");
    }
    if (g.data != null && !Files.exists(g.data)) {
      throw new IllegalArgumentException("--data " + g.data + " does not exist");
    }
    Flags.atLeast("--sample", g.sample, 0);
    positive("--temperature", g.temperature, false);
    Flags.atLeast("--top-k", g.topK, 0);
    Flags.atLeast("--log-every", g.logEvery, 1);
    int[] prompt = ByteTokens.encode(g.prompt);
    if (g.sample > 0 && prompt.length == 0) {
      throw new IllegalArgumentException("--prompt must not be empty when sampling");
    }
    GptConfig model = new GptConfig(layers, g.heads, g.width, g.context, ByteTokens.VOCAB_SIZE);
    TrainSettings s = new TrainSettings(model, new TrainSettings.Parallel(ranks, strategy, shardSize, precision,
        overlap, g.recompute), steps, batch, seq, g.accum, new TrainSettings.Optimizer(g.lr, g.minLr, g.warmup,
        g.weightDecay, 0.9, 0.95, 1e-8, g.gradClip), seed, g.evalEvery, g.evalBatches, g.save, g.saveEvery,
        g.resume, new TrainSettings.Sample(g.sample, g.temperature, g.topK, prompt));
    return new GptTrainRun(s, g.data, g.out, g.logEvery, check, out);
  }

  private static void positive(String flag, double value, boolean zeroAllowed) {
    if (!Double.isFinite(value) || value < 0 || (!zeroAllowed && value == 0)) {
      throw new IllegalArgumentException(flag + " must be " + (zeroAllowed ? "0 or more" : "more than 0")
          + " and finite, got " + value);
    }
  }
}
