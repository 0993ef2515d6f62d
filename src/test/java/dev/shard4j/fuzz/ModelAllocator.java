package dev.shard4j.fuzz;

import dev.shard4j.tensor.AllocationListener;
import dev.shard4j.tensor.Allocator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The model of one allocator, as its javadoc describes it: an allocation counts in the allocator
 * that makes it and in every ancestor, and is refused when any of their limits would be exceeded;
 * the peak is the highest count so far; its listener hears of its own allocations, releases and
 * refusals. Idle blocks of a caching tree are not modelled, only checked to vanish when emptied.
 */
final class ModelAllocator {
  /** Counts what an allocator's listener heard. */
  static final class CountingListener implements AllocationListener {
    final AtomicLong allocated = new AtomicLong();
    final AtomicLong released = new AtomicLong();
    final AtomicLong refused = new AtomicLong();

    @Override
    public void onAllocation(Allocator allocator, long bytes) {
      allocated.addAndGet(bytes);
    }

    @Override
    public void onRelease(Allocator allocator, long bytes) {
      released.addAndGet(bytes);
    }

    @Override
    public void onLimitExceeded(Allocator allocator, long bytes) {
      refused.incrementAndGet();
    }
  }

  final Allocator real;
  final String name;
  final ModelAllocator parent;
  final long limit;
  final boolean caching;
  final CountingListener listener;
  final List<ModelAllocator> children = new ArrayList<>();
  long current;
  long peak;
  /** Bytes of live storages allocated by this allocator itself. */
  long direct;
  int openStorages;
  long refusals;
  boolean closed;
  /**
   * Set after a call that may have taken one of several paths (an invalid call whose exception may
   * come before or after a temporary allocation): the next comparison re-reads the peak and the
   * refusals heard (the bytes held must still agree exactly).
   */
  boolean unsure;

  ModelAllocator(Allocator real, String name, ModelAllocator parent, long limit, boolean caching,
      CountingListener listener) {
    this.real = real;
    this.name = name;
    this.parent = parent;
    this.limit = limit;
    this.caching = caching;
    this.listener = listener;
  }

  /** The allocator of this tree whose limit an allocation of bytes would exceed, or null. */
  ModelAllocator refuser(long bytes) {
    for (ModelAllocator a = this; a != null; a = a.parent) {
      if (a.current + bytes > a.limit || a.current + bytes < 0) {
        return a;
      }
    }
    return null;
  }

  /** Counts an allocation that the model expects to succeed. */
  void reserve(long bytes) {
    for (ModelAllocator a = this; a != null; a = a.parent) {
      a.current += bytes;
      a.peak = Math.max(a.peak, a.current);
    }
    direct += bytes;
    openStorages++;
  }

  void release(long bytes) {
    for (ModelAllocator a = this; a != null; a = a.parent) {
      a.current -= bytes;
    }
    direct -= bytes;
    openStorages--;
  }

  /** Whether new tensors may come from it: open, and no ancestor closed under it. */
  boolean usable() {
    for (ModelAllocator a = this; a != null; a = a.parent) {
      if (a.closed) {
        return false;
      }
    }
    return true;
  }

  /**
   * Checks the real allocator against the model.
   *
   * @return null when they agree, else what differs
   */
  String compare() {
    long realCurrent = real.allocatedBytes();
    long realPeak = real.peakBytes();
    if (realCurrent != current) {
      return "allocator '" + name + "' holds " + realCurrent + " bytes, expected " + current;
    }
    if (unsure) {
      if (realPeak < peak) {
        return "allocator '" + name + "' peak went down from " + peak + " to " + realPeak;
      }
      peak = realPeak;
      if (listener != null) {
        refusals = listener.refused.get();
      }
      unsure = false;
    } else if (realPeak != peak) {
      return "allocator '" + name + "' peak is " + realPeak + " bytes, expected " + peak;
    }
    if (real.openStorageCount() != openStorages) {
      return "allocator '" + name + "' has " + real.openStorageCount() + " open storages, expected " + openStorages;
    }
    if (real.isClosed() != closed) {
      return "allocator '" + name + "' isClosed() is " + real.isClosed() + ", expected " + closed;
    }
    long cached = real.cachedBytes();
    if (cached < 0 || cached % 64 != 0 || (!caching && cached != 0)) {
      return "allocator '" + name + "' caches " + cached + " bytes";
    }
    if (listener != null) {
      long heard = listener.allocated.get() - listener.released.get();
      if (heard != direct || listener.refused.get() != refusals) {
        return "allocator '" + name + "' listener heard " + heard + " bytes held and " + listener.refused.get()
            + " refusals, expected " + direct + " and " + refusals;
      }
    }
    return null;
  }

  @Override
  public String toString() {
    return "'" + name + "'" + (limit == Long.MAX_VALUE ? "" : " (limit " + limit + ")") + (closed ? " closed" : "");
  }
}
