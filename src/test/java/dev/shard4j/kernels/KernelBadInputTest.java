package dev.shard4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad layouts and arguments are refused before native code runs, and leak nothing. */
class KernelBadInputTest {
  private final Allocator allocator = Allocator.root("kernel-bad-input");

  @AfterEach
  void close() {
    assertEquals(0, allocator.allocatedBytes(), "refused calls hold nothing");
    allocator.close();
  }

  private static void refused(String fragment, Executable call) {
    Throwable e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
  }

  @Test
  void packLayouts() {
    try (Tensor a = Tensors.zeros(allocator, DType.F32, Device.CPU, 10);
        Tensor b = Tensors.zeros(allocator, DType.BF16, Device.CPU, 10);
        Tensor i = Tensors.zeros(allocator, DType.I32, Device.CPU, 10);
        Tensor flat = Tensors.zeros(allocator, DType.BF16, Device.CPU, 25);
        Tensor strided = flat.slice(0, 0, 25, 2)) {
      refused("destinations of segments 0 and 1 overlap",
          () -> PackKernel.plan(List.of(a, b), flat, new long[] {0, 9}));
      refused("out of range", () -> PackKernel.plan(List.of(a, b), flat, new long[] {0, 16}));
      refused("out of range", () -> PackKernel.plan(List.of(a), flat, new long[] {-1}));
      refused("2 sources but 1 offsets", () -> PackKernel.plan(List.of(a, b), flat, new long[] {0}));
      refused("sources[0] has dtype I32", () -> PackKernel.plan(List.of(i), flat));
      refused("flat must be contiguous", () -> PackKernel.plan(List.of(a), strided));
      try (Tensor part = flat.narrow(0, 0, 10)) {
        refused("source of segment 0 overlaps", () -> PackKernel.plan(List.of(part), flat, new long[] {5}));
      }
    }
  }

  @Test
  void unpackAndChunkCatSizes() {
    try (Tensor p = Tensors.zeros(allocator, DType.F32, Device.CPU, 5, 3);
        Tensor gathered = Tensors.zeros(allocator, DType.F32, Device.CPU, 17)) {
      refused("gathered has 17 elements, expected 18", () -> UnpackKernel.plan(gathered, 2, List.of(p)));
      refused("out has 17 elements, expected 18", () -> ChunkCatKernel.plan(List.of(p), 2, gathered));
      refused("worldSize must be >= 1", () -> ChunkCatKernel.plan(List.of(p), 0, gathered));
    }
  }

  @Test
  void reduceAccumulateAndAdamW() {
    try (Tensor a = Tensors.zeros(allocator, DType.F32, Device.CPU, 8);
        Tensor b = Tensors.zeros(allocator, DType.F32, Device.CPU, 9);
        Tensor h = Tensors.zeros(allocator, DType.BF16, Device.CPU, 8);
        Tensor big = Tensors.zeros(allocator, DType.F32, Device.CPU, 16);
        Tensor left = big.narrow(0, 0, 8);
        Tensor right = big.narrow(0, 4, 8)) {
      refused("inputs[1] has 9 elements, expected 8", () -> ReduceKernel.sum(List.of(a, b), a));
      refused("inputs[1] has dtype BF16", () -> ReduceKernel.sum(List.of(a, h), a));
      refused("inputs is empty", () -> ReduceKernel.sum(List.of(), a));
      refused("partially overlaps", () -> ReduceKernel.sum(List.of(left), right));
      refused("src has 9 elements", () -> AccumulateKernel.accumulate(a, b, 1, null));
      refused("partially overlaps", () -> AccumulateKernel.accumulate(left, right, 1, null));
      AdamW adamw = AdamW.defaults();
      refused("grad has 9 elements", () -> adamw.step(a, b, left, right, null, 1, 1, null));
      refused("param has dtype BF16", () -> adamw.step(h, a, left, right, null, 1, 1, null));
      refused("must not overlap", () -> adamw.step(a, h, left, right, null, 1, 1, null));
      try (Tensor m = Tensors.zeros(allocator, DType.F32, Device.CPU, 8);
          Tensor v = Tensors.zeros(allocator, DType.F32, Device.CPU, 8)) {
        refused("step counts from 1", () -> adamw.step(a, h, m, v, null, 0, 1, null));
      }
      refused("betas in [0, 1)", () -> new AdamW(1e-3, 1.0, 0.999, 1e-8, 0));
    }
  }

  @Test
  void gemmShapes() {
    try (Tensor a = Tensors.zeros(allocator, DType.F32, Device.CPU, 3, 4);
        Tensor b = Tensors.zeros(allocator, DType.F32, Device.CPU, 5, 6);
        Tensor out = Tensors.zeros(allocator, DType.F32, Device.CPU, 3, 6);
        Tensor i = Tensors.zeros(allocator, DType.I32, Device.CPU, 4, 6)) {
      refused("shapes do not multiply", () -> Gemm.matmul(a, b, out, false, false, 1, 0, null));
      refused("a has dtype I32", () -> Gemm.matmul(i, i, out, false, false, 1, 0, null));
      try (Tensor row = a.select(0, 0)) {
        refused("2-D or 3-D", () -> Gemm.matmul(row, b, out, false, false, 1, 0, null));
      }
    }
  }

  @Test
  void reluArguments() {
    try (Tensor a = Tensors.zeros(allocator, DType.F32, Device.CPU, 6);
        Tensor b = Tensors.zeros(allocator, DType.BF16, Device.CPU, 6);
        Tensor c = Tensors.zeros(allocator, DType.F32, Device.CPU, 7);
        Tensor i = Tensors.zeros(allocator, DType.I32, Device.CPU, 6);
        Tensor m = Tensors.zeros(allocator, DType.F32, Device.CPU, 4, 6)) {
      refused("out is BF16", () -> Relu.forward(a, b, null));
      refused("out has shape", () -> Relu.forward(a, c, null));
      refused("in has dtype I32", () -> Relu.forward(i, i, null));
      try (Tensor t = m.transpose(0, 1)) {
        refused("in must be contiguous", () -> Relu.forward(t, t, null));
      }
      try (Tensor rows01 = m.narrow(0, 0, 2); Tensor rows12 = m.narrow(0, 1, 2);
          Tensor x = rows01.reshape(12); Tensor y = rows12.reshape(12)) {
        refused("out partially overlaps in", () -> Relu.forward(x, y, null));
      }
      try (Tensor row0 = m.narrow(0, 0, 1); Tensor row1 = m.narrow(0, 1, 1);
          Tensor g = row0.reshape(6); Tensor out = row1.reshape(6)) {
        refused("gradIn overlaps out", () -> Relu.backward(g, out, out, null));
      }
      a.close();
      assertThrows(IllegalStateException.class, () -> Relu.forward(a, a, null));
    }
  }
}
