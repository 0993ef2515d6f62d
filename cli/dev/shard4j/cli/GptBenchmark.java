package dev.shard4j.cli;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.cli.peer.TorchGptPeer;
import dev.shard4j.kernels.KernelProfile;
import dev.shard4j.models.gpt.GptConfig;
import dev.shard4j.models.gpt.GptTrainer;
import dev.shard4j.models.gpt.TokenBatches;
import dev.shard4j.models.gpt.TrainSettings;
import dev.shard4j.models.ranks.RankRunner;
import dev.shard4j.models.text.Batches;
import dev.shard4j.models.text.TextCorpus;
import dev.shard4j.models.text.TokenSplit;
import dev.shard4j.parallel.fsdp.MixedPrecision;
import dev.shard4j.parallel.fsdp.Strategy;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code shard4j bench gpt}: the README's GPT on one CPU rank against PyTorch eager training the
 * same model on the same weights and batches in the same run, every interpreter with torch found
 * here (Debian's python3-torch, a newer wheel in the default python3): tokens/s over the second
 * half of the steps, the ratio, the losses side by side, and where shard4j's step goes, kernel by
 * kernel.
 */
final class GptBenchmark {
  private final GptConfig model;
  private final int batch;
  private final int seq;
  private final int steps;
  private final Path root;
  private final Path work;
  private final PrintStream out;

  GptBenchmark(GptConfig model, int batch, int seq, int steps, Path root, Path work, PrintStream out) {
    this.model = model;
    this.batch = batch;
    this.seq = seq;
    this.steps = steps;
    this.root = root;
    this.work = work;
    this.out = out;
  }

  /** The result as a map for JSON. */
  Map<String, Object> run() throws Exception {
    int threads = NativeApi.cpuThreads();
    TrainSettings s = new TrainSettings(model, new TrainSettings.Parallel(new RankRunner(1, false, null),
        Strategy.NO_SHARD, 1, MixedPrecision.FULL, false, false), steps, batch, seq, 1,
        TrainSettings.Optimizer.defaults(), 1, 0, 0, null, 0, null, TrainSettings.Sample.none());
    TokenSplit split = TokenSplit.of(TextCorpus.load(null).tokens(), seq);
    Batches batches = Batches.random(split.train(), batch, seq, 1);
    TokenBatches data = batches::batch;
    out.printf(Locale.ROOT, "# shard4j bench gpt: %s, %d x %d tokens per step, %d steps, %d threads%n",
        model.describe(), batch, seq, steps, threads);
    KernelProfile.reset();
    List<Double> stepSeconds = new ArrayList<>();
    KernelProfile.enable(true);
    GptTrainer.Outcome ours;
    try {
      ours = new GptTrainer(s, data, null, r -> {
        stepSeconds.add(r.seconds());
        if (r.step() == steps / 2) {
          KernelProfile.reset(); // the shares of the steady half
        }
      }).run();
    } finally {
      KernelProfile.enable(false);
    }
    double shard4j = ours.steadyTokensPerSecond(); // over the second half, as secondHalf times the peers
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("model", model.describe());
    result.put("threads", threads);
    result.put("tokens_per_step", s.tokensPerStep());
    result.put("shard4j_tokens_per_s", shard4j);
    out.printf(Locale.ROOT, "%-34s %12s %8s%n", "trainer", "tokens/s", "shard4j/x");
    out.printf(Locale.ROOT, "%-34s %12.0f %8s%n", "shard4j", shard4j, "1.00");
    List<Map<String, Object>> peers = new ArrayList<>();
    List<TorchGptPeer.Result> runs = new ArrayList<>();
    for (String python : pythons()) {
      TorchGptPeer.Result t = TorchGptPeer.run(python, root, s, data, threads, work);
      runs.add(t);
      List<Double> seconds = new ArrayList<>();
      double worst = 0;
      for (int i = 0; i < steps; i++) {
        seconds.add(s.tokensPerStep() / t.steps().get(i).tokensPerSecond());
        worst = Math.max(worst, Math.abs(t.steps().get(i).loss() - ours.losses()[i]) / t.steps().get(i).loss());
      }
      double theirs = secondHalf(seconds, s.tokensPerStep());
      out.printf(Locale.ROOT, "%-34s %12.0f %8.2f   (largest relative loss difference %.1e)%n",
          "torch " + t.torch() + " (" + python + ")", theirs, shard4j / theirs, worst);
      Map<String, Object> peer = new LinkedHashMap<>();
      peer.put("python", python);
      peer.put("torch", t.torch());
      peer.put("threads", t.threads());
      peer.put("tokens_per_s", theirs);
      peer.put("shard4j_over_torch", shard4j / theirs);
      peer.put("max_relative_loss_difference", worst);
      peers.add(peer);
    }
    result.put("torch", peers);
    perStep(ours, stepSeconds, runs, s.tokensPerStep());
    result.put("kernel_shares", shares(stepSeconds));
    return result;
  }

  /** Every step's loss and tokens/s, shard4j's beside each torch's. */
  private void perStep(GptTrainer.Outcome ours, List<Double> seconds, List<TorchGptPeer.Result> runs,
      long tokensPerStep) {
    StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%5s %12s %10s", "step", "shard4j loss",
        "tokens/s"));
    for (TorchGptPeer.Result t : runs) {
      head.append(String.format(Locale.ROOT, " %14s %10s", "torch " + t.torch(), "tokens/s"));
    }
    out.println("# per step");
    out.println(head);
    for (int i = 0; i < steps; i++) {
      StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%5d %12.6f %10.0f", i + 1, ours.losses()[i],
          tokensPerStep / seconds.get(i)));
      for (TorchGptPeer.Result t : runs) {
        row.append(String.format(Locale.ROOT, " %14.6f %10.0f", t.steps().get(i).loss(),
            t.steps().get(i).tokensPerSecond()));
      }
      out.println(row);
    }
  }

  /** Tokens per second over the second half of the steps. */
  private double secondHalf(List<Double> seconds, long tokensPerStep) {
    int half = seconds.size() / 2;
    double total = 0;
    for (int i = half; i < seconds.size(); i++) {
      total += seconds.get(i);
    }
    return (seconds.size() - half) * tokensPerStep / total;
  }

  /** Each kernel's share of the steady half's step time, largest first, and what is outside them. */
  private Map<String, Double> shares(List<Double> stepSeconds) {
    double total = 0;
    for (int i = steps / 2; i < stepSeconds.size(); i++) {
      total += stepSeconds.get(i);
    }
    Map<String, Long> nanos = KernelProfile.nanos();
    List<Map.Entry<String, Long>> sorted = new ArrayList<>(nanos.entrySet());
    sorted.sort((a, b) -> Long.compare(b.getValue(), a.getValue()));
    Map<String, Double> shares = new LinkedHashMap<>();
    out.println("# where shard4j's steady steps go (host kernels; the rest is copies, head splits and Java)");
    double kernels = 0;
    for (Map.Entry<String, Long> e : sorted) {
      double share = e.getValue() / 1e9 / total;
      kernels += share;
      shares.put(e.getKey(), share);
      out.printf(Locale.ROOT, "  %-26s %5.1f%%%n", e.getKey(), 100 * share);
    }
    shares.put("outside the kernels", 1 - kernels);
    out.printf(Locale.ROOT, "  %-26s %5.1f%%%n", "outside the kernels", 100 * (1 - kernels));
    return shares;
  }

  /** Every distinct interpreter here with torch: the default python3's, and Debian's. */
  private List<String> pythons() throws Exception {
    List<String> found = new ArrayList<>();
    TorchGptPeer.findPython(root, false).ifPresent(found::add);
    Path debian = Path.of("/usr/bin/python3");
    if (Files.isExecutable(debian) && !found.contains(debian.toString())) {
      Process p = new ProcessBuilder(debian.toString(), "-c", "import torch").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      if (p.waitFor() == 0) {
        found.add(debian.toString());
      }
    }
    if (found.isEmpty()) {
      out.println("# no python with torch here: scripts/peers/ensure-torch.sh installs one");
    }
    return found;
  }
}
