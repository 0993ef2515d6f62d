package dev.shard4j.cli;

import dev.shard4j.kernels.AccumulateKernel;
import dev.shard4j.kernels.AdamW;
import dev.shard4j.kernels.ChunkCatKernel;
import dev.shard4j.kernels.Gemm;
import dev.shard4j.kernels.CopyPlan;
import dev.shard4j.kernels.PackKernel;
import dev.shard4j.kernels.ReduceKernel;
import dev.shard4j.kernels.ReduceOp;
import dev.shard4j.kernels.UnpackKernel;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Event;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Runs each fused kernel on buffers far larger than the caches and reports bytes per second,
 * counting the minimal bytes (each input read once, each output written once), next to a plain
 * copy's bandwidth measured in the same run: the ceiling the kernels are held to.
 */
final class KernelBenchmarks implements AutoCloseable {
  /** One measured kernel. */
  /** One measured kernel; tflops is NaN but for GEMM. */
  record Result(String name, long bytes, double medianSeconds, double gbPerSecond, double ofCopy, double tflops) {}

  /** A kernel under test: runs once per call, moving {@code bytes} (and doing {@code flops}). */
  private record Case(String name, long bytes, double flops, Runnable run) {
    Case(String name, long bytes, Runnable run) {
      this(name, bytes, 0, run);
    }
  }

  private final Device device;
  private final long elements;
  private final int repeats;
  private final Allocator allocator = Allocator.root("bench");
  private final List<AutoCloseable> resources = new ArrayList<>();
  private final Random random = new Random(1);

  KernelBenchmarks(Device device, long elements, int repeats) {
    this.device = device;
    this.elements = elements;
    this.repeats = repeats;
  }

  private Tensor tensor(DType dtype, long n) {
    Tensor t = Tensors.uniform(allocator, dtype, device, random.nextLong(), -1, 1, n);
    resources.add(t);
    return t;
  }

  private <T extends AutoCloseable> T keep(T resource) {
    resources.add(resource);
    return resource;
  }

  /** Parameter-like sizes: a few hundred tensors of odd sizes adding up to about total elements. */
  private List<Tensor> shards(DType dtype, long total) {
    List<Tensor> list = new ArrayList<>();
    long left = total;
    while (left > 0) {
      long n = Math.min(left, 1 + random.nextInt((int) Math.max(2, total / 64)));
      list.add(tensor(dtype, n));
      left -= n;
    }
    return list;
  }

  List<Result> run() {
    long n = elements;
    int world = 8;
    List<Case> cases = new ArrayList<>();

    Tensor copySrc = tensor(DType.F32, n);
    Tensor copyDst = tensor(DType.F32, n);
    CopyPlan copy = keep(PackKernel.plan(List.of(copySrc), copyDst));
    Case ceiling = new Case("copy f32 (ceiling)", copy.bytesMoved(), copy::run);

    List<Tensor> f32Shards = shards(DType.F32, n);
    Tensor packed = tensor(DType.BF16, n);
    CopyPlan pack = keep(PackKernel.plan(f32Shards, packed));
    cases.add(new Case("pack f32->bf16 (" + f32Shards.size() + " tensors)", pack.bytesMoved(), pack::run));

    List<Tensor> bf16Shards = shards(DType.BF16, n);
    CopyPlan packSame = keep(PackKernel.plan(bf16Shards, packed));
    cases.add(new Case("pack bf16->bf16 (" + bf16Shards.size() + " tensors)", packSame.bytesMoved(), packSame::run));

    List<Tensor> params = new ArrayList<>();
    List<Tensor> params32 = new ArrayList<>();
    long perParam = n / 16;
    for (int p = 0; p < 16; p++) {
      long rows = 1000 + random.nextInt(3000);
      long cols = Math.max(1, perParam / rows);
      params.add(keep(Tensors.empty(allocator, DType.BF16, device, rows, cols)));
      params32.add(keep(Tensors.empty(allocator, DType.F32, device, rows, cols)));
    }
    long shardNumel = new dev.shard4j.kernels.ShardLayout(
        params.stream().map(Tensor::shape).toList(), world).shardNumel();
    Tensor gathered = tensor(DType.BF16, world * shardNumel);
    CopyPlan unpack = keep(UnpackKernel.plan(gathered, world, params));
    cases.add(new Case("unpack bf16->bf16 (world 8)", unpack.bytesMoved(), unpack::run));
    CopyPlan unpack32 = keep(UnpackKernel.plan(gathered, world, params32));
    cases.add(new Case("unpack bf16->f32 (world 8)", unpack32.bytesMoved(), unpack32::run));

    Tensor rsInput = tensor(DType.BF16, world * shardNumel);
    CopyPlan chunkCat = keep(ChunkCatKernel.plan(params32, world, rsInput));
    cases.add(new Case("chunk-cat f32->bf16 x1/8 (world 8)", chunkCat.bytesMoved(), () -> chunkCat.run(0.125, null)));

    for (DType type : new DType[] {DType.F32, DType.BF16}) {
      List<Tensor> inputs = List.of(tensor(type, n / 2), tensor(type, n / 2), tensor(type, n / 2), tensor(type, n / 2));
      Tensor sum = tensor(type, n / 2);
      long bytes = 5L * (n / 2) * type.byteSize();
      cases.add(new Case("reduce 4x " + type.name().toLowerCase() + " sum", bytes,
          () -> ReduceKernel.reduce(inputs, sum, ReduceOp.SUM, 1, 1, null)));
    }

    Tensor gradShard = tensor(DType.F32, n);
    Tensor reduced = tensor(DType.BF16, n);
    cases.add(new Case("accumulate f32 += bf16", 10L * n,
        () -> AccumulateKernel.accumulate(gradShard, reduced, 0.5, null)));

    long m = n / 2;
    Tensor param = tensor(DType.F32, m);
    Tensor grad = tensor(DType.F32, m);
    Tensor expAvg = tensor(DType.F32, m);
    Tensor expAvgSq = keep(Tensors.full(allocator, DType.F32, device, 0.01, m));
    Tensor copyOut = tensor(DType.BF16, m);
    AdamW adamw = new AdamW(1e-4, 0.9, 0.999, 1e-8, 0.01);
    long[] step = {0};
    cases.add(new Case("adamw f32 + bf16 copy", 30L * m,
        () -> adamw.step(param, grad, expAvg, expAvgSq, copyOut, ++step[0], 1.0, null)));

    // GEMM is bound by arithmetic, not memory: its figure is TFLOP/s (bf16 on a GPU, fp32 here).
    int side = device.isCuda() ? 8192 : 1024;
    DType gemmType = device.isCuda() ? DType.BF16 : DType.F32;
    Tensor ga = keep(Tensors.uniform(allocator, gemmType, device, random.nextLong(), -1, 1, side, side));
    Tensor gb = keep(Tensors.uniform(allocator, gemmType, device, random.nextLong(), -1, 1, side, side));
    Tensor gc = keep(Tensors.empty(allocator, gemmType, device, side, side));
    cases.add(new Case("gemm " + gemmType.name().toLowerCase() + " " + side + "^3", 3L * side * side * gemmType.byteSize(),
        2.0 * side * side * side, () -> Gemm.matmul(ga, gb, gc, false, false, 1, 0, null)));

    // The machine is shared and its bandwidth drifts: each kernel's runs alternate with runs of
    // the copy, and each kernel is compared with the copy timed beside it.
    List<Result> results = new ArrayList<>();
    List<Double> ceilingSamples = new ArrayList<>();
    for (Case c : cases) {
      double[][] seconds = timeAlternating(ceiling, c);
      double copySeconds = median(seconds[0]);
      for (double x : seconds[0]) {
        ceilingSamples.add(x);
      }
      double s = median(seconds[1]);
      double gbps = c.bytes / s / 1e9;
      results.add(new Result(c.name, c.bytes, s, gbps, gbps / (ceiling.bytes / copySeconds / 1e9),
          c.flops > 0 ? c.flops / s / 1e12 : Double.NaN));
    }
    double copySeconds = median(ceilingSamples.stream().mapToDouble(Double::doubleValue).toArray());
    results.add(0, new Result(ceiling.name, ceiling.bytes, copySeconds, ceiling.bytes / copySeconds / 1e9, 1.0,
        Double.NaN));
    return results;
  }

  /** Seconds of repeated runs of a and b, alternating, after two warm-ups of each. */
  private double[][] timeAlternating(Case a, Case b) {
    double[][] seconds = new double[2][repeats];
    for (int w = 0; w < 2; w++) {
      a.run.run();
      b.run.run();
    }
    Stream.defaultStream(device).synchronize();
    for (int i = 0; i < repeats; i++) {
      seconds[0][i] = time(a);
      seconds[1][i] = time(b);
    }
    return seconds;
  }

  /** One run's seconds: device time from events on a GPU, wall time on the CPU. */
  private double time(Case c) {
    if (!device.isCuda()) {
      long t0 = System.nanoTime();
      c.run.run();
      return (System.nanoTime() - t0) / 1e9;
    }
    Stream stream = Stream.defaultStream(device);
    try (Event start = Event.create(device, true); Event end = Event.create(device, true)) {
      start.record(stream);
      c.run.run();
      end.record(stream);
      end.synchronize();
      return Event.elapsedMillis(start, end) / 1e3;
    }
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  @Override
  public void close() {
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
    allocator.close();
  }
}
