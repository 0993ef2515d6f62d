package dev.shard4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shard4j.bindings.CudaUnavailableException;
import dev.shard4j.bindings.OutOfMemoryException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Every bad call is a clear Java exception before native code runs, and leaves nothing behind. */
class BadInputTest {
  private final Allocator allocator = Allocator.root("bad-input-test", 1 << 20, null);

  @AfterEach
  void close() {
    assertEquals(0, allocator.allocatedBytes(), "failed calls leak nothing");
    allocator.close();
  }

  private static void assertMessage(Class<? extends Throwable> type, String fragment, Executable call) {
    Throwable e = assertThrows(type, call);
    assertTrue(e.getMessage() != null && e.getMessage().contains(fragment),
        "expected '" + fragment + "' in: " + e.getMessage());
  }

  @Test
  void badShapes() {
    assertMessage(IllegalArgumentException.class, "dimension 1 is negative",
        () -> Tensors.empty(allocator, DType.F32, Device.CPU, 3, -4));
    assertMessage(IllegalArgumentException.class, "at most 8",
        () -> Tensors.empty(allocator, DType.F32, Device.CPU, 1, 1, 1, 1, 1, 1, 1, 1, 1));
    assertMessage(IllegalArgumentException.class, "more than 2^63 elements",
        () -> Tensors.empty(allocator, DType.F32, Device.CPU, 1L << 40, 1L << 40));
    assertMessage(IllegalArgumentException.class, "needs more than 2^63 bytes",
        () -> Tensors.empty(allocator, DType.F64, Device.CPU, 1L << 31, 1L << 31));
    assertMessage(IllegalArgumentException.class, "needs 6 values, got 5",
        () -> Tensors.fromArray(allocator, new float[5], DType.F32, Device.CPU, 2, 3));
  }

  @Test
  void nullArgumentsAreNamed() {
    assertMessage(NullPointerException.class, "allocator",
        () -> Tensors.empty(null, DType.F32, Device.CPU, 1));
    assertMessage(NullPointerException.class, "dtype",
        () -> Tensors.empty(allocator, null, Device.CPU, 1));
    assertMessage(NullPointerException.class, "device",
        () -> Tensors.empty(allocator, DType.F32, null, 1));
    try (Tensor t = Tensors.zeros(allocator, DType.F32, Device.CPU, 2)) {
      assertMessage(NullPointerException.class, "src", () -> t.copyFrom(null));
    }
  }

  @Test
  void outOfRangeViews() {
    try (Tensor t = Tensors.zeros(allocator, DType.F32, Device.CPU, 4, 5)) {
      assertMessage(IllegalArgumentException.class, "out of range for dim 1 of size 5",
          () -> t.narrow(1, 3, 3));
      assertMessage(IllegalArgumentException.class, "out of range", () -> t.narrow(0, -1, 2));
      assertMessage(IllegalArgumentException.class, "dim 2 out of range", () -> t.select(2, 0));
      assertMessage(IllegalArgumentException.class, "index 4 out of range", () -> t.select(0, 4));
      assertMessage(IllegalArgumentException.class, "step must be positive", () -> t.slice(0, 0, 4, 0));
      assertMessage(IllegalArgumentException.class, "has 21 elements", () -> t.view(3, 7));
      assertMessage(IllegalArgumentException.class, "cannot hold", () -> t.view(3, -1));
      assertMessage(IllegalArgumentException.class, "chunks must be positive", () -> t.chunk(0, 0));
      try (Tensor tr = t.transpose(0, 1)) {
        assertMessage(IllegalArgumentException.class, "use reshape()", () -> tr.view(20));
      }
    }
  }

  @Test
  void mismatchedCopiesAndDtypes() {
    try (Tensor a = Tensors.zeros(allocator, DType.F32, Device.CPU, 4, 5);
        Tensor b = Tensors.zeros(allocator, DType.F32, Device.CPU, 5, 4)) {
      assertMessage(IllegalArgumentException.class, "differ in shape", () -> a.copyFrom(b));
      assertMessage(IllegalArgumentException.class, "not F32", a::toShortArray);
      assertMessage(IllegalArgumentException.class, "not F32", a::toByteArray);
      assertMessage(IllegalArgumentException.class, "not F32",
          () -> Tensors.fromBits(allocator, new short[1], DType.F32, Device.CPU, 1));
      assertMessage(IllegalArgumentException.class, "needs 80",
          () -> a.copyTo(ByteBuffer.allocate(79)));
      try (Tensor left = a.narrow(1, 0, 3); Tensor right = a.narrow(1, 2, 3)) {
        assertMessage(IllegalArgumentException.class, "overlap", () -> left.copyFrom(right));
      }
    }
  }

  @Test
  void closedTensorsRefuseEveryUse() {
    Tensor t = Tensors.zeros(allocator, DType.F32, Device.CPU, 3);
    Tensor other = Tensors.zeros(allocator, DType.F32, Device.CPU, 3);
    t.close();
    for (Executable call : new Executable[] {t::toFloatArray, () -> t.narrow(0, 0, 1),
        () -> t.fill(1.0), () -> t.copyFrom(other), () -> other.copyFrom(t), t::dataAddress,
        () -> t.cast(DType.F16), t::contiguous}) {
      assertMessage(IllegalStateException.class, "is closed", call);
    }
    other.close();
  }

  @Test
  void allocationsOverTheLimit() {
    assertMessage(OutOfMemoryException.class, "limit of 1048576",
        () -> Tensors.empty(allocator, DType.F64, Device.CPU, 1 << 18));
  }

  @Test
  void missingCudaDevicesAreAClearError() {
    org.junit.jupiter.api.Assumptions.assumeFalse(dev.shard4j.bindings.Cuda.available(),
        "a CUDA device is present");
    assertMessage(CudaUnavailableException.class, "cuda:0 is not available",
        () -> Tensors.zeros(allocator, DType.F32, Device.cuda(0), 3));
    assertMessage(CudaUnavailableException.class, "cuda:0 is not available",
        () -> Stream.create(Device.cuda(0)));
    assertMessage(IllegalArgumentException.class, "must be >= 0", () -> Device.cuda(-1));
    assertMessage(IllegalArgumentException.class, "is not cpu, cuda or cuda:N", () -> Device.parse("gpu"));
  }

  @Test
  void randomFactoriesCheckTheirParameters() {
    assertMessage(IllegalArgumentException.class, "low < high",
        () -> Tensors.uniform(allocator, DType.F32, Device.CPU, 1, 2, 1, 3));
    assertMessage(IllegalArgumentException.class, "std >= 0",
        () -> Tensors.normal(allocator, DType.F32, Device.CPU, 1, 0, -1, 3));
    assertMessage(IllegalArgumentException.class, "arange",
        () -> Tensors.arange(allocator, DType.F32, Device.CPU, -1));
  }
}
