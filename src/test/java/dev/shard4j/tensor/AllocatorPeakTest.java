package dev.shard4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.shard4j.bindings.OutOfMemoryException;
import org.junit.jupiter.api.Test;

/** Peaks where the API fuzzer found them off: an allocation refused by an ancestor raised the child's. */
class AllocatorPeakTest {
  @Test
  void anAllocationAnAncestorRefusesLeavesEveryPeakAsItWas() {
    try (Allocator root = Allocator.root("peak-root", 1000, null)) {
      try (Allocator limited = root.newChild("peak-limited", 64);
          Allocator child = limited.newChild("peak-child", Long.MAX_VALUE)) {
        try (Tensor held = Tensors.zeros(child, DType.F32, Device.CPU, 5)) {
          assertThrows(OutOfMemoryException.class, () -> Tensors.zeros(child, DType.F32, Device.CPU, 20));
          assertEquals(20, child.peakBytes(), "the refused 80 bytes were never held");
          assertEquals(20, limited.peakBytes());
          assertEquals(20, root.peakBytes());
          assertEquals(held.numel() * 4, child.allocatedBytes());
        }
        try (Tensor more = Tensors.zeros(child, DType.F32, Device.CPU, 16)) {
          assertEquals(64, child.peakBytes(), "a granted allocation raises every peak");
          assertEquals(64, limited.peakBytes());
          assertEquals(64, root.peakBytes());
          assertEquals(more.numel() * 4, child.peakBytes());
        }
      }
    }
  }
}
