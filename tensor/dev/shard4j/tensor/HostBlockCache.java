package dev.shard4j.tensor;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.bindings.OutOfMemoryException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Freed host blocks kept for reuse by a caching root allocator, keyed by rounded size, so that a
 * training loop that allocates the same shapes every step stops paying for posix_memalign, for the
 * page faults of fresh large blocks and for their unmapping. Sizes up to 1 MiB round up to a
 * power of two (at least 64 bytes); larger ones to a multiple of 2 MiB, as PyTorch's caching
 * allocators do, so a reused block is never more than twice (small) or 2 MiB (large) too big.
 * Thread-safe: one lock, held only for a map lookup.
 */
final class HostBlockCache {
  static final long SMALL_LIMIT = 1L << 20;
  static final long LARGE_ROUNDING = 2L << 20;
  private static final long MIN_BLOCK = Storage.HOST_ALIGNMENT;

  private final Map<Long, ArrayDeque<Long>> idle = new HashMap<>();
  private long idleBytes;
  private boolean closed;

  /** The size of the block that serves a request of `bytes`. */
  static long blockSize(long bytes) {
    if (bytes <= MIN_BLOCK) {
      return MIN_BLOCK;
    }
    if (bytes <= SMALL_LIMIT) {
      return Long.highestOneBit(bytes - 1) << 1;
    }
    long rounded = (bytes + LARGE_ROUNDING - 1) / LARGE_ROUNDING * LARGE_ROUNDING;
    if (rounded < bytes) {
      throw new IllegalArgumentException("host allocation of " + bytes + " bytes overflows");
    }
    return rounded;
  }

  /** A block of {@code blockSize(bytes)} bytes: an idle one if there is one, else a new one. */
  long take(long bytes) {
    long size = blockSize(bytes);
    synchronized (this) {
      ArrayDeque<Long> blocks = idle.get(size);
      if (blocks != null && !blocks.isEmpty()) {
        idleBytes -= size;
        return blocks.pop();
      }
    }
    try {
      return NativeApi.hostAlloc(size, Storage.hostAlignment(size));
    } catch (OutOfMemoryException e) {
      // The idle blocks of other sizes may be what stands in the way: give them back and retry.
      empty();
      return NativeApi.hostAlloc(size, Storage.hostAlignment(size));
    }
  }

  /** Takes back a block from {@link #take}; after {@link #close()} it is freed instead. */
  void give(long address, long bytes) {
    long size = blockSize(bytes);
    synchronized (this) {
      if (!closed) {
        idle.computeIfAbsent(size, s -> new ArrayDeque<>()).push(address);
        idleBytes += size;
        return;
      }
    }
    NativeApi.hostFree(address);
  }

  /** Bytes held in idle blocks. */
  synchronized long idleBytes() {
    return idleBytes;
  }

  /** Frees every idle block. */
  void empty() {
    Map<Long, ArrayDeque<Long>> taken;
    synchronized (this) {
      taken = new HashMap<>(idle);
      idle.clear();
      idleBytes = 0;
    }
    for (ArrayDeque<Long> blocks : taken.values()) {
      for (long address : blocks) {
        NativeApi.hostFree(address);
      }
    }
  }

  /** Frees the idle blocks; blocks given back later are freed at once. */
  void close() {
    synchronized (this) {
      closed = true;
    }
    empty();
  }
}
