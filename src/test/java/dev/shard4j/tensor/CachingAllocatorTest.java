package dev.shard4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shard4j.bindings.OutOfMemoryException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CachingAllocatorTest {

  @Test
  void blockSizesRoundUpToPowersOfTwoThenToTwoMebibytes() {
    assertEquals(64, HostBlockCache.blockSize(0));
    assertEquals(64, HostBlockCache.blockSize(1));
    assertEquals(64, HostBlockCache.blockSize(64));
    assertEquals(128, HostBlockCache.blockSize(65));
    assertEquals(4096, HostBlockCache.blockSize(4000));
    assertEquals(1 << 20, HostBlockCache.blockSize((1 << 20) - 3));
    assertEquals(1 << 20, HostBlockCache.blockSize(1 << 20));
    assertEquals(2 << 20, HostBlockCache.blockSize((1 << 20) + 1));
    assertEquals(4 << 20, HostBlockCache.blockSize((2 << 20) + 1));
    assertEquals(66 << 20, HostBlockCache.blockSize(65L << 20));
    assertThrows(IllegalArgumentException.class, () -> HostBlockCache.blockSize(Long.MAX_VALUE - 5));
  }

  @Test
  void aFreedBlockServesTheNextTensorOfItsSizeClass() {
    try (Allocator a = Allocator.caching("cache")) {
      Tensor first = Tensors.full(a, DType.F32, Device.CPU, 1.25, 1000);
      long address = first.dataAddress();
      first.close();
      assertEquals(0, a.allocatedBytes(), "accounting counts open tensors only");
      assertEquals(4096, a.cachedBytes());
      // 1000 bytes round up to 1024, another class than the 4096 of 1000 floats.
      try (Tensor small = Tensors.empty(a, DType.I8, Device.CPU, 1000)) {
        assertNotEquals(address, small.dataAddress(), "another size class takes a new block");
      }
      try (Tensor again = Tensors.full(a, DType.F32, Device.CPU, -7.5, 999)) {
        assertEquals(address, again.dataAddress(), "same class: the idle block comes back");
        assertEquals(3996, a.allocatedBytes());
        float[] expected = new float[999];
        Arrays.fill(expected, -7.5f);
        assertArrayEquals(expected, again.toFloatArray(), "reused memory holds the new values");
      }
      assertEquals(4096 + 1024, a.cachedBytes());
      a.emptyCache();
      assertEquals(0, a.cachedBytes());
    }
  }

  @Test
  void childrenShareTheRootsCacheAndKeepTheirOwnAccounts() {
    try (Allocator root = Allocator.caching("job", 10_000, null)) {
      long address;
      try (Allocator rank0 = root.newChild("rank0", 5000)) {
        Tensor t = Tensors.empty(rank0, DType.F32, Device.CPU, 1000);
        address = t.dataAddress();
        assertEquals(4000, rank0.allocatedBytes());
        t.close();
      }
      try (Allocator rank1 = root.newChild("rank1", 5000);
          Tensor t = Tensors.empty(rank1, DType.F32, Device.CPU, 1000)) {
        assertEquals(address, t.dataAddress());
        assertEquals(4000, root.allocatedBytes());
        assertEquals(0, root.cachedBytes());
        // Limits count tensors, not idle blocks.
        assertThrows(OutOfMemoryException.class, () -> Tensors.empty(rank1, DType.F32, Device.CPU, 300));
      }
    }
  }

  @Test
  void viewsKeepTheBlockOutOfTheCacheUntilTheLastCloses() {
    try (Allocator a = Allocator.caching("views")) {
      Tensor t = Tensors.full(a, DType.F32, Device.CPU, 3.0, 100);
      long address = t.dataAddress();
      Tensor v = t.narrow(0, 10, 5);
      t.close();
      assertEquals(0, a.cachedBytes());
      try (Tensor other = Tensors.empty(a, DType.F32, Device.CPU, 100)) {
        assertNotEquals(address, other.dataAddress(), "a block still viewed is not handed out");
        other.fill(4.0);
        assertArrayEquals(new float[] {3, 3, 3, 3, 3}, v.toFloatArray());
      }
      assertEquals(512, a.cachedBytes());
      v.close();
      assertEquals(2 * 512, a.cachedBytes());
    }
  }

  @Test
  void closingTheRootFreesIdleBlocksAndLaterFreesBypassTheCache() {
    Allocator a = Allocator.caching("closing");
    Tensors.empty(a, DType.F32, Device.CPU, 64).close();
    Tensor leaked = Tensors.empty(a, DType.F32, Device.CPU, 32);
    IllegalStateException e = assertThrows(IllegalStateException.class, a::close);
    assertTrue(e.getMessage().contains("tensor F32[32] on cpu: 128 bytes"), e.getMessage());
    assertEquals(0, a.cachedBytes(), "idle blocks are freed at close");
    leaked.close();
    assertEquals(0, a.cachedBytes(), "a block freed after close goes back to the system");
    assertEquals(0, a.allocatedBytes());
  }

  @Test
  void threadsTakingAndGivingNeverShareABlock() throws Exception {
    try (Allocator a = Allocator.caching("threads")) {
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<Set<Long>>> results = new ArrayList<>();
        for (int thread = 0; thread < 4; thread++) {
          int id = thread;
          results.add(pool.submit(() -> {
            Set<Long> seen = new HashSet<>();
            for (int i = 0; i < 2000; i++) {
              try (Tensor t = Tensors.full(a, DType.I32, Device.CPU, id, 16 + (i % 3) * 16)) {
                seen.add(t.dataAddress());
                for (int v : t.toIntArray()) {
                  assertEquals(id, v, "no other thread wrote into this block while it was ours");
                }
              }
            }
            return seen;
          }));
        }
        for (Future<Set<Long>> r : results) {
          assertTrue(r.get(60, TimeUnit.SECONDS).size() <= 12, "blocks are reused, not leaked");
        }
      } finally {
        pool.shutdownNow();
      }
      assertEquals(0, a.allocatedBytes());
    }
  }

}
