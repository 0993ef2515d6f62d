package dev.shard4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shard4j.bindings.OutOfMemoryException;
import dev.shard4j.bindings.Setting;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AllocatorTest {

  /**
   * Host blocks of 2 MiB and more start on a huge page (which also asks for transparent huge
   * pages), cached or not; smaller ones on a cache line; SHARD4J_HUGE_PAGES=false turns it off.
   */
  @Test
  void largeHostBlocksStartOnAHugePage() {
    assertEquals(2L << 20, Storage.hostAlignment(2L << 20));
    assertEquals(64, Storage.hostAlignment((2L << 20) - 1));
    for (Allocator allocator : new Allocator[] {Allocator.root("plain"), Allocator.caching("cached")}) {
      try (allocator;
          Tensor big = Tensors.zeros(allocator, DType.F32, Device.CPU, (3L << 20) / 4 + 7);
          Tensor small = Tensors.zeros(allocator, DType.F32, Device.CPU, 1001)) {
        assertEquals(0, big.dataAddress() % (2L << 20), allocator.name());
        assertEquals(0, small.dataAddress() % 64, allocator.name());
      }
    }
    System.setProperty(Setting.HUGE_PAGES.key(), "false");
    try {
      assertEquals(64, Storage.hostAlignment(8L << 20));
    } finally {
      System.clearProperty(Setting.HUGE_PAGES.key());
    }
  }

  @Test
  void accountsCurrentAndPeakAcrossChildren() {
    try (Allocator root = Allocator.root("root")) {
      try (Allocator rank0 = root.newChild("rank0", 1 << 20)) {
        Tensor a = Tensors.empty(rank0, DType.F32, Device.CPU, 100);
        Tensor b = Tensors.empty(rank0, DType.BF16, Device.CPU, 10, 10);
        assertEquals(600, rank0.allocatedBytes());
        assertEquals(600, root.allocatedBytes());
        a.close();
        assertEquals(200, rank0.allocatedBytes());
        assertEquals(600, rank0.peakBytes());
        assertEquals(600, root.peakBytes());
        b.close();
        assertEquals(0, root.allocatedBytes());
      }
    }
  }

  @Test
  void limitsRefuseWithAClearMessage() {
    List<String> events = new ArrayList<>();
    AllocationListener listener = new AllocationListener() {
      @Override
      public void onAllocation(Allocator allocator, long bytes) {
        events.add("alloc " + bytes);
      }

      @Override
      public void onRelease(Allocator allocator, long bytes) {
        events.add("release " + bytes);
      }

      @Override
      public void onLimitExceeded(Allocator allocator, long bytes) {
        events.add("refused " + bytes);
      }
    };
    try (Allocator root = Allocator.root("job", 1000, null);
        Allocator child = root.newChild("layer1", 10_000, listener)) {
      try (Tensor t = Tensors.empty(child, DType.F32, Device.CPU, 200)) {
        OutOfMemoryException e = assertThrows(OutOfMemoryException.class,
            () -> Tensors.empty(child, DType.F32, Device.CPU, 51));
        assertTrue(e.getMessage().contains("'job'"), e.getMessage());
        assertTrue(e.getMessage().contains("204 bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("limit of 1000"), e.getMessage());
        assertEquals(800, child.allocatedBytes(), "a refused allocation leaves no trace");
        assertEquals(800, root.allocatedBytes());
      }
      assertEquals(List.of("alloc 800", "refused 204", "release 800"), events);
    }
  }

  @Test
  void viewsKeepTheStorageAliveUntilTheLastCloses() {
    try (Allocator a = Allocator.root("views")) {
      Tensor t = Tensors.arange(a, DType.F32, Device.CPU, 10);
      Tensor v = t.narrow(0, 2, 3);
      t.close();
      t.close(); // idempotent
      assertEquals(40, a.allocatedBytes());
      assertArrayEquals(new float[] {2, 3, 4}, v.toFloatArray());
      v.close();
      assertEquals(0, a.allocatedBytes());
    }
  }

  @Test
  void closingWithOpenTensorsNamesThem() {
    Allocator root = Allocator.root("trainer");
    Allocator child = root.newChild("rank3", Long.MAX_VALUE);
    Tensor leaked = Tensors.zeros(child, DType.BF16, Device.CPU, 4, 8);
    IllegalStateException e = assertThrows(IllegalStateException.class, child::close);
    assertTrue(e.getMessage().contains("'rank3'"), e.getMessage());
    assertTrue(e.getMessage().contains("tensor BF16[4, 8] on cpu: 64 bytes"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> Tensors.zeros(child, DType.F32, Device.CPU, 1),
        "a closed allocator allocates nothing");
    // The leaked tensor stays valid, and closing it settles the accounts.
    assertEquals(32, leaked.toShortArray().length);
    leaked.close();
    assertEquals(0, root.allocatedBytes());
    root.close();
  }

  @Test
  void closingWithOpenChildrenNamesThem() {
    Allocator root = Allocator.root("parent");
    Allocator child = root.newChild("forgotten", 100);
    IllegalStateException e = assertThrows(IllegalStateException.class, root::close);
    assertTrue(e.getMessage().contains("child allocator 'forgotten'"), e.getMessage());
    child.close();
  }

  @Test
  void debugAllocationsRecordsWhereLeaksCameFrom() {
    System.setProperty(Setting.DEBUG.key(), "allocations");
    Allocator a = Allocator.root("debug");
    try {
      Tensor t = Tensors.empty(a, DType.I8, Device.CPU, 3);
      IllegalStateException e = assertThrows(IllegalStateException.class, a::close);
      assertTrue(e.getMessage().contains("at dev.shard4j.tensor.AllocatorTest.debugAllocations"),
          e.getMessage());
      t.close();
    } finally {
      System.clearProperty(Setting.DEBUG.key());
    }
  }

  @Test
  void leakTrackingReportsTensorsCollectedWithoutClose() throws InterruptedException {
    System.setProperty(Setting.LEAK_TRACKING.key(), "true");
    LeakTracking.clearReported();
    try (Allocator a = Allocator.root("tracked")) {
      Tensor closed = Tensors.empty(a, DType.F32, Device.CPU, 5);
      closed.close();
      dropUnclosedTensor(a);
      long deadline = System.nanoTime() + 20_000_000_000L;
      while (LeakTracking.reported().isEmpty() && System.nanoTime() < deadline) {
        System.gc();
        Thread.sleep(20);
      }
      assertEquals(List.of("tensor I32[7] on cpu was garbage-collected without close()"),
          LeakTracking.reported());
      // Only reported, never freed: the allocator still holds the memory.
      assertEquals(28, a.allocatedBytes());
      assertThrows(IllegalStateException.class, a::close);
    } finally {
      System.clearProperty(Setting.LEAK_TRACKING.key());
    }
  }

  private static void dropUnclosedTensor(Allocator a) {
    Tensors.empty(a, DType.I32, Device.CPU, 7);
  }
}
