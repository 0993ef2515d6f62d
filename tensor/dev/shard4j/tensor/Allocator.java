package dev.shard4j.tensor;

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
 * Thread-safe. The creator owns an allocator and closes it.
 */
public final class Allocator implements AutoCloseable {
  private final String name;
  private final Allocator parent;
  private final long limit;
  private final AllocationListener listener;
  private final Set<Storage> open = ConcurrentHashMap.newKeySet();
  private final Set<Allocator> children = ConcurrentHashMap.newKeySet();
  private long allocated;
  private long peak;
  private boolean closed;

  private Allocator(String name, Allocator parent, long limit, AllocationListener listener) {
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
  }

  /**
   * A root allocator without a limit.
   *
   * @param name shown in reports and errors
   * @return the allocator, owned by the caller
   */
  public static Allocator root(String name) {
    return new Allocator(name, null, Long.MAX_VALUE, null);
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
    return new Allocator(name, null, limit, listener);
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
      Allocator child = new Allocator(childName, this, childLimit, childListener);
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
   * Whether {@link #close()} has been called.
   *
   * @return true once closed
   */
  public synchronized boolean isClosed() {
    return closed;
  }

  /** Allocates native memory on a device, counted here; the caller wraps it in a tensor. */
  Storage allocate(Device device, long bytes, String description) {
    device.requireAvailable();
    reserve(bytes, description);
    long address;
    try {
      address = Storage.allocateNative(device, bytes);
    } catch (RuntimeException e) {
      unreserve(bytes);
      throw e;
    }
    Throwable site = Setting.DEBUG.has("allocations") ? new Throwable("allocated here") : null;
    Storage storage = new Storage(this, device, address, bytes, description, site);
    open.add(storage);
    return storage;
  }

  /** Called by a storage once its memory is freed. */
  void release(Storage storage) {
    if (open.remove(storage)) {
      unreserve(storage.bytes);
    }
  }

  private void reserve(long bytes, String description) {
    Allocator refused = null;
    Allocator a = this;
    for (; a != null; a = a.parent) {
      synchronized (a) {
        if (a == this) {
          requireOpen();
        }
        if (a.allocated + bytes > a.limit || a.allocated + bytes < 0) {
          refused = a;
          break;
        }
        a.allocated += bytes;
        a.peak = Math.max(a.peak, a.allocated);
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
          + " bytes for " + description + ": it holds " + held + " of its limit of "
          + refused.limit + " bytes");
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
      StringBuilder line = new StringBuilder("  ").append(s.description).append(": ").append(s.bytes)
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
