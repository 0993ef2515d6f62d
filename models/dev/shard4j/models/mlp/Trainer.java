package dev.shard4j.models.mlp;

import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.RedOp;
import dev.shard4j.collectives.Work;
import dev.shard4j.collectives.rendezvous.LaunchEnv;
import dev.shard4j.models.ranks.RankFigures;
import dev.shard4j.models.ranks.RankRunner;
import dev.shard4j.parallel.fsdp.CommStream;
import dev.shard4j.parallel.fsdp.MixedPrecision;
import dev.shard4j.parallel.fsdp.ParamSpec;
import dev.shard4j.parallel.fsdp.ShardGroup;
import dev.shard4j.parallel.fsdp.Strategy;
import dev.shard4j.kernels.AdamW;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Shape;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Trains the demo MLP with sharded data parallel on in-process ranks (threads on the CPU, or one
 * thread and one NCCL rank per GPU): each rank draws its own
 * micro-batch of synthetic data (a fixed random "teacher" network makes the targets), computes
 * its gradients with the gathered parameters, and the shard groups (one per layer, FSDP units)
 * reduce and step them. With overlap on, each rank's communication runs on a comm stream of its
 * own: layer 2's all-gather is prefetched while layer 1 computes its forward pass, and layer 2's
 * reduce-scatter runs while layer 1 computes its gradients.
 */
final class Trainer {
  /** What to train. */
  record Config(int ranks, Strategy strategy, MixedPrecision precision, int steps, long seed, int in, int hidden,
      int out, int layers, int microBatch, int shardSize, int logEvery, int microBatchesPerRank, boolean overlap,
      boolean gpu, LaunchEnv launch) {}

  /**
   * The outcome: the mean loss of every step, each rank's peak model-state memory, and each rank's
   * communication time and the part of it that the rank waited for.
   */
  record Outcome(double[] losses, long[] peakBytes, double samplesPerSecond, double steadySamplesPerSecond,
      long[] commNanos, long[] waitedNanos) {
    /** The share of the communication time hidden behind compute, averaged over the ranks. */
    double hiddenFraction() {
      double sum = 0;
      for (int r = 0; r < commNanos.length; r++) {
        sum += commNanos[r] == 0 ? 0 : 1 - Math.min(1.0, (double) waitedNanos[r] / commNanos[r]);
      }
      return sum / commNanos.length;
    }
  }

  private final Config c;
  private final PrintStream log;
  /** When rank 0 finished each step (every rank agrees on the loss before a step ends). */
  private final long[] stepEnds;

  Trainer(Config config, PrintStream log) {
    this.c = config;
    this.log = log;
    this.stepEnds = new long[config.steps()];
  }

  Outcome run() throws Exception {
    Mlp model = new Mlp(c.in(), c.hidden(), c.out(), c.layers());
    Mlp teacher = new Mlp(c.in(), c.hidden() / 2 + 1, c.out(), 2);
    double[] losses = new double[c.steps()];
    long[] peaks = new long[c.ranks()];
    long[] comm = new long[c.ranks()];
    long[] waited = new long[c.ranks()];
    long start = System.nanoTime();
    new RankRunner(c.ranks(), c.gpu(), c.launch()).run("train", (communicator, device, mine) -> {
      int r = communicator.rank();
      try (CommStream stream = commStream("rank" + r)) {
        trainRank(communicator, stream, mine, device, model, teacher, losses, peaks);
        long[] figures = RankFigures.allGather(communicator, mine, stream.busyNanos(), stream.waitedNanos(), peaks[r]);
        for (int q = 0; q < c.ranks(); q++) {
          comm[q] = figures[3 * q];
          waited[q] = figures[3 * q + 1];
          peaks[q] = figures[3 * q + 2];
        }
      }
    });
    double seconds = (System.nanoTime() - start) / 1e9;
    double samplesPerStep = (double) c.ranks() * c.microBatchesPerRank() * c.microBatch();
    return new Outcome(losses, peaks, c.steps() * samplesPerStep / seconds, steadySamplesPerSecond(samplesPerStep),
        comm, waited);
  }

  /**
   * Samples per second over the second half of the steps, once the JIT has compiled the loop and
   * the caches are warm; NaN for a single step.
   */
  private double steadySamplesPerSecond(double samplesPerStep) {
    int half = c.steps() / 2;
    if (half < 1) {
      return Double.NaN;
    }
    double seconds = (stepEnds[c.steps() - 1] - stepEnds[half - 1]) / 1e9;
    return (c.steps() - half) * samplesPerStep / seconds;
  }

  /**
   * On a GPU the device schedule, with or without overlap (so that both are timed on the device);
   * on the CPU a thread of the rank's, or none.
   */
  private CommStream commStream(String name) {
    if (c.gpu()) {
      return CommStream.onDevice(name);
    }
    return c.overlap() ? CommStream.create(name) : CommStream.inline(name);
  }

  private void trainRank(Communicator comm, CommStream stream, Allocator a, Device device, Mlp model, Mlp teacher,
      double[] losses, long[] peaks) {
    List<Tensor> init = model.init(a, device, c.seed());
    List<Tensor> teacherParams = teacher.init(a, device, c.seed() + 99);
    AdamW adamw = new AdamW(3e-3, 0.9, 0.95, 1e-8, 0.01);
    long[][] shapes = model.shapes();
    List<ShardGroup> groups = new ArrayList<>();
    try (Allocator states = a.newChild("model-states", Long.MAX_VALUE)) {
      try {
        for (int layer = 0; layer < model.layers(); layer++) {
          String name = "fc" + (layer + 1);
          List<ParamSpec> specs = List.of(new ParamSpec(name + ".weight", Shape.of(shapes[2 * layer])),
              new ParamSpec(name + ".bias", Shape.of(shapes[2 * layer + 1])));
          groups.add(ShardGroup.create(comm, specs, c.precision(), c.strategy(), c.shardSize(), states,
              init.subList(2 * layer, 2 * layer + 2), stream));
        }
      } finally {
        init.forEach(Tensor::close);
      }
      try (Tensor lossSum = Tensors.zeros(a, DType.F64, device, 1)) {
        trainSteps(comm, groups, a, model, teacher, teacherParams, adamw, lossSum, states, losses);
      } finally {
        groups.forEach(ShardGroup::close);
      }
      peaks[comm.rank()] = states.peakBytes();
    } finally {
      teacherParams.forEach(Tensor::close);
    }
  }

  private void trainSteps(Communicator comm, List<ShardGroup> groups, Allocator a, Mlp model, Mlp teacher,
      List<Tensor> teacherParams, AdamW adamw, Tensor lossSum, Allocator states, double[] losses) {
    long t0 = System.nanoTime();
    for (int step = 1; step <= c.steps(); step++) {
      // This rank's share of the step's global batch: micro-batches numbered as the ranks of the
      // main run would draw them, so that one rank drawing all of them sees the same data.
      int parts = c.microBatchesPerRank();
      lossSum.fill(0.0);
      for (int v = 0; v < parts; v++) {
        long dataRank = (long) comm.rank() * parts + v;
        try (Tensor x = Tensors.normal(a, DType.F32, lossSum.device(), c.seed() * 7919 + step * 1000L + dataRank, 0, 1,
            c.microBatch(), c.in());
            Tensor target = teacher.predict(a, teacherParams, x)) {
          microBatch(groups, a, model, x, target, lossSum, 1.0 / parts);
        }
        if (c.overlap() && v + 1 < parts) {
          groups.get(0).prefetch(); // the next micro-batch's, under its data and targets
        }
      }
      for (ShardGroup g : groups) {
        g.step(adamw, 1.0); // waits for the group's reduce
      }
      if (c.overlap() && step < c.steps()) {
        groups.get(0).prefetch(); // the next step's, under its data and targets
      }
      comm.allReduce(lossSum, lossSum, RedOp.AVG);
      double loss = lossSum.toDoubleArray()[0];
      if (comm.rank() == 0) {
        stepEnds[step - 1] = System.nanoTime();
        losses[step - 1] = loss;
        if (log != null && (step % c.logEvery() == 0 || step == 1 || step == c.steps())) {
          double secs = (System.nanoTime() - t0) / 1e9;
          log.printf(Locale.ROOT, "step %5d  loss %.6f  %9.0f samples/s  rank 0 peak %s%n", step, loss,
              step * (double) c.ranks() * parts * c.microBatch() / secs, mib(states.peakBytes()));
        }
      }
    }
  }

  /**
   * Forward and backward of one micro-batch, layer by layer, with FSDP's schedule: in the forward
   * pass each layer's gather prefetches the next layer's; in the backward pass (last layer first)
   * each layer's reduce runs while the layers before it compute, and under FULL_SHARD, which
   * freed the parameters after the forward pass, the gather of the layer before is prefetched. The
   * last layer stays gathered from forward into backward, as FSDP2 keeps its root; the first needs
   * no parameter in backward (no gradient of the data).
   */
  private void microBatch(List<ShardGroup> groups, Allocator a, Mlp model, Tensor x, Tensor target, Tensor lossSum,
      double weight) {
    int layers = groups.size();
    boolean reshardAfterForward = c.strategy().reshardAfterForward();
    double factor = groups.get(0).averagingFactor() * weight;
    Stream compute = Stream.defaultStream(x.device());
    List<List<Tensor>> gathered = new ArrayList<>();
    List<Mlp.Activation> acts = new ArrayList<>();
    Tensor dOut = null;
    try {
      Tensor input = x;
      for (int l = 0; l < layers; l++) {
        List<Tensor> p = groups.get(l).gather();
        if (c.overlap() && l + 1 < layers) {
          groups.get(l + 1).prefetch(); // its all-gather runs while this layer computes
        }
        Mlp.Activation act = model.forward(a, l, p, input);
        acts.add(act);
        input = act.y();
        gathered.add(p);
        if (reshardAfterForward && l < layers - 1) {
          groups.get(l).reshard();
        }
      }
      dOut = Mlp.loss(a, acts.get(layers - 1).y(), target, lossSum, weight);
      for (int l = layers - 1; l >= 0; l--) {
        ShardGroup g = groups.get(l);
        List<Tensor> p = null;
        if (l > 0) {
          p = reshardAfterForward && l < layers - 1 ? g.gather() : gathered.get(l);
        }
        if (c.overlap() && reshardAfterForward && l - 1 > 0) {
          groups.get(l - 1).prefetch(); // the gather its backward needs, under this layer's
        }
        Mlp.LayerGrads grads = model.backward(a, l, p, acts.get(l), dOut);
        try {
          Work reduced = g.reduceGradientsAsync(grads.grads(), factor); // runs while the layers before compute
          if (!c.overlap()) {
            reduced.awaitOn(compute);
          }
        } finally {
          grads.grads().forEach(Tensor::close); // copied in: the gradients may go
        }
        g.reshard();
        dOut.close();
        dOut = grads.dInput();
        acts.remove(l).close();
      }
    } finally {
      if (dOut != null) {
        dOut.close();
      }
      acts.forEach(Mlp.Activation::close);
    }
  }

  static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.2f MiB", bytes / 1048576.0);
  }
}
