package dev.shard4j.parallel.fsdp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.local.LocalGroup;
import dev.shard4j.kernels.AccumulateKernel;
import dev.shard4j.kernels.AdamW;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** FULL_SHARD against single-rank training: the same parameters after the same steps. */
class ShardGroupTest {
  private static final List<ParamSpec> SPECS = List.of(ParamSpec.of("w1", 5, 3), ParamSpec.of("b1", 7),
      ParamSpec.of("w2", 2, 9), ParamSpec.of("scale", 1), ParamSpec.of("emb", 11, 4));
  private static final AdamW ADAMW = new AdamW(1e-2, 0.9, 0.95, 1e-8, 0.1);
  private final Allocator allocator = Allocator.root("shard-group-test");

  @AfterEach
  void close() {
    allocator.close();
  }

  private interface RankBody {
    Object run(Communicator comm) throws Exception;
  }

  private static List<Object> onRanks(int world, RankBody body) throws Exception {
    List<Communicator> comms = LocalGroup.create(world, Duration.ofSeconds(60));
    ExecutorService pool = Executors.newFixedThreadPool(world);
    try {
      List<Future<Object>> fs = new ArrayList<>();
      for (Communicator c : comms) {
        fs.add(pool.submit(() -> {
          try {
            return body.run(c);
          } catch (Throwable t) {
            return t;
          } finally {
            c.close();
          }
        }));
      }
      List<Object> out = new ArrayList<>();
      for (Future<Object> f : fs) {
        out.add(f.get(120, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  private List<Tensor> initial(long seed) {
    List<Tensor> init = new ArrayList<>();
    for (int p = 0; p < SPECS.size(); p++) {
      init.add(Tensors.normal(allocator, DType.F32, Device.CPU, seed + p, 0, 0.5, SPECS.get(p).shape().toArray()));
    }
    return init;
  }

  /** Rank r's gradient of parameter p at a step: deterministic, different on every rank. */
  private Tensor grad(int rank, int step, int p) {
    return Tensors.normal(allocator, DType.F32, Device.CPU, 1000L * step + 31L * rank + p, 0, 1,
        SPECS.get(p).shape().toArray());
  }

  /** The reference: one rank, full parameters, the gradient averaged over the ranks in double. */
  private List<double[]> reference(int world, int steps) {
    List<double[]> params = new ArrayList<>();
    List<double[]> m = new ArrayList<>();
    List<double[]> v = new ArrayList<>();
    for (Tensor t : initial(7)) {
      params.add(t.toDoubleArray());
      m.add(new double[(int) t.numel()]);
      v.add(new double[(int) t.numel()]);
      t.close();
    }
    for (int step = 1; step <= steps; step++) {
      double bc1 = 1 - Math.pow(ADAMW.beta1(), step);
      double bc2 = 1 - Math.pow(ADAMW.beta2(), step);
      for (int p = 0; p < SPECS.size(); p++) {
        double[] g = new double[params.get(p).length];
        for (int r = 0; r < world; r++) {
          try (Tensor t = grad(r, step, p)) {
            double[] gr = t.toDoubleArray();
            for (int i = 0; i < g.length; i++) {
              g[i] += gr[i] / world;
            }
          }
        }
        double[] x = params.get(p);
        for (int i = 0; i < x.length; i++) {
          x[i] *= 1 - ADAMW.lr() * ADAMW.weightDecay();
          m.get(p)[i] = ADAMW.beta1() * m.get(p)[i] + (1 - ADAMW.beta1()) * g[i];
          v.get(p)[i] = ADAMW.beta2() * v.get(p)[i] + (1 - ADAMW.beta2()) * g[i] * g[i];
          x[i] -= ADAMW.lr() / bc1 * m.get(p)[i] / (Math.sqrt(v.get(p)[i]) / Math.sqrt(bc2) + ADAMW.eps());
        }
      }
    }
    return params;
  }

  @Test
  void everyStrategyTrainsLikeOneRank() throws Exception {
    for (Strategy strategy : Strategy.values()) {
      trainsLikeOneRank(strategy);
    }
  }

  private void trainsLikeOneRank(Strategy strategy) throws Exception {
    int steps = 4;
    for (int world : new int[] {1, 2, 3, 4, 8}) {
      int shardSize = world % 2 == 0 ? 2 : world;
      List<double[]> expected = reference(world, steps);
      List<Object> results = onRanks(world, comm -> {
        List<Tensor> init = initial(7);
        ShardGroup created;
        try {
          created = ShardGroup.create(comm, SPECS, MixedPrecision.FULL, strategy, shardSize, allocator, init);
        } finally {
          init.forEach(Tensor::close);
        }
        try (ShardGroup group = created) {
          for (int step = 1; step <= steps; step++) {
            group.gather(); // forward would run here
            if (strategy.reshardAfterForward()) {
              group.reshard();
              group.gather(); // and again for backward
            }
            group.reshard();
            // two micro-batches of half the gradient each, accumulated before the step
            for (int half = 0; half < 2; half++) {
              List<Tensor> grads = new ArrayList<>();
              for (int p = 0; p < SPECS.size(); p++) {
                try (Tensor g = grad(comm.rank(), step, p)) {
                  Tensor h = Tensors.zeros(allocator, DType.F32, Device.CPU, g.shape().toArray());
                  AccumulateKernel.accumulate(h, g, 0.5, null); // exactly g / 2
                  grads.add(h);
                }
              }
              group.reduceGradients(grads);
              grads.forEach(Tensor::close);
            }
            group.step(ADAMW, 1.0);
          }
          List<Tensor> full = group.gather();
          List<double[]> got = new ArrayList<>();
          for (Tensor t : full) {
            got.add(t.toDoubleArray());
          }
          long memory = group.memoryBytes();
          group.reshard();
          return List.of(got, memory);
        }
      });
      for (int r = 0; r < world; r++) {
        Object result = results.get(r);
        if (result instanceof Throwable t) {
          throw new AssertionError(strategy + ": rank " + r + " of " + world + " failed", t);
        }
        @SuppressWarnings("unchecked")
        List<double[]> got = (List<double[]>) ((List<Object>) result).get(0);
        for (int p = 0; p < SPECS.size(); p++) {
          for (int i = 0; i < got.get(p).length; i++) {
            double e = expected.get(p)[i];
            assertEquals(e, got.get(p)[i], 1e-5 * Math.max(1, Math.abs(e)),
                strategy + " world " + world + " param " + SPECS.get(p).name() + "[" + i + "]");
          }
        }
      }
    }
  }

  /** Ranks that pass different initial values all start from rank 0's (they used to train a mix). */
  @Test
  void everyRankStartsFromRankZerosInitialValues() throws Exception {
    List<float[]> rankZero = new ArrayList<>();
    for (Tensor t : initial(100)) {
      rankZero.add(t.toFloatArray());
      t.close();
    }
    for (Strategy strategy : Strategy.values()) {
      List<Object> results = onRanks(4, comm -> {
        List<Tensor> init = initial(100 + comm.rank());
        try (ShardGroup group = ShardGroup.create(comm, SPECS, MixedPrecision.FULL, strategy, 2, allocator, init)) {
          List<float[]> got = new ArrayList<>();
          for (Tensor w : group.gather()) {
            got.add(w.toFloatArray());
          }
          return got;
        } finally {
          init.forEach(Tensor::close);
        }
      });
      for (int r = 0; r < results.size(); r++) {
        Object got = results.get(r);
        if (got instanceof Throwable t) {
          throw new AssertionError(strategy + ": rank " + r + " failed", t);
        }
        @SuppressWarnings("unchecked")
        List<float[]> params = (List<float[]>) got;
        for (int p = 0; p < SPECS.size(); p++) {
          assertArrayEquals(rankZero.get(p), params.get(p), strategy + ", rank " + r + ", " + SPECS.get(p).name());
        }
      }
    }
  }

  @Test
  void fullShardHoldsAFractionOfNoShardsMemory() throws Exception {
    // A bigger model, so that the padding and the group's two unsharded buffers matter less.
    List<ParamSpec> specs = List.of(ParamSpec.of("w", 256, 128), ParamSpec.of("v", 64, 512));
    long[] bytes = new long[2];
    for (Strategy strategy : new Strategy[] {Strategy.NO_SHARD, Strategy.FULL_SHARD}) {
      List<Object> results = onRanks(4, comm -> {
        List<Tensor> init = new ArrayList<>();
        for (ParamSpec spec : specs) {
          init.add(Tensors.normal(allocator, DType.F32, Device.CPU, 1, 0, 1, spec.shape().toArray()));
        }
        try (ShardGroup group = ShardGroup.create(comm, specs, new MixedPrecision(DType.BF16, DType.BF16), strategy, 4,
            allocator, init)) {
          return group.memoryBytes();
        } finally {
          init.forEach(Tensor::close);
        }
      });
      for (Object r : results) {
        if (r instanceof Throwable t) {
          throw new AssertionError(t);
        }
      }
      bytes[strategy == Strategy.NO_SHARD ? 0 : 1] = (Long) results.get(0);
    }
    long numel = 256 * 128 + 64 * 512;
    // Per element: NO_SHARD holds fp32 master, two moments, gradient (16 B) and its bf16 copy and
    // reduce buffer (4 B); FULL_SHARD a quarter of the 16 B plus the two unsharded bf16 buffers.
    assertEquals(20 * numel, bytes[0]);
    assertTrue(bytes[1] <= bytes[0] / 4 + 4 * numel + 4096, "FULL_SHARD " + bytes[1] + " vs NO_SHARD " + bytes[0]);
  }

  @Test
  void bf16GatherIsTheRoundedMasterAndMemoryShrinksWithTheRanks() throws Exception {
    long[] memory = new long[9];
    for (int world : new int[] {1, 4, 8}) {
      List<Object> results = onRanks(world, comm -> {
        List<Tensor> init = initial(3);
        try (ShardGroup group = ShardGroup.create(comm, SPECS, new MixedPrecision(DType.BF16, DType.BF16), allocator,
            init)) {
          List<Tensor> full = group.gather();
          for (int p = 0; p < SPECS.size(); p++) {
            try (Tensor expected = init.get(p).cast(DType.BF16)) {
              assertArrayEquals(expected.toShortArray(), full.get(p).toShortArray(), SPECS.get(p).name());
            }
          }
          group.reshard();
          return group.memoryBytes();
        } finally {
          init.forEach(Tensor::close);
        }
      });
      for (Object r : results) {
        if (r instanceof Throwable t) {
          throw new AssertionError(t);
        }
      }
      memory[world] = (Long) results.get(0);
    }
    // Sharded state (master, moments, gradient) shrinks as 1/world; the gather and reduce buffers
    // (one unsharded group each, padded) do not.
    assertTrue(memory[8] < memory[1], memory[8] + " vs " + memory[1]);
  }

  @Test
  void misuseIsAClearErrorOnEveryRank() throws Exception {
    List<Object> results = onRanks(3, comm -> {
      List<ParamSpec> specs = comm.rank() == 1 ? SPECS.subList(0, 4) : SPECS;
      List<Tensor> init = new ArrayList<>(initial(1));
      while (init.size() > specs.size()) {
        init.remove(init.size() - 1).close();
      }
      try {
        ShardGroup.create(comm, specs, MixedPrecision.FULL, allocator, init).close();
        return "created";
      } finally {
        init.forEach(Tensor::close);
      }
    });
    for (Object r : results) {
      IllegalArgumentException e = assertInstanceOf(IllegalArgumentException.class, r, String.valueOf(r));
      assertTrue(e.getMessage().contains("passed a different parameter list"), e.getMessage());
    }
  }

  @Test
  void wrongGradientsAndSteppingTooEarlyAreClearErrors() throws Exception {
    List<Object> results = onRanks(2, comm -> {
      List<Tensor> init = initial(5);
      try (ShardGroup group = ShardGroup.create(comm, SPECS, MixedPrecision.FULL, allocator, init)) {
        IllegalStateException early = assertThrows(IllegalStateException.class, () -> group.step(ADAMW, 1.0));
        assertTrue(early.getMessage().contains("step before reduceGradients"), early.getMessage());
        List<Tensor> wrong = new ArrayList<>();
        for (ParamSpec spec : SPECS) {
          wrong.add(Tensors.zeros(allocator, DType.F32, Device.CPU, spec.shape().toArray()));
        }
        wrong.set(2, Tensors.zeros(allocator, DType.F32, Device.CPU, 9, 2)).close();
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () -> group.reduceGradients(wrong));
        assertTrue(shape.getMessage().contains("gradient of 'w2' has shape [9, 2]"), shape.getMessage());
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
            () -> group.reduceGradients(wrong.subList(0, 3)));
        assertTrue(count.getMessage().contains("5 parameters but 3 gradients"), count.getMessage());
        wrong.forEach(Tensor::close);
        return "ok";
      } finally {
        init.forEach(Tensor::close);
      }
    });
    assertEquals(List.of("ok", "ok"), results);
  }

  @Test
  void aCustomFactorSumsTheScaledGradients() throws Exception {
    for (Strategy strategy : Strategy.values()) {
      List<Object> results = onRanks(4, comm -> {
        List<Tensor> init = initial(9);
        try (ShardGroup group = ShardGroup.create(comm, SPECS, MixedPrecision.FULL, strategy, 2, allocator, init)) {
          List<Tensor> grads = new ArrayList<>();
          for (ParamSpec spec : SPECS) {
            // rank r's gradient is all (r + 1): the sum over 4 ranks of 0.5 * (r + 1) is 5
            grads.add(Tensors.full(allocator, DType.F32, Device.CPU, comm.rank() + 1, spec.shape().toArray()));
          }
          group.reduceGradients(grads, 0.5);
          grads.forEach(Tensor::close);
          // every element of this rank's shard that holds a real row is 5; padding stays 0
          double[] g = group.gradient().toDoubleArray();
          for (double v : g) {
            assertTrue(v == 5.0 || v == 0.0, strategy + ": " + v);
          }
          return java.util.Arrays.stream(g).anyMatch(v -> v == 5.0) ? "ok" : "no rows";
        } finally {
          init.forEach(Tensor::close);
        }
      });
      for (Object r : results) {
        if (r instanceof Throwable t) {
          throw new AssertionError(strategy.toString(), t);
        }
      }
      assertTrue(results.contains("ok"), strategy + ": " + results);
    }
  }
}
