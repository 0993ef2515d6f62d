package dev.shard4j.jmh;

import dev.shard4j.kernels.AccumulateKernel;
import dev.shard4j.kernels.AdamW;
import dev.shard4j.kernels.ChunkCatKernel;
import dev.shard4j.kernels.CopyPlan;
import dev.shard4j.kernels.PackKernel;
import dev.shard4j.kernels.ReduceKernel;
import dev.shard4j.kernels.ReduceOp;
import dev.shard4j.kernels.ShardLayout;
import dev.shard4j.kernels.UnpackKernel;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Each fused kernel of the sharded-training hot path at a small, a cache-sized and a large size
 * (elements of the main buffer: 16 KiB, 1 MiB and 64 MiB of fp32), with a plain fp32 copy of the
 * same elements as the ceiling. The secondary result {@code bytes} is the kernel's bandwidth:
 * each input read once and each output written once. On a GPU ({@code -p device=cuda:0}) every
 * run waits for the device, so small sizes measure launch and wait.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class KernelBenchmark {
  private static final int WORLD = 8;

  /** The kernel. */
  @Param({"copy", "pack", "unpack", "chunkcat", "reduce", "accumulate", "adamw"})
  public String kernel;

  /** Elements of the main buffer. */
  @Param({"4096", "262144", "16777216"})
  public long elements;

  /** cpu or cuda:N. */
  @Param({"cpu"})
  public String device;

  private Device where;
  private Allocator allocator;
  private final Deque<AutoCloseable> owned = new ArrayDeque<>();
  private Runnable run;
  private long bytesPerRun;
  private long seed = 1;

  /** Builds the kernel's inputs (random values) and its plan. */
  @Setup
  public void setUp() {
    where = Device.parse(device);
    allocator = Allocator.root("jmh-kernels");
    long n = elements;
    switch (kernel) {
      case "copy" -> plan(PackKernel.plan(List.of(random(DType.F32, n)), random(DType.F32, n)), 1);
      case "pack" -> plan(PackKernel.plan(pieces(DType.F32, n), random(DType.BF16, n)), 1);
      case "unpack" -> {
        List<Tensor> params = pieces(DType.F32, n);
        plan(UnpackKernel.plan(random(DType.BF16, WORLD * shardNumel(params)), WORLD, params), 1);
      }
      case "chunkcat" -> {
        List<Tensor> grads = pieces(DType.F32, n);
        plan(ChunkCatKernel.plan(grads, WORLD, random(DType.BF16, WORLD * shardNumel(grads))), 1.0 / WORLD);
      }
      case "reduce" -> {
        List<Tensor> inputs = List.of(random(DType.F32, n), random(DType.F32, n), random(DType.F32, n),
            random(DType.F32, n));
        Tensor sum = random(DType.F32, n);
        run = () -> ReduceKernel.reduce(inputs, sum, ReduceOp.SUM, 1, 1, null);
        bytesPerRun = 5 * 4 * n;
      }
      case "accumulate" -> {
        Tensor shard = random(DType.F32, n);
        Tensor reduced = random(DType.BF16, n);
        run = () -> AccumulateKernel.accumulate(shard, reduced, 0.5, null);
        bytesPerRun = (4 + 2 + 4) * n;
      }
      case "adamw" -> {
        Tensor param = random(DType.F32, n);
        Tensor grad = random(DType.F32, n);
        Tensor expAvg = random(DType.F32, n);
        Tensor expAvgSq = own(Tensors.full(allocator, DType.F32, where, 0.01, n));
        Tensor copy = random(DType.BF16, n);
        AdamW adamw = new AdamW(1e-4, 0.9, 0.999, 1e-8, 0.01);
        long[] step = {0};
        run = () -> adamw.step(param, grad, expAvg, expAvgSq, copy, ++step[0], 1.0, null);
        // Reads param, grad and both moments; writes param, both moments and the bf16 copy.
        bytesPerRun = (4 * 4 + 3 * 4 + 2) * n;
      }
      default -> throw new IllegalArgumentException("unknown kernel '" + kernel + "'");
    }
  }

  /** Frees every tensor and plan. */
  @TearDown
  public void tearDown() {
    while (!owned.isEmpty()) {
      try {
        owned.pop().close();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
    allocator.close();
  }

  /**
   * One run of the kernel.
   *
   * @param traffic counts the bytes moved
   */
  @Benchmark
  public void run(Traffic traffic) {
    run.run();
    if (where.isCuda()) {
      Stream.defaultStream(where).synchronize();
    }
    traffic.add(1, bytesPerRun);
  }

  private void plan(CopyPlan plan, double scale) {
    own(plan);
    run = () -> plan.run(scale, null);
    bytesPerRun = plan.bytesMoved();
  }

  private <T extends AutoCloseable> T own(T resource) {
    owned.push(resource);
    return resource;
  }

  private Tensor random(DType dtype, long n) {
    return own(Tensors.uniform(allocator, dtype, where, seed++, -1, 1, n));
  }

  /** Eight parameter-like tensors of odd sizes adding up to n elements. */
  private List<Tensor> pieces(DType dtype, long n) {
    List<Tensor> list = new ArrayList<>();
    long left = n;
    for (int i = 0; i < 7; i++) {
      long size = n / 8 - 7 + 2 * i;
      list.add(random(dtype, size));
      left -= size;
    }
    list.add(random(dtype, left));
    return list;
  }

  private static long shardNumel(List<Tensor> params) {
    return new ShardLayout(params.stream().map(Tensor::shape).toList(), WORLD).shardNumel();
  }
}
