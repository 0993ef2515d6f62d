package dev.shard4j.models.mlp;

import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.local.LocalGroup;
import dev.shard4j.collectives.rendezvous.LaunchEnv;
import dev.shard4j.parallel.fsdp.MixedPrecision;
import dev.shard4j.parallel.fsdp.ParamSpec;
import dev.shard4j.parallel.fsdp.ShardGroup;
import dev.shard4j.parallel.fsdp.Strategy;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Shape;
import dev.shard4j.tensor.Tensor;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One {@code shard4j train} run: trains, prints progress and a summary of the per-rank memory of
 * every strategy for this model and world size, and with check on, trains again on one rank with
 * the same global batches and compares the loss curves.
 */
public final class TrainRun implements Callable<Integer> {
  private static final int IN = 64;
  private static final int OUT = 16;

  private final int ranks;
  private final Strategy strategy;
  private final MixedPrecision precision;
  private final int steps;
  private final long seed;
  private final int hidden;
  private final int layers;
  private final int batch;
  private final int shardSize;
  private final boolean check;
  private final boolean overlap;
  private final boolean gpu;
  private final LaunchEnv launch;
  private final PrintStream out;

  /**
   * Describes the run.
   *
   * @param ranks ranks in all
   * @param strategy the sharding strategy
   * @param precision param and reduce dtypes
   * @param steps optimizer steps
   * @param seed seed of the model and the data
   * @param hidden hidden width of the MLP
   * @param layers affine layers of the MLP (2 or more), each its own shard group
   * @param batch samples per rank and step
   * @param shardSize ranks per sharding group (hybrid_shard)
   * @param check whether to compare with one rank
   * @param overlap whether communication runs on a comm stream beside compute
   * @param gpu one rank per GPU over NCCL, instead of CPU threads
   * @param launch this process's rank of a launch with one rank per process (torchrun's
   *     variables, a GPU each), or null when every rank is in this process (cuda:0 to
   *     cuda:ranks-1 on GPUs)
   * @param out where to print (only rank 0 of a launch prints, and checks)
   * @throws IllegalArgumentException when ranks or steps is below 1, or shardSize does not divide
   *     ranks (the memory summary makes a hybrid_shard group of that size whatever the strategy)
   */
  public TrainRun(int ranks, Strategy strategy, MixedPrecision precision, int steps, long seed, int hidden, int layers,
      int batch, int shardSize, boolean check, boolean overlap, boolean gpu, LaunchEnv launch, PrintStream out) {
    if (ranks < 1 || steps < 1) {
      throw new IllegalArgumentException("ranks and steps must be at least 1, got " + ranks + " and " + steps);
    }
    if (shardSize < 1 || ranks % shardSize != 0) {
      throw new IllegalArgumentException("shardSize " + shardSize + " must divide ranks " + ranks);
    }
    this.ranks = ranks;
    this.strategy = strategy;
    this.precision = precision;
    this.steps = steps;
    this.seed = seed;
    this.hidden = hidden;
    this.layers = layers;
    this.batch = batch;
    this.shardSize = shardSize;
    this.check = check;
    this.overlap = overlap;
    this.gpu = gpu;
    this.launch = launch;
    this.out = out;
  }

  /**
   * Trains and reports.
   *
   * @return 0, or 1 when the check finds the loss curves apart
   * @throws Exception when a rank fails
   */
  @Override
  public Integer call() throws Exception {
    out.printf(Locale.ROOT, "# shard4j train: MLP %s, %d ranks (%s), %s, params %s, reduce %s, "
            + "%d steps, %d samples per rank and step, seed %d, overlap %s%n", model().describe(), ranks,
        launch != null ? "one per process and GPU, NCCL" : gpu ? "one per GPU, NCCL" : "CPU threads, in-process",
        strategy, precision.paramDtype(), precision.reduceDtype(), steps, batch, seed, overlap ? "on" : "off");
    int logEvery = Math.max(1, steps / 10);
    Trainer.Outcome main = new Trainer(new Trainer.Config(ranks, strategy, precision, steps, seed, IN, hidden, OUT,
        layers, batch, shardSize, logEvery, 1, overlap, gpu, launch), out).run();
    if (launch != null && launch.rank() != 0) {
      return 0; // rank 0 reports and checks
    }
    out.printf(Locale.ROOT, "# done: final loss %.6f (first %.6f), %.0f samples/s (second half of the steps: "
        + "%.0f)%n", main.losses()[steps - 1], main.losses()[0], main.samplesPerSecond(),
        main.steadySamplesPerSecond());
    long commNanos = 0;
    long waitedNanos = 0;
    for (int r = 0; r < ranks; r++) {
      commNanos += main.commNanos()[r];
      waitedNanos += main.waitedNanos()[r];
    }
    // The exposed time is the one to compare across modes: communication run beside compute
    // takes longer than alone (it shares the machine), which inflates the hidden share.
    out.printf(Locale.ROOT, "# communication: %.3f ms per step and rank on the comm stream, %.0f%% of it hidden "
        + "behind compute; %.3f ms per step exposed (compute waiting for it)%n", commNanos / 1e6 / ranks / steps,
        100 * main.hiddenFraction(), waitedNanos / 1e6 / ranks / steps);
    out.println("# model-state memory per rank (parameters, gradients, AdamW state, gather and reduce buffers):");
    for (Strategy s : Strategy.values()) {
      out.printf(Locale.ROOT, "#   %-13s %s%s%n", s, Trainer.mib(memoryOf(s)),
          s == strategy ? String.format(Locale.ROOT, "  (this run's peak on rank 0: %s)",
              Trainer.mib(main.peakBytes()[0])) : "");
    }
    if (!check) {
      return 0;
    }
    Trainer.Outcome one = new Trainer(new Trainer.Config(1, Strategy.NO_SHARD, precision, steps, seed, IN, hidden,
        OUT, layers, batch, 1, logEvery, ranks, overlap, gpu, null), null).run();
    double worst = 0;
    for (int s = 0; s < steps; s++) {
      worst = Math.max(worst, Math.abs(main.losses()[s] - one.losses()[s]) / Math.max(1e-12, one.losses()[s]));
    }
    double tolerance = precision.paramDtype() == dev.shard4j.tensor.DType.F32
        && precision.reduceDtype() == dev.shard4j.tensor.DType.F32 ? 1e-4 : 5e-2;
    out.printf(Locale.ROOT, "# check against one rank on the same %d samples per step: largest relative loss "
        + "difference %.2e (tolerance %.0e): %s%n", ranks * batch, worst, tolerance, worst <= tolerance ? "OK" : "FAILED");
    return worst <= tolerance ? 0 : 1;
  }

  private Mlp model() {
    return new Mlp(IN, hidden, OUT, layers);
  }

  /** The per-rank bytes of a freshly made shard group of this model under a strategy. */
  private long memoryOf(Strategy s) throws Exception {
    Mlp model = model();
    List<ParamSpec> specs = new ArrayList<>();
    for (long[] shape : model.shapes()) {
      specs.add(new ParamSpec("p" + specs.size(), Shape.of(shape)));
    }
    List<Communicator> comms = LocalGroup.create(ranks);
    ExecutorService pool = Executors.newFixedThreadPool(ranks);
    try (Allocator a = Allocator.root("memory-" + s)) {
      List<Future<Long>> fs = new ArrayList<>();
      for (Communicator c : comms) {
        fs.add(pool.submit(() -> {
          List<Tensor> init = model.init(a, Device.CPU, seed);
          try (ShardGroup g = ShardGroup.create(c, specs, precision, s, shardSize, a, init)) {
            g.gather();
            return g.memoryBytes();
          } finally {
            init.forEach(Tensor::close);
            c.close();
          }
        }));
      }
      long first = 0;
      for (int i = 0; i < fs.size(); i++) {
        long v = fs.get(i).get();
        first = i == 0 ? v : first;
      }
      return first;
    } finally {
      pool.shutdownNow();
    }
  }
}
