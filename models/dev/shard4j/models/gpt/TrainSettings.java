package dev.shard4j.models.gpt;

import dev.shard4j.models.ranks.RankRunner;
import dev.shard4j.parallel.fsdp.MixedPrecision;
import dev.shard4j.parallel.fsdp.Strategy;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What a GPT training run does: the model, how it is sharded, the batches, the optimizer and its
 * schedule, validation, checkpoints and the sample at the end.
 *
 * @param model the model's shape
 * @param parallel the ranks and how the model is sharded over them
 * @param steps optimizer steps in all (a resumed run continues up to it)
 * @param batch sequences per micro-batch
 * @param seq tokens per sequence, at most the model's context
 * @param accum micro-batches per rank and step (gradient accumulation)
 * @param optimizer AdamW and its learning-rate schedule
 * @param seed the model's initialisation and the data's order
 * @param evalEvery validation loss every this many steps (and at the last), 0 for never
 * @param evalBatches validation batches per evaluation (rounded up to a multiple of the ranks)
 * @param save where to save a checkpoint at the end (and every saveEvery steps), or null
 * @param saveEvery save every this many steps too, 0 for only at the end
 * @param resume a checkpoint to continue from, or null
 * @param sample the text generated at the end
 */
public record TrainSettings(GptConfig model, Parallel parallel, int steps, int batch, int seq, int accum,
    Optimizer optimizer, long seed, int evalEvery, int evalBatches, Path save, int saveEvery, Path resume,
    Sample sample) {
  /**
   * Checks the settings against each other.
   *
   * @param model the model's shape
   * @param parallel the ranks and sharding
   * @param steps optimizer steps, 1 or more
   * @param batch sequences per micro-batch, 1 or more
   * @param seq tokens per sequence, 1 to the context
   * @param accum micro-batches per rank and step, 1 or more
   * @param optimizer AdamW and its schedule
   * @param seed the seed
   * @param evalEvery 0 or more
   * @param evalBatches 1 or more when evaluating
   * @param save a folder or null
   * @param saveEvery 0 or more
   * @param resume a folder or null
   * @param sample the sample at the end
   */
  public TrainSettings {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(parallel, "parallel");
    Objects.requireNonNull(optimizer, "optimizer");
    Objects.requireNonNull(sample, "sample");
    atLeast(steps, 1, "steps");
    atLeast(batch, 1, "batch");
    atLeast(seq, 1, "seq");
    atLeast(accum, 1, "accum");
    atLeast(evalEvery, 0, "evalEvery");
    atLeast(evalBatches, evalEvery > 0 ? 1 : 0, "evalBatches");
    atLeast(saveEvery, 0, "saveEvery");
    if (seq > model.context()) {
      throw new IllegalArgumentException("seq " + seq + " is longer than the model's context of " + model.context());
    }
    if (saveEvery > 0 && save == null) {
      throw new IllegalArgumentException("saveEvery needs a folder to save to");
    }
  }

  private static void atLeast(int value, int least, String name) {
    if (value < least) {
      throw new IllegalArgumentException(name + " must be at least " + least + ", got " + value);
    }
  }

  /**
   * The tokens of one step over every rank.
   *
   * @return batch * seq * accum * world size
   */
  public long tokensPerStep() {
    return (long) batch * seq * accum * parallel.ranks().worldSize();
  }

  /**
   * The ranks and how the model is sharded over them.
   *
   * @param ranks where the ranks run
   * @param strategy how each unit is sharded
   * @param shardSize ranks per sharding group for HYBRID_SHARD
   * @param precision param and reduce dtypes (BF16 params: BF16 activations, fp32 arithmetic)
   * @param overlap communication on a comm stream beside compute, with prefetching
   * @param recompute keep only each block's input in the forward pass and recompute the rest in
   *     the backward pass
   */
  public record Parallel(RankRunner ranks, Strategy strategy, int shardSize, MixedPrecision precision,
      boolean overlap, boolean recompute) {
    /**
     * Checks the choice.
     *
     * @param ranks where the ranks run
     * @param strategy how each unit is sharded
     * @param shardSize ranks per sharding group for HYBRID_SHARD
     * @param precision param and reduce dtypes
     * @param overlap communication beside compute
     * @param recompute recompute each block's activations in backward
     */
    public Parallel {
      Objects.requireNonNull(ranks, "ranks");
      Objects.requireNonNull(strategy, "strategy");
      Objects.requireNonNull(precision, "precision");
      if (strategy == Strategy.HYBRID_SHARD && (shardSize < 1 || ranks.worldSize() % shardSize != 0)) {
        throw new IllegalArgumentException("shardSize " + shardSize + " must divide the " + ranks.worldSize()
            + " ranks for HYBRID_SHARD");
      }
    }
  }

  /**
   * AdamW (as torch.optim.AdamW) with warm-up and cosine decay, and global gradient-norm clipping.
   *
   * @param lr the peak learning rate
   * @param minLr the learning rate at the last step
   * @param warmup steps of linear warm-up, 0 or more
   * @param weightDecay decoupled weight decay of the matrices (not the biases and gains)
   * @param beta1 first-moment decay
   * @param beta2 second-moment decay
   * @param eps AdamW's epsilon
   * @param gradClip the largest global gradient norm, 0 for no clipping
   */
  public record Optimizer(double lr, double minLr, int warmup, double weightDecay, double beta1, double beta2,
      double eps, double gradClip) {
    /**
     * Checks the values.
     *
     * @param lr the peak learning rate, 0 or more
     * @param minLr 0 to lr
     * @param warmup 0 or more
     * @param weightDecay 0 or more
     * @param beta1 in [0, 1)
     * @param beta2 in [0, 1)
     * @param eps more than 0
     * @param gradClip 0 or more
     */
    public Optimizer {
      if (!(lr >= 0) || !(minLr >= 0 && minLr <= lr) || warmup < 0 || !(gradClip >= 0) || Double.isInfinite(lr)
          || Double.isInfinite(gradClip)) {
        throw new IllegalArgumentException("need lr >= 0, 0 <= minLr <= lr, warmup >= 0 and gradClip >= 0, got lr="
            + lr + " minLr=" + minLr + " warmup=" + warmup + " gradClip=" + gradClip);
      }
      new dev.shard4j.kernels.AdamW(lr, beta1, beta2, eps, weightDecay); // checks the rest
    }

    /**
     * GPT-2-like defaults for small models: lr 1e-3 down to 1e-4, 20 warm-up steps, weight decay
     * 0.1, betas (0.9, 0.95), eps 1e-8, clipping at 1.
     *
     * @return the settings
     */
    public static Optimizer defaults() {
      return new Optimizer(1e-3, 1e-4, 20, 0.1, 0.9, 0.95, 1e-8, 1.0);
    }

    /**
     * The learning rate of a step: linear warm-up to lr over the first warmup steps, then a cosine
     * from lr down to minLr at the last step.
     *
     * @param step the step, from 1
     * @param steps the run's steps
     * @return the step's learning rate
     */
    public double lrAt(int step, int steps) {
      if (warmup > 0 && step <= warmup) {
        return lr * step / warmup;
      }
      double progress = (double) (step - warmup) / Math.max(1, steps - warmup);
      return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * progress));
    }
  }

  /**
   * The text generated after training.
   *
   * @param tokens new tokens, 0 for none
   * @param temperature the softmax temperature, more than 0
   * @param topK draw among the topK likeliest tokens, 0 for all
   * @param prompt the tokens to continue, at least one when sampling
   */
  public record Sample(int tokens, double temperature, int topK, int[] prompt) {
    /**
     * Checks the values.
     *
     * @param tokens 0 or more
     * @param temperature more than 0
     * @param topK 0 or more
     * @param prompt at least one token when tokens is more than 0
     */
    public Sample {
      Objects.requireNonNull(prompt, "prompt");
      if (tokens < 0 || !(temperature > 0) || topK < 0 || (tokens > 0 && prompt.length == 0)) {
        throw new IllegalArgumentException("a sample needs tokens >= 0, temperature > 0, topK >= 0 and a prompt, got "
            + tokens + " tokens, temperature " + temperature + ", topK " + topK + ", " + prompt.length
            + " prompt tokens");
      }
      prompt = prompt.clone();
    }

    /**
     * No sample.
     *
     * @return a sample of 0 tokens
     */
    public static Sample none() {
      return new Sample(0, 1, 0, new int[0]);
    }
  }
}
