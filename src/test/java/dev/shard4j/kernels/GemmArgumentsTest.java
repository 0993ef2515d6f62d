package dev.shard4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Gemm's arguments where the API fuzzer found them mishandled. */
class GemmArgumentsTest {
  private final Allocator allocator = Allocator.root("gemm-arguments");

  @AfterEach
  void close() {
    assertEquals(0, allocator.allocatedBytes());
    allocator.close();
  }

  @Test
  void aStreamOfAnotherDeviceIsRefusedOnTheCpuToo() {
    try (Tensor a = Tensors.full(allocator, DType.F32, Device.CPU, 1, 2, 3);
        Tensor b = Tensors.full(allocator, DType.F32, Device.CPU, 1, 3, 2);
        Tensor out = Tensors.zeros(allocator, DType.F32, Device.CPU, 2, 2);
        Tensor none = Tensors.zeros(allocator, DType.F32, Device.CPU, 0, 2)) {
      Stream cuda = Stream.defaultStream(Device.cuda(0));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Gemm.matmul(a, b, out, false, false, 1, 0, cuda));
      assertTrue(e.getMessage().contains("stream is on cuda:0"), e.getMessage());
      // also when there is nothing to compute
      try (Tensor a0 = Tensors.zeros(allocator, DType.F32, Device.CPU, 0, 3)) {
        assertThrows(IllegalArgumentException.class, () -> Gemm.matmul(a0, b, none, false, false, 1, 0, cuda));
      }
      Gemm.matmul(a, b, out, false, false, 1, 0, Stream.defaultStream(Device.CPU));
      assertArrayEquals(new float[] {3, 3, 3, 3}, out.toFloatArray());
    }
  }
}
