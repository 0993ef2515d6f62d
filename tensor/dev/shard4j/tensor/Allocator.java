package dev.shard4j.tensor;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.bindings.OutOfMemoryException;
import dev.shard4j.bindings.Setting;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Accounts for tensor memory, in the style of Apache Arrow's allocators: a tree of named
 * allocators, each with the bytes it holds now, its peak, and a limit. An allocation is counted in
 * the allocator that makes it and in all its ancestors, and is refused with an
 * {@link OutOfMemoryException} if any of their limits would be exceeded.
 *
 * <p>Closing an allocator that still has open tensors or open children throws an
 * {@link IllegalStateException} that names them; the memory stays valid for the tensors that hold
 * it. Host and device memory are both counted (a child per device keeps them apart).
 *
 * <p>A {@linkplain #caching caching} root keeps the host blocks its tensors free and hands them
 * out again for the same rounded size, in the tree below it; accounting counts the tensors'
 * bytes either way, and {@link #cachedBytes()} tells what idle blocks hold. Device memory comes
 * from the device's stream-ordered pool, which caches by itself ({@link Device#emptyCache()}).
 * Thread-safe. The creator owns an allocator and closes it.
 */
public final class Allocator implements AutoCloseable {
  private final String name;
  private final Allocator parent;
  private final long limit;
  private final AllocationListener listener;
  /** The root's cache of idle host blocks, shared by its descendants; null when not caching. */
  private final HostBlockCache cache;
  private final Set<Storage> open = ConcurrentHashMap.newKeySet();
  private final Set<Allocator> children = ConcurrentHashMap.newKeySet();
  private long allocated;
  private long peak;
  private boolean closed;

  private Allocator(String name, Allocator parent, long limit, AllocationListener listener,
      HostBlockCache cache) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("allocator name must not be blank");
    }
    if (limit < 0) {
      throw new IllegalArgumentException("allocator '" + name + "' limit must be >= 0, got " + limit);
    }
    this.name = name;
    this.parent = parent;
    this.limit = limit;
    this.listener = listener == null ? new AllocationListener() {} : listener;
    this.cache = cache;
  }

  /**
   * A root allocator without a limit.
   *
   * @param name shown in reports and errors
   * @return the allocator, owned by the caller
   */
  public static Allocator root(String name) {
    return new Allocator(name, null, Long.MAX_VALUE, null, null);
  }

  /**
   * A root allocator.
   *
   * @param name shown in reports and errors
   * @param limit most bytes it may hold at once
   * @param listener told of allocations, releases and refusals; may be null
   * @return the allocator, owned by the caller
   */
  public static Allocator root(String name, long limit, AllocationListener listener) {
    return new Allocator(name, null, limit, listener, null);
  }

  /**
   * A root allocator without a limit that keeps freed host blocks for reuse.
   *
   * @param name shown in reports and errors
   * @return the allocator, owned by the caller; closing it frees the idle blocks
   */
  public static Allocator caching(String name) {
    return caching(name, Long.MAX_VALUE, null);
  }

  /**
   * A root allocator that keeps freed host blocks for reuse. Its limit counts the bytes of open
   * tensors, not the idle blocks.
   *
   * @param name shown in reports and errors
   * @param limit most bytes its tensors may hold at once
   * @param listener told of allocations, releases and refusals; may be null
   * @return the allocator, owned by the caller; closing it frees the idle blocks
   */
  public static Allocator caching(String name, long limit, AllocationListener listener) {
    return new Allocator(name, null, limit, listener, new HostBlockCache());
  }

  /**
   * A child allocator whose allocations also count against this one.
   *
   * @param childName shown in reports and errors
   * @param childLimit most bytes the child may hold at once
   * @return the child, owned by the caller, who closes it before this one
   */
  public Allocator newChild(String childName, long childLimit) {
    return newChild(childName, childLimit, null);
  }

  /**
   * A child allocator with a listener.
   *
   * @param childName shown in reports and errors
   * @param childLimit most bytes the child may hold at once
   * @param childListener told of the child's allocations; may be null
   * @return the child, owned by the caller, who closes it before this one
   */
  public Allocator newChild(String childName, long childLimit, AllocationListener childListener) {
    synchronized (this) {
      requireOpen();
      Allocator child = new Allocator(childName, this, childLimit, childListener, cache);
      children.add(child);
      return child;
    }
  }

  /**
   * The name given at creation.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * The parent.
   *
   * @return the parent, or null for a root
   */
  public Allocator parent() {
    return parent;
  }

  /**
   * Most bytes this allocator may hold at once.
   *
   * @return the limit (Long.MAX_VALUE for none)
   */
  public long limit() {
    return limit;
  }

  /**
   * Bytes held now by this allocator and its descendants.
   *
   * @return the current total
   */
  public synchronized long allocatedBytes() {
    return allocated;
  }

  /**
   * The highest {@link #allocatedBytes()} so far.
   *
   * @return the peak
   */
  public synchronized long peakBytes() {
    return peak;
  }

  /**
   * Tensor storages allocated directly from this allocator and not yet freed.
   *
   * @return their count
   */
  public int openStorageCount() {
    return open.size();
  }

  /**
   * Bytes in idle host blocks that the caching root of this tree keeps for reuse.
   *
   * @return the idle bytes, 0 when the tree does not cache
   */
  public long cachedBytes() {
    return cache == null ? 0 : cache.idleBytes();
  }

  /** Frees the idle host blocks of this tree's cache, if it has one. */
  public void emptyCache() {
    if (cache != null) {
      cache.empty();
    }
  }

  /**
   * Whether {@link #close()} has been called.
   *
   * @return true once closed
   */
  public synchronized boolean isClosed() {
    return closed;
  }

  /** Allocates native memory on a device for a tensor, counted here; the caller wraps it. */
  Storage allocate(Device device, long bytes, DType dtype, Shape shape) {
    device.requireAvailable();
    reserve(bytes, dtype, shape, device);
    long address;
    try {
      address = device.isCuda()
          ? NativeApi.deviceAlloc(device.index(), bytes, 0)
          : cache != null ? cache.take(bytes) : NativeApi.hostAlloc(bytes, Storage.hostAlignment(bytes));
    } catch (RuntimeException e) {
      unreserve(bytes);
      throw e;
    }
    Throwable site = Setting.DEBUG.has("allocations") ? new Throwable("allocated here") : null;
    Storage storage = new Storage(this, device, address, bytes, dtype, shape, site);
    open.add(storage);
    return storage;
  }

  /** Called by a storage when its last reference goes: frees or caches the memory. */
  void free(Storage storage) {
    // Device memory is freed in order on the default stream, after the work queued there.
    if (storage.device.isCuda()) {
      NativeApi.deviceFree(storage.device.index(), storage.address, 0);
    } else if (cache != null) {
      cache.give(storage.address, storage.bytes);
    } else {
      NativeApi.hostFree(storage.address);
    }
    if (open.remove(storage)) {
      unreserve(storage.bytes);
    }
  }

  private void reserve(long bytes, DType dtype, Shape shape, Device device) {
    Allocator refused = null;
    int levels = 0;
    for (Allocator a = this; a != null; a = a.parent) {
      levels++;
    }
    // The peaks take the counts reached only once every level has taken the bytes: an allocation
    // that an ancestor refuses never happened, so it must not raise the peak below that ancestor.
    long[] reached = new long[levels];
    int level = 0;
    for (Allocator a = this; a != null; a = a.parent, level++) {
      synchronized (a) {
        if (a == this) {
          requireOpen();
        }
        if (a.allocated + bytes > a.limit || a.allocated + bytes < 0) {
          refused = a;
          break;
        }
        a.allocated += bytes;
        reached[level] = a.allocated;
      }
    }
    if (refused != null) {
      for (Allocator b = this; b != refused; b = b.parent) {
        synchronized (b) {
          b.allocated -= bytes;
        }
      }
      long held;
      synchronized (refused) {
        held = refused.allocated;
      }
      listener.onLimitExceeded(this, bytes);
      throw new OutOfMemoryException("allocator '" + refused.name + "' cannot take " + bytes
          + " bytes for " + Storage.describe(dtype, shape, device) + ": it holds " + held + " of its limit of "
          + refused.limit + " bytes");
    }
    level = 0;
    for (Allocator a = this; a != null; a = a.parent, level++) {
      synchronized (a) {
        a.peak = Math.max(a.peak, reached[level]);
      }
    }
    listener.onAllocation(this, bytes);
  }

  private void unreserve(long bytes) {
    for (Allocator a = this; a != null; a = a.parent) {
      synchronized (a) {
        a.allocated -= bytes;
      }
    }
    listener.onRelease(this, bytes);
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("allocator '" + name + "' is closed");
    }
  }

  /**
   * Closes the allocator. Idempotent.
   *
   * @throws IllegalStateException naming every open tensor storage and open child, if any; the
   *     allocator is closed all the same and its tensors stay valid until they are closed
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    if (parent != null) {
      parent.children.remove(this);
    } else if (cache != null) {
      cache.close();
    }
    String leaks = leakReport();
    if (!leaks.isEmpty()) {
      throw new IllegalStateException(leaks);
    }
  }

  /**
   * What is still open in this allocator and its children, one line each, or "" if nothing.
   *
   * @return the report
   */
  public String leakReport() {
    List<String> lines = new ArrayList<>();
    for (Storage s : open) {
      StringBuilder line = new StringBuilder("  ").append(s.description()).append(": ").append(s.bytes)
          .append(" bytes, ").append(s.references()).append(" open reference(s)");
      if (s.allocationSite != null) {
        for (StackTraceElement e : s.allocationSite.getStackTrace()) {
          line.append("\n      at ").append(e);
        }
      }
      lines.add(line.toString());
    }
    for (Allocator child : children) {
      lines.add("  child allocator '" + child.name + "' is open, holding " + child.allocatedBytes()
          + " bytes");
    }
    if (lines.isEmpty()) {
      return "";
    }
    return "allocator '" + name + "' closed with " + open.size() + " open tensor storage(s) and "
        + children.size() + " open child allocator(s), " + allocatedBytes() + " bytes held:\n"
        + String.join("\n", lines);
  }

  @Override
  public String toString() {
    return "Allocator[" + name + ", " + allocatedBytes() + " bytes, peak " + peakBytes()
        + (limit == Long.MAX_VALUE ? "" : ", limit " + limit) + "]";
  }
}
