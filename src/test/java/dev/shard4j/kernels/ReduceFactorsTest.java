package dev.shard4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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

/**
 * ReduceKernel's premul and postmul on integer inputs, which the API fuzzer found truncated to
 * int64 by the native loop (0.5 became 0): refused, where float inputs take them.
 */
class ReduceFactorsTest {
  private final Allocator allocator = Allocator.root("reduce-factors");

  @AfterEach
  void close() {
    assertEquals(0, allocator.allocatedBytes());
    allocator.close();
  }

  @Test
  void integerInputsTakeNoFactors() {
    for (DType dtype : new DType[] {DType.I8, DType.U8, DType.I32, DType.I64}) {
      try (Tensor a = Tensors.fromArray(allocator, new long[] {2, 4, 6}, dtype, Device.CPU, 3);
          Tensor out = Tensors.zeros(allocator, DType.F32, Device.CPU, 3)) {
        for (double[] factors : new double[][] {{0.5, 1}, {1, 0.25}, {2, 1}}) {
          IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
              () -> ReduceKernel.reduce(List.of(a, a), out, ReduceOp.SUM, factors[0], factors[1], null));
          assertTrue(e.getMessage().contains("integer inputs"), e.getMessage());
        }
        assertArrayEquals(new float[] {0, 0, 0}, out.toFloatArray(), "a refused call writes nothing");
        ReduceKernel.reduce(List.of(a, a), out, ReduceOp.SUM, 1, 1, null);
        assertArrayEquals(new float[] {4, 8, 12}, out.toFloatArray(), dtype.toString());
      }
    }
  }

  @Test
  void floatInputsTakeThem() {
    try (Tensor a = Tensors.fromArray(allocator, new double[] {2, 4, 6}, DType.BF16, Device.CPU, 3);
        Tensor out = Tensors.zeros(allocator, DType.F32, Device.CPU, 3)) {
      ReduceKernel.reduce(List.of(a, a), out, ReduceOp.SUM, 0.5, 0.25, null);
      assertArrayEquals(new float[] {0.5f, 1, 1.5f}, out.toFloatArray());
    }
  }
}
