package dev.shard4j.collectives.train;

import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.RedOp;
import dev.shard4j.collectives.local.LocalGroup;
import dev.shard4j.collectives.shard.MixedPrecision;
import dev.shard4j.collectives.shard.ParamSpec;
import dev.shard4j.collectives.shard.ShardGroup;
import dev.shard4j.collectives.shard.Strategy;
import dev.shard4j.kernels.AdamW;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Shape;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Trains the demo MLP with sharded data parallel on in-process ranks: each rank draws its own
 * micro-batch of synthetic data (a fixed random "teacher" network makes the targets), computes
 * its gradients with the gathered parameters, and the shard group reduces and steps them.
 */
final class Trainer {
  /** What to train. */
  record Config(int ranks, Strategy strategy, MixedPrecision precision, int steps, long seed, int in, int hidden,
      int out, int microBatch, int shardSize, int logEvery, int microBatchesPerRank) {}

  /** The outcome: the mean loss of every step and each rank's peak model-state memory. */
  record Outcome(double[] losses, long[] peakBytes, double samplesPerSecond) {}

  private final Config c;
  private final PrintStream log;

  Trainer(Config config, PrintStream log) {
    this.c = config;
    this.log = log;
  }

  Outcome run() throws Exception {
    Mlp model = new Mlp(c.in(), c.hidden(), c.out());
    Mlp teacher = new Mlp(c.in(), c.hidden() / 2 + 1, c.out());
    List<ParamSpec> specs = new ArrayList<>();
    String[] names = {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"};
    long[][] shapes = model.shapes();
    for (int p = 0; p < names.length; p++) {
      specs.add(new ParamSpec(names[p], Shape.of(shapes[p])));
    }
    double[] losses = new double[c.steps()];
    long[] peaks = new long[c.ranks()];
    List<Communicator> comms = LocalGroup.create(c.ranks());
    ExecutorService pool = Executors.newFixedThreadPool(c.ranks());
    long start = System.nanoTime();
    try (Allocator root = Allocator.root("train")) {
      List<Future<?>> ranks = new ArrayList<>();
      for (Communicator comm : comms) {
        ranks.add(pool.submit(() -> {
          try (Allocator mine = root.newChild("rank" + comm.rank(), Long.MAX_VALUE)) {
            trainRank(comm, mine, model, teacher, specs, losses, peaks);
          } finally {
            comm.close();
          }
          return null;
        }));
      }
      for (Future<?> f : ranks) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Outcome(losses, peaks,
        (double) c.steps() * c.ranks() * c.microBatchesPerRank() * c.microBatch() / seconds);
  }

  private void trainRank(Communicator comm, Allocator a, Mlp model, Mlp teacher, List<ParamSpec> specs,
      double[] losses, long[] peaks) {
    List<Tensor> init = model.init(a, c.seed());
    List<Tensor> teacherParams = teacher.init(a, c.seed() + 99);
    AdamW adamw = new AdamW(3e-3, 0.9, 0.95, 1e-8, 0.01);
    ShardGroup group;
    try {
      group = ShardGroup.create(comm, specs, c.precision(), c.strategy(), c.shardSize(), a, init);
    } finally {
      init.forEach(Tensor::close);
    }
    long t0 = System.nanoTime();
    try (group; Tensor lossSum = Tensors.zeros(a, DType.F64, Device.CPU, 1)) {
      for (int step = 1; step <= c.steps(); step++) {
        // This rank's share of the step's global batch: micro-batches numbered as the ranks of the
        // main run would draw them, so that one rank drawing all of them sees the same data.
        double loss = 0;
        int parts = c.microBatchesPerRank();
        for (int v = 0; v < parts; v++) {
          long dataRank = (long) comm.rank() * parts + v;
          try (Tensor x = Tensors.normal(a, DType.F32, Device.CPU, c.seed() * 7919 + step * 1000L + dataRank, 0, 1,
              c.microBatch(), c.in())) {
            float[] target = teacher.predict(a, teacherParams, x);
            List<Tensor> params = group.gather();
            Mlp.Result r = model.lossAndGradients(a, params, x, target);
            if (c.strategy().reshardAfterForward()) {
              group.reshard(); // FULL_SHARD frees the parameters after forward (gathered again for backward)
            }
            loss += r.loss() / parts;
            List<Tensor> grads = parts == 1 ? r.grads() : scaled(a, r.grads(), 1.0 / parts);
            group.reduceGradients(grads);
            r.grads().forEach(Tensor::close);
            if (grads != r.grads()) {
              grads.forEach(Tensor::close);
            }
          }
        }
        group.reshard();
        group.step(adamw, 1.0);
        lossSum.fill(loss);
        comm.allReduce(lossSum, lossSum, RedOp.AVG);
        loss = lossSum.toDoubleArray()[0];
        if (comm.rank() == 0) {
          losses[step - 1] = loss;
          if (log != null && (step % c.logEvery() == 0 || step == 1 || step == c.steps())) {
            double secs = (System.nanoTime() - t0) / 1e9;
            log.printf(Locale.ROOT, "step %5d  loss %.6f  %9.0f samples/s  rank 0 peak %s%n", step, loss,
                step * (double) c.ranks() * parts * c.microBatch() / secs, mib(group.peakMemoryBytes()));
          }
        }
      }
      peaks[comm.rank()] = group.peakMemoryBytes();
    } finally {
      teacherParams.forEach(Tensor::close);
    }
  }

  /** The gradients times a factor, as new tensors (their originals are closed by the caller). */
  private static List<Tensor> scaled(Allocator a, List<Tensor> grads, double factor) {
    List<Tensor> out = new ArrayList<>();
    for (Tensor g : grads) {
      Tensor s = Tensors.zeros(a, g.dtype(), g.device(), g.shape().toArray());
      dev.shard4j.kernels.AccumulateKernel.accumulate(s, g, factor, null);
      out.add(s);
    }
    return out;
  }

  static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.2f MiB", bytes / 1048576.0);
  }
}
