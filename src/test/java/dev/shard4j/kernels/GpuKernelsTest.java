package dev.shard4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.shard4j.bindings.Cuda;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Shape;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import dev.shard4j.testing.Reference;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The CUDA kernels against the CPU kernels (themselves checked against plain Java references):
 * bit for bit where the operation is exact or rounds alike (no fused multiply-adds on either side),
 * within a tolerance for GEMM.
 */
@Tag("gpu")
class GpuKernelsTest {
  private static final Device GPU = Device.cuda(0);
  private Allocator allocator;
  private final List<Tensor> open = new ArrayList<>();

  @BeforeEach
  void requireGpu() {
    assumeTrue(Cuda.available(), "no CUDA device: " + Cuda.probe().reason());
    allocator = Allocator.root("gpu-kernels-test");
  }

  @AfterEach
  void close() {
    open.forEach(Tensor::close);
    if (allocator != null) {
      assertEquals(0, allocator.allocatedBytes());
      allocator.close();
    }
  }

  private Tensor keep(Tensor t) {
    open.add(t);
    return t;
  }

  private Tensor random(Random r, DType dtype, long... shape) {
    return keep(Tensors.normal(allocator, dtype, Device.CPU, r.nextLong(), 0, 2, shape));
  }

  private Tensor onGpu(Tensor host) {
    return keep(host.to(GPU));
  }

  @Test
  void reluAndItsGradientMatchTheHost() {
    Random r = new Random(11);
    for (DType dtype : new DType[] {DType.F32, DType.F64, DType.F16, DType.BF16}) {
      long n = 100_003;
      Tensor x = random(r, dtype, n);
      Tensor g = random(r, dtype, n);
      Tensor y = keep(Tensors.empty(allocator, dtype, Device.CPU, n));
      Tensor dx = keep(Tensors.empty(allocator, dtype, Device.CPU, n));
      Relu.forward(x, y, null);
      Relu.backward(g, y, dx, null);
      Tensor xd = onGpu(x);
      Tensor gd = onGpu(g);
      Tensor yd = keep(Tensors.empty(allocator, dtype, GPU, n));
      Tensor dxd = keep(Tensors.empty(allocator, dtype, GPU, n));
      Relu.forward(xd, yd, null);
      Relu.backward(gd, yd, dxd, null);
      assertArrayEquals(bytes(y), bytes(yd), "relu " + dtype);
      assertArrayEquals(bytes(dx), bytes(dxd), "relu backward " + dtype);
    }
  }

  private static byte[] bytes(Tensor t) {
    ByteBuffer b = ByteBuffer.allocate((int) (t.numel() * t.dtype().byteSize()));
    t.copyTo(b);
    return b.array();
  }

  /** Builds the same computation on CPU and GPU tensors and compares every output bit for bit. */
  private void sameBits(String what, List<Tensor> hostOutputs, List<Tensor> gpuOutputs) {
    for (int i = 0; i < hostOutputs.size(); i++) {
      assertArrayEquals(bytes(hostOutputs.get(i)), bytes(gpuOutputs.get(i)), what + " output " + i);
    }
  }

  private List<Tensor> poisoned(List<long[]> shapes, Function<Integer, DType> dtype, Device device) {
    List<Tensor> out = new ArrayList<>();
    for (int i = 0; i < shapes.size(); i++) {
      out.add(keep(Tensors.full(allocator, dtype.apply(i), device, -1536, shapes.get(i))));
    }
    return out;
  }

  @Test
  void copyPlansMatchTheCpu() {
    Random r = new Random(4);
    for (int round = 0; round < 12; round++) {
      int world = 1 + r.nextInt(8);
      List<long[]> shapes = new ArrayList<>();
      List<Tensor> hostParams = new ArrayList<>();
      List<Tensor> gpuParams = new ArrayList<>();
      // Plans of one dtype pair run a kernel compiled for it; mixed plans dispatch per segment.
      DType common = r.nextBoolean() ? Reference.floatType(r) : null;
      for (int p = 0; p < 1 + r.nextInt(6); p++) {
        long[] shape = {1 + r.nextInt(300), 1 + r.nextInt(700)};
        shapes.add(shape);
        Tensor h = random(r, common != null ? common : Reference.floatType(r), shape);
        hostParams.add(h);
        gpuParams.add(onGpu(h));
      }
      List<Shape> s = shapes.stream().map(Shape::of).toList();
      long total = world * new ShardLayout(s, world).shardNumel();
      DType bufType = Reference.floatType(r);
      double scale = r.nextBoolean() ? 1.0 : 1.0 / world;
      Tensor hostBuf = keep(Tensors.full(allocator, bufType, Device.CPU, -1536, total));
      Tensor gpuBuf = keep(Tensors.full(allocator, bufType, GPU, -1536, total));
      try (CopyPlan h = ChunkCatKernel.plan(hostParams, world, hostBuf);
          CopyPlan g = ChunkCatKernel.plan(gpuParams, world, gpuBuf)) {
        h.run(scale, null);
        g.run(scale, null);
      }
      sameBits("chunk-cat", List.of(hostBuf), List.of(keep(gpuBuf.to(Device.CPU))));
      DType paramType = Reference.floatType(r);
      List<Tensor> hostOut = poisoned(shapes, i -> paramType, Device.CPU);
      List<Tensor> gpuOut = poisoned(shapes, i -> paramType, GPU);
      try (CopyPlan h = UnpackKernel.plan(hostBuf, world, hostOut);
          CopyPlan g = UnpackKernel.plan(gpuBuf, world, gpuOut)) {
        h.run();
        g.run();
      }
      sameBits("unpack", hostOut, gpuOut.stream().map(t -> keep(t.to(Device.CPU))).toList());
      Tensor hostFlat = keep(Tensors.full(allocator, bufType, Device.CPU, -1536, total + 7));
      Tensor gpuFlat = keep(Tensors.full(allocator, bufType, GPU, -1536, total + 7));
      List<Tensor> hostSources = hostParams.stream().filter(t -> t.dtype() != DType.F64).toList();
      List<Tensor> gpuSources = gpuParams.stream().filter(t -> t.dtype() != DType.F64).toList();
      try (CopyPlan h = PackKernel.plan(hostSources, hostFlat); CopyPlan g = PackKernel.plan(gpuSources, gpuFlat)) {
        h.run(scale, null);
        g.run(scale, null);
      }
      sameBits("pack", List.of(hostFlat), List.of(keep(gpuFlat.to(Device.CPU))));
    }
  }

  @Test
  void reduceAccumulateAndAdamWMatchTheCpu() {
    Random r = new Random(8);
    int n = 1_000_003;
    for (DType type : DType.values()) {
      List<Tensor> hostIn = new ArrayList<>();
      List<Tensor> gpuIn = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        Tensor h = keep(Tensors.uniform(allocator, type, Device.CPU, r.nextLong(), -50, 50, n));
        hostIn.add(h);
        gpuIn.add(onGpu(h));
      }
      for (ReduceOp op : ReduceOp.values()) {
        double pre = type.isFloatingPoint() && op == ReduceOp.SUM ? 0.25 : 1;
        double post = type.isFloatingPoint() && op == ReduceOp.SUM ? 0.2 : 1;
        Tensor h = keep(Tensors.zeros(allocator, type, Device.CPU, n));
        Tensor g = keep(Tensors.zeros(allocator, type, GPU, n));
        ReduceKernel.reduce(hostIn, h, op, pre, post, null);
        ReduceKernel.reduce(gpuIn, g, op, pre, post, null);
        sameBits("reduce " + type + " " + op, List.of(h), List.of(keep(g.to(Device.CPU))));
      }
      // Buffers that are not aligned for vector access take the element path.
      List<Tensor> hostOdd = hostIn.stream().map(t -> keep(t.narrow(0, 1, n - 1))).toList();
      List<Tensor> gpuOdd = gpuIn.stream().map(t -> keep(t.narrow(0, 1, n - 1))).toList();
      Tensor hOdd = keep(Tensors.zeros(allocator, type, Device.CPU, n - 1));
      Tensor gOdd = keep(Tensors.zeros(allocator, type, GPU, n - 1));
      ReduceKernel.reduce(hostOdd, hOdd, ReduceOp.SUM, 1, 1, null);
      ReduceKernel.reduce(gpuOdd, gOdd, ReduceOp.SUM, 1, 1, null);
      sameBits("reduce " + type + " unaligned", List.of(hOdd), List.of(keep(gOdd.to(Device.CPU))));
      if (type.isFloatingPoint()) {
        Tensor h = keep(Tensors.uniform(allocator, DType.F32, Device.CPU, 5, -1, 1, n));
        Tensor g = onGpu(h);
        AccumulateKernel.accumulate(h, hostIn.get(0), 0.125, null);
        AccumulateKernel.accumulate(g, gpuIn.get(0), 0.125, null);
        sameBits("accumulate " + type, List.of(h), List.of(keep(g.to(Device.CPU))));
        Tensor hOddSum = keep(h.narrow(0, 3, n - 3));
        Tensor gOddSum = keep(g.narrow(0, 3, n - 3));
        AccumulateKernel.accumulate(hOddSum, keep(hostOdd.get(1).narrow(0, 0, n - 3)), -0.5, null);
        AccumulateKernel.accumulate(gOddSum, keep(gpuOdd.get(1).narrow(0, 0, n - 3)), -0.5, null);
        sameBits("accumulate " + type + " unaligned", List.of(h), List.of(keep(g.to(Device.CPU))));
      }
    }
    Tensor p = random(r, DType.F32, n);
    Tensor grad = random(r, DType.BF16, n);
    Tensor m = keep(Tensors.zeros(allocator, DType.F32, Device.CPU, n));
    Tensor v = keep(Tensors.zeros(allocator, DType.F32, Device.CPU, n));
    Tensor copy = keep(Tensors.zeros(allocator, DType.BF16, Device.CPU, n));
    List<Tensor> host = List.of(p, grad, m, v, copy);
    List<Tensor> gpu = host.stream().map(this::onGpu).toList();
    AdamW adamw = new AdamW(1e-3, 0.9, 0.95, 1e-8, 0.1);
    for (int step = 1; step <= 3; step++) {
      adamw.step(host.get(0), host.get(1), host.get(2), host.get(3), host.get(4), step, 0.7, null);
      adamw.step(gpu.get(0), gpu.get(1), gpu.get(2), gpu.get(3), gpu.get(4), step, 0.7, null);
    }
    sameBits("adamw", host, gpu.stream().map(t -> keep(t.to(Device.CPU))).toList());
  }

  @Test
  void gemmMatchesTheCpu() {
    Random r = new Random(12);
    for (DType type : new DType[] {DType.F32, DType.F64, DType.BF16, DType.F16}) {
      Tensor a = random(r, type, 3, 65, 130);
      Tensor b = random(r, type, 3, 77, 130);
      Tensor hostOut = keep(Tensors.zeros(allocator, type, Device.CPU, 3, 65, 77));
      Tensor gpuOut = keep(Tensors.zeros(allocator, type, GPU, 3, 65, 77));
      Gemm.matmul(a, b, hostOut, false, true, 1.0, 0.0, null);
      Gemm.matmul(onGpu(a), onGpu(b), gpuOut, false, true, 1.0, 0.0, null);
      double[] expected = hostOut.toDoubleArray();
      double[] actual = keep(gpuOut.to(Device.CPU)).toDoubleArray();
      double tolerance = type == DType.F64 ? 1e-10 : type == DType.F32 ? 1e-3 : 0.25;
      for (int i = 0; i < expected.length; i++) {
        assertTrue(Math.abs(expected[i] - actual[i]) <= tolerance * (1 + Math.abs(expected[i])),
            type + " element " + i + ": " + actual[i] + " vs " + expected[i]);
      }
    }
  }
}
