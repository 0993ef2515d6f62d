package dev.shard4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every build of the host loops this CPU runs (base, AVX2, AVX-512) computes the same bits: the
 * other tests exercise only the widest one.
 */
class InstructionSetsTest {
  private final Allocator allocator = Allocator.root("isa-test");

  @AfterEach
  void close() {
    NativeApi.useCpuIsa("auto");
    allocator.close();
  }

  private List<String> supported() {
    List<String> isas = new ArrayList<>();
    for (String isa : new String[] {"base", "avx2", "avx512"}) {
      try {
        NativeApi.useCpuIsa(isa);
        isas.add(isa);
      } catch (IllegalArgumentException e) {
        // not built in or not supported by this CPU
      }
    }
    NativeApi.useCpuIsa("auto");
    return isas;
  }

  /** Runs every kernel family on fixed random data and returns all outputs' raw bytes. */
  private byte[] runAll() {
    int n = 70_001;
    List<Tensor> open = new ArrayList<>();
    try {
      Tensor f32 = keep(open, Tensors.normal(allocator, DType.F32, Device.CPU, 1, 0, 3, n));
      Tensor bf16 = keep(open, Tensors.normal(allocator, DType.BF16, Device.CPU, 2, 0, 3, n));
      Tensor f16 = keep(open, Tensors.normal(allocator, DType.F16, Device.CPU, 3, 0, 3, n));
      Tensor f64 = keep(open, Tensors.normal(allocator, DType.F64, Device.CPU, 4, 0, 3e-3, n));
      List<Tensor> outs = new ArrayList<>();
      for (DType to : new DType[] {DType.F32, DType.BF16, DType.F16, DType.F64}) {
        for (Tensor from : new Tensor[] {f32, bf16, f16, f64}) {
          Tensor out = keep(open, Tensors.zeros(allocator, to, Device.CPU, n));
          if (from.dtype() == DType.F64) {
            try (CopyPlan plan = ChunkCatKernel.plan(List.of(from), 1, out)) {
              plan.run(0.37, null);
            }
          } else {
            try (CopyPlan plan = PackKernel.plan(List.of(from), out)) {
              plan.run(to == DType.F16 ? 1.0 : 1.7, null);
            }
          }
          outs.add(out);
          Tensor sum = keep(open, Tensors.zeros(allocator, to, Device.CPU, n));
          ReduceKernel.reduce(List.of(from, from, from), sum, ReduceOp.SUM, 1, 1.0 / 3, null);
          outs.add(sum);
          Tensor max = keep(open, Tensors.zeros(allocator, to, Device.CPU, n));
          ReduceKernel.reduce(List.of(from, from), max, ReduceOp.MAX, 0.5, 1, null);
          outs.add(max);
          Tensor acc = keep(open, Tensors.uniform(allocator, to, Device.CPU, 9, -1, 1, n));
          AccumulateKernel.accumulate(acc, from, -0.3, null);
          outs.add(acc);
        }
      }
      // Plans writing more than 8 MiB take streaming stores, as wide as each build has them.
      Tensor big1 = keep(open, Tensors.normal(allocator, DType.F32, Device.CPU, 5, 0, 3, 2_500_001));
      Tensor big2 = keep(open, Tensors.normal(allocator, DType.BF16, Device.CPU, 6, 0, 3, 2_000_003));
      Tensor packed = keep(open, Tensors.zeros(allocator, DType.BF16, Device.CPU, 4_500_004));
      try (CopyPlan plan = PackKernel.plan(List.of(big1, big2), packed)) {
        plan.run(0.75, null);
      }
      outs.add(packed);
      Tensor copied = keep(open, Tensors.zeros(allocator, DType.F32, Device.CPU, 2_500_001));
      try (CopyPlan plan = PackKernel.plan(List.of(big1), copied)) {
        plan.run();
      }
      outs.add(copied);
      Tensor param = keep(open, f32.copy());
      Tensor m = keep(open, Tensors.zeros(allocator, DType.F32, Device.CPU, n));
      Tensor v = keep(open, Tensors.zeros(allocator, DType.F32, Device.CPU, n));
      Tensor copy = keep(open, Tensors.zeros(allocator, DType.F16, Device.CPU, n));
      AdamW adamw = new AdamW(1e-2, 0.9, 0.99, 1e-8, 0.1);
      adamw.step(param, bf16, m, v, copy, 1, 1, null);
      adamw.step(param, f32, m, v, copy, 2, 0.5, null);
      outs.addAll(List.of(param, m, v, copy));
      // GELU: the polynomial tanh in each build's vectors, in place as the model runs it.
      Tensor gelu = keep(open, Tensors.empty(allocator, DType.F32, Device.CPU, n));
      Gelu.forward(f32, gelu, null);
      Tensor geluGrad = keep(open, f32.copy());
      Gelu.backward(geluGrad, gelu, geluGrad, null);
      outs.addAll(List.of(gelu, geluGrad));
      long bytes = outs.stream().mapToLong(t -> t.numel() * t.dtype().byteSize()).sum();
      ByteBuffer all = ByteBuffer.allocate((int) bytes);
      outs.forEach(t -> t.copyTo(all));
      return all.array();
    } finally {
      open.forEach(Tensor::close);
    }
  }

  private static Tensor keep(List<Tensor> open, Tensor t) {
    open.add(t);
    return t;
  }

  @Test
  void everyBuildComputesTheSameBits() {
    List<String> isas = supported();
    NativeApi.useCpuIsa("base");
    assertEquals("base", NativeApi.cpuIsa());
    byte[] reference = runAll();
    for (String isa : isas) {
      NativeApi.useCpuIsa(isa);
      assertEquals(isa, NativeApi.cpuIsa());
      assertArrayEquals(reference, runAll(), isa + " differs from base");
    }
  }

  @Test
  void unknownBuildsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> NativeApi.useCpuIsa("sse9"));
  }
}
