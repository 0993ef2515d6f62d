package dev.shard4j.models.gpt;

import dev.shard4j.collectives.Communicator;
import dev.shard4j.models.ranks.RankFigures;
import dev.shard4j.parallel.fsdp.CommStream;
import dev.shard4j.parallel.fsdp.ShardCheckpoint;
import dev.shard4j.parallel.fsdp.ShardGroup;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Trains the GPT with sharded data parallel: every rank builds a shard group per unit from the
 * same seeded initialisation (or a checkpoint), draws its micro-batches by global index, and
 * steps; rank 0 reports each step. Validation, checkpoints and the final sample are collective.
 */
public final class GptTrainer {
  private final TrainSettings s;
  private final TokenBatches train;
  private final TokenBatches validation;
  private final Consumer<StepReport> listener;

  /**
   * The outcome of a run.
   *
   * @param firstStep the first step this run did (1, or the step after the checkpoint's)
   * @param losses the training loss of each step done, from firstStep
   * @param gradNorms the global gradient norm of each step done
   * @param validation pairs {step, loss} of each evaluation
   * @param statesPeakBytes each rank's peak bytes of model states
   * @param activationsPeakBytes each rank's peak bytes of activations and temporaries
   * @param tokensPerSecond tokens over every rank per second of training (evaluation and saves excluded)
   * @param steadyTokensPerSecond the same over the second half of the steps, NaN under 2 steps
   * @param sample the prompt and generated tokens, empty when none was asked for
   */
  public record Outcome(int firstStep, double[] losses, double[] gradNorms, List<double[]> validation,
      long[] statesPeakBytes, long[] activationsPeakBytes, double tokensPerSecond, double steadyTokensPerSecond,
      int[] sample) {}

  /**
   * A run.
   *
   * @param settings what to train
   * @param train the training batches (batch x seq tokens each)
   * @param validation the validation batches, or null when settings evaluate never
   * @param listener called on rank 0's thread after every step, or null
   */
  public GptTrainer(TrainSettings settings, TokenBatches train, TokenBatches validation,
      Consumer<StepReport> listener) {
    this.s = Objects.requireNonNull(settings, "settings");
    this.train = Objects.requireNonNull(train, "train");
    if (settings.evalEvery() > 0 && validation == null) {
      throw new IllegalArgumentException("validation batches are needed to evaluate every " + settings.evalEvery()
          + " steps");
    }
    this.validation = validation;
    this.listener = listener;
  }

  /**
   * Trains.
   *
   * @return what rank 0 saw, with every rank's memory peaks
   * @throws Exception the first rank's failure (a bad checkpoint: IOException)
   */
  public Outcome run() throws Exception {
    Outcome[] result = new Outcome[1];
    TrainerState resumed = s.resume() == null ? null : TrainerState.read(s.resume());
    if (resumed != null) {
      resumed.checkContinues(s); // before any rank starts
    }
    s.parallel().ranks().run("gpt", (comm, device, memory) -> {
      Outcome o = trainRank(comm, device, memory, resumed);
      if (comm.rank() == 0) {
        result[0] = o;
      }
    });
    return result[0];
  }

  private Outcome trainRank(Communicator comm, Device device, Allocator memory, TrainerState resumed)
      throws IOException {
    GptConfig cfg = s.model();
    try (Allocator states = memory.newChild("model-states", Long.MAX_VALUE);
        Allocator acts = memory.newChild("activations", Long.MAX_VALUE);
        CommStream stream = commStream("rank" + comm.rank(), device);
        GptRank rank = new GptRank(s, comm, device, acts, groups(comm, device, states, acts, stream))) {
      int first = 1;
      if (resumed != null) {
        for (int u = 0; u < GptWeights.units(cfg); u++) {
          ShardCheckpoint.load(rank.group(u), s.resume().resolve(TrainerState.unitFolder(u)));
        }
        first = resumed.step() + 1;
      }
      int done = s.steps() - first + 1;
      double[] losses = new double[done];
      double[] norms = new double[done];
      long[] stepEnds = new long[done];
      List<double[]> evals = new ArrayList<>();
      long trainNanos = 0;
      try (Tensor lossSum = Tensors.zeros(acts, DType.F64, device, 1)) {
        for (int step = first; step <= s.steps(); step++) {
          long t0 = System.nanoTime();
          double[] lossAndNorm = rank.step(step, train, lossSum);
          long nanos = System.nanoTime() - t0;
          trainNanos += nanos;
          stepEnds[step - first] = trainNanos;
          losses[step - first] = lossAndNorm[0];
          norms[step - first] = lossAndNorm[1];
          double val = Double.NaN;
          if (s.evalEvery() > 0 && (step % s.evalEvery() == 0 || step == s.steps())) {
            val = rank.validationLoss(validation);
            evals.add(new double[] {step, val});
          }
          if (s.save() != null && (step == s.steps() || (s.saveEvery() > 0 && step % s.saveEvery() == 0))) {
            save(comm, rank, step);
          }
          if (comm.rank() == 0 && listener != null) {
            listener.accept(new StepReport(step, lossAndNorm[0], lossAndNorm[1], s.optimizer().lrAt(step, s.steps()),
                val, s.tokensPerStep() / (nanos / 1e9), states.peakBytes(), acts.peakBytes(), nanos / 1e9));
          }
        }
      }
      int[] sample = sample(comm, rank, acts);
      long[] peaks = RankFigures.allGather(comm, acts, states.peakBytes(), acts.peakBytes());
      long[] statesPeak = new long[comm.size()];
      long[] actsPeak = new long[comm.size()];
      for (int q = 0; q < comm.size(); q++) {
        statesPeak[q] = peaks[2 * q];
        actsPeak[q] = peaks[2 * q + 1];
      }
      double perSecond = done * (double) s.tokensPerStep() / (trainNanos / 1e9);
      int half = done / 2;
      double steady = half < 1 ? Double.NaN
          : (done - half) * (double) s.tokensPerStep() / ((stepEnds[done - 1] - stepEnds[half - 1]) / 1e9);
      return new Outcome(first, losses, norms, evals, statesPeak, actsPeak, perSecond, steady, sample);
    }
  }

  private List<ShardGroup> groups(Communicator comm, Device device, Allocator states, Allocator scratch,
      CommStream stream) {
    List<ShardGroup> groups = new ArrayList<>();
    TrainSettings.Parallel p = s.parallel();
    try {
      for (int u = 0; u < GptWeights.units(s.model()); u++) {
        List<Tensor> init = GptWeights.init(s.model(), u, scratch, device, s.seed());
        try {
          groups.add(ShardGroup.create(comm, GptWeights.specs(s.model(), u), p.precision(), p.strategy(),
              p.shardSize(), states, init, stream));
        } finally {
          init.forEach(Tensor::close);
        }
      }
      return groups;
    } catch (RuntimeException e) {
      groups.forEach(ShardGroup::close);
      throw e;
    }
  }

  /** On a GPU the device schedule; on the CPU a thread of the rank's when overlapping, or none. */
  private CommStream commStream(String name, Device device) {
    if (device.isCuda()) {
      return CommStream.onDevice(name);
    }
    return s.parallel().overlap() ? CommStream.create(name) : CommStream.inline(name);
  }

  /** Every unit's shards, then (rank 0) the trainer's state, which commits the whole checkpoint. */
  private void save(Communicator comm, GptRank rank, int step) throws IOException {
    Path dir = s.save();
    Files.createDirectories(dir);
    for (int u = 0; u < GptWeights.units(s.model()); u++) {
      ShardCheckpoint.save(rank.group(u), dir.resolve(TrainerState.unitFolder(u)));
    }
    if (comm.rank() == 0) {
      long perStep = (long) s.batch() * s.accum() * comm.size();
      new TrainerState(step, s.model(), s.seed(), perStep, s.seq()).write(dir);
    }
    comm.barrier(); // the checkpoint is whole on every rank when save returns
  }

  /** The sample: every rank gathers the units, rank 0 generates, and all reshard. */
  private int[] sample(Communicator comm, GptRank rank, Allocator acts) {
    TrainSettings.Sample sample = s.sample();
    if (sample.tokens() == 0) {
      return new int[0];
    }
    List<List<Tensor>> units = rank.gatherAll();
    try {
      if (comm.rank() != 0) {
        return new int[0];
      }
      return new Gpt(s.model()).generate(acts, units, sample.prompt(), sample.tokens(), sample.temperature(),
          sample.topK(), s.seed());
    } finally {
      rank.reshardAll();
      comm.barrier();
    }
  }
}
