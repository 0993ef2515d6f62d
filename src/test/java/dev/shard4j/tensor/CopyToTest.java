package dev.shard4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Tensor.copyTo where the API fuzzer found it failing: tensors without elements. */
class CopyToTest {
  private final Allocator allocator = Allocator.root("copy-to-test");

  @AfterEach
  void close() {
    assertEquals(0, allocator.allocatedBytes());
    allocator.close();
  }

  @Test
  void anEmptyTensorWritesNothingAnywhereInTheBuffer() {
    for (boolean direct : new boolean[] {false, true}) {
      for (int position : new int[] {0, 5, 8}) {
        try (Tensor empty = Tensors.zeros(allocator, DType.F64, Device.CPU, 20, 0);
            Tensor base = Tensors.zeros(allocator, DType.F32, Device.CPU, 0, 3);
            Tensor strided = base.transpose(0, 1)) {
          ByteBuffer b = (direct ? ByteBuffer.allocateDirect(8) : ByteBuffer.allocate(8)).order(ByteOrder.nativeOrder());
          for (int i = 0; i < 8; i++) {
            b.put(i, (byte) 0x5A);
          }
          b.position(position);
          empty.copyTo(b); // threw BufferOverflowException with bytes remaining
          strided.copyTo(b);
          assertEquals(position, b.position(), "position " + position + (direct ? ", direct" : ", heap"));
          byte[] all = new byte[8];
          b.get(0, all);
          byte[] untouched = new byte[8];
          Arrays.fill(untouched, (byte) 0x5A);
          assertArrayEquals(untouched, all);
        }
      }
    }
  }
}
