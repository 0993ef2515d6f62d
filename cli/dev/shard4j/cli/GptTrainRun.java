package dev.shard4j.cli;

import dev.shard4j.cli.report.LossChart;
import dev.shard4j.cli.report.MetricsLog;
import dev.shard4j.models.gpt.GptTrainer;
import dev.shard4j.models.gpt.StepReport;
import dev.shard4j.models.gpt.TokenBatches;
import dev.shard4j.models.gpt.TrainSettings;
import dev.shard4j.models.ranks.RankRunner;
import dev.shard4j.models.text.Batches;
import dev.shard4j.models.text.ByteTokens;
import dev.shard4j.models.text.TextCorpus;
import dev.shard4j.models.text.TokenSplit;
import dev.shard4j.parallel.fsdp.Strategy;
import dev.shard4j.tensor.DType;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * One {@code shard4j train --model gpt} run: reads the text, trains with progress lines, writes
 * the metrics (a JSON line per step) and the loss curves (a picture, refreshed at each
 * validation), prints each rank's peak memory, the speed and a sample, and with check on trains
 * again on one rank with the same global batches and compares the losses step by step.
 */
final class GptTrainRun implements Callable<Integer> {
  private final TrainSettings s;
  private final Path data;
  private final Path out;
  private final int logEvery;
  private final boolean check;
  private final PrintStream log;
  /** Set once the runtime turned out to lack AWT. */
  private boolean noCharts;

  GptTrainRun(TrainSettings settings, Path data, Path out, int logEvery, boolean check, PrintStream log) {
    this.s = settings;
    this.data = data;
    this.out = out;
    this.logEvery = logEvery;
    this.check = check;
    this.log = log;
  }

  @Override
  public Integer call() throws Exception {
    TextCorpus corpus = TextCorpus.load(data);
    TokenSplit split = TokenSplit.of(corpus.tokens(), s.seq());
    Batches train = Batches.random(split.train(), s.batch(), s.seq(), s.seed());
    Batches validation = Batches.sequential(split.validation(), s.batch(), s.seq()); // the same windows every time
    TrainSettings.Parallel p = s.parallel();
    log.printf(Locale.ROOT, "data: %s; %s%n", corpus.describe(), split.describe());
    log.printf(Locale.ROOT, "model: GPT, %s; %d ranks (%s), %s, params %s, reduce %s%s%n", s.model().describe(),
        p.ranks().worldSize(), p.ranks().gpu() ? "a GPU each, NCCL" : "CPU threads",
        p.strategy().name().toLowerCase(Locale.ROOT), p.precision().paramDtype(), p.precision().reduceDtype(),
        p.recompute() ? ", recomputing activations" : "");
    log.printf(Locale.ROOT, "batch: %d sequences of %d tokens x %d micro-batches x %d ranks = %d tokens per step%n",
        s.batch(), s.seq(), s.accum(), p.ranks().worldSize(), s.tokensPerStep());
    Files.createDirectories(out);
    Path metricsFile = out.resolve("metrics.jsonl");
    Path chartFile = out.resolve("loss.png");
    Files.deleteIfExists(metricsFile); // a run's own log; a resumed run starts a new one
    GptTrainer.Outcome o;
    List<double[]> trainPoints = new ArrayList<>();
    List<double[]> valPoints = new ArrayList<>();
    try (MetricsLog metrics = MetricsLog.open(metricsFile)) {
      o = new GptTrainer(s, batches(train), batches(validation), r -> {
        report(r, metrics);
        trainPoints.add(new double[] {r.step(), r.loss()});
        if (!Double.isNaN(r.valLoss())) {
          valPoints.add(new double[] {r.step(), r.valLoss()});
          if (r.step() < s.steps()) {
            drawChart(chartFile, trainPoints, valPoints); // the picture so far; the last is drawn below
          }
        }
      }).run();
    }
    drawChart(chartFile, trainPoints, valPoints);
    summarize(o, metricsFile, chartFile);
    return check ? compareWithOneRank(o, train) : 0;
  }

  private static TokenBatches batches(Batches b) {
    return b::batch;
  }

  private void report(StepReport r, MetricsLog metrics) {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("step", r.step());
    line.put("loss", r.loss());
    line.put("val_loss", r.valLoss());
    line.put("lr", r.lr());
    line.put("grad_norm", r.gradNorm());
    line.put("tokens_per_s", r.tokensPerSecond());
    line.put("seconds", r.seconds());
    line.put("rank0_states_peak_bytes", r.statesPeakBytes());
    line.put("rank0_activations_peak_bytes", r.activationsPeakBytes());
    try {
      metrics.write(line);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (r.step() % logEvery == 0 || r.step() == 1 || r.step() == s.steps() || !Double.isNaN(r.valLoss())) {
      String val = Double.isNaN(r.valLoss()) ? "" : String.format(Locale.ROOT, "  val %.4f", r.valLoss());
      log.printf(Locale.ROOT, "step %5d/%d  loss %.4f%s  lr %.2e  norm %.3f  %8.0f tokens/s  rank 0 peak: states %s,"
          + " activations %s%n", r.step(), s.steps(), r.loss(), val, r.lr(), r.gradNorm(), r.tokensPerSecond(),
          mib(r.statesPeakBytes()), mib(r.activationsPeakBytes()));
    }
  }

  private void drawChart(Path file, List<double[]> train, List<double[]> val) {
    if (noCharts) {
      return;
    }
    try {
      drawChartOrFail(file, train, val);
    } catch (LinkageError e) {
      // A minimal Java runtime (jlink without java.desktop) trains on; only the picture is lost.
      noCharts = true;
      log.println("loss curves not drawn: this Java runtime lacks java.desktop (" + e + ")");
    }
  }

  private static void drawChartOrFail(Path file, List<double[]> train, List<double[]> val) {
    LossChart chart = new LossChart("GPT loss: train and validation", "step");
    for (double[] point : train) {
      chart.add("train", point[0], point[1]);
    }
    for (double[] point : val) {
      chart.add("validation", point[0], point[1]);
    }
    try {
      chart.write(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void summarize(GptTrainer.Outcome o, Path metricsFile, Path chartFile) {
    double flops = s.model().trainingFlopsPerToken(s.seq()) * o.tokensPerSecond();
    log.printf(Locale.ROOT, "trained steps %d-%d: %.0f tokens/s (%.0f steady), %.2f GFLOP/s of model FLOPs%n",
        o.firstStep(), s.steps(), o.tokensPerSecond(), o.steadyTokensPerSecond(), flops / 1e9);
    for (int r = 0; r < o.statesPeakBytes().length; r++) {
      log.printf(Locale.ROOT, "rank %d peak: model states %s, activations %s%n", r, mib(o.statesPeakBytes()[r]),
          mib(o.activationsPeakBytes()[r]));
    }
    log.printf(Locale.ROOT, "metrics: %s; loss curves: %s%n", metricsFile, noCharts ? "none" : chartFile);
    if (o.sample().length > 0) {
      log.println("sample:");
      log.println(ByteTokens.decode(o.sample()));
    }
  }

  /** Trains on one rank drawing every rank's micro-batches and compares the curves. */
  private int compareWithOneRank(GptTrainer.Outcome many, Batches train) throws Exception {
    TrainSettings.Parallel p = s.parallel();
    RankRunner one = new RankRunner(1, p.ranks().gpu(), null);
    TrainSettings single = new TrainSettings(s.model(), new TrainSettings.Parallel(one, Strategy.NO_SHARD, 1,
        p.precision(), false, false), s.steps(), s.batch(), s.seq(), s.accum() * p.ranks().worldSize(),
        s.optimizer(), s.seed(), 0, 0, null, 0, s.resume(), TrainSettings.Sample.none());
    log.println("check: training again on one rank with the same global batches");
    GptTrainer.Outcome ref = new GptTrainer(single, batches(train), null, null).run();
    double tolerance = p.precision().paramDtype() == DType.F32 && p.precision().reduceDtype() == DType.F32 ? 1e-5
        : 2e-2;
    double worst = 0;
    for (int i = 0; i < ref.losses().length; i++) {
      worst = Math.max(worst, Math.abs(many.losses()[i] - ref.losses()[i]) / Math.abs(ref.losses()[i]));
    }
    boolean ok = worst <= tolerance;
    log.printf(Locale.ROOT, "check: %s, the largest relative difference of a step's loss is %.2e (tolerance %.0e)%n",
        ok ? "the curves agree" : "THE CURVES DIFFER", worst, tolerance);
    return ok ? 0 : 1;
  }

  static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.2f MiB", bytes / 1048576.0);
  }
}
