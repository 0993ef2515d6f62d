package dev.shard4j.tensor;

import dev.shard4j.bindings.Setting;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One block of memory shared by a tensor and its views, freed when the last of them closes.
 * Thread-safe: the reference count is atomic.
 */
final class Storage {
  /** Host memory alignment: a cache line, and enough for any vector load. */
  static final long HOST_ALIGNMENT = 64;
  /**
   * Alignment of host blocks of this size and more while SHARD4J_HUGE_PAGES is on: a huge page,
   * which also asks the kernel for transparent huge pages (s4j_host_alloc).
   */
  static final long HUGE_PAGE = 2L << 20;

  /** The alignment to ask s4j_host_alloc for, for a host block of this many bytes. */
  static long hostAlignment(long bytes) {
    return bytes >= HUGE_PAGE && Setting.HUGE_PAGES.asBoolean() ? HUGE_PAGE : HOST_ALIGNMENT;
  }

  final Allocator allocator;
  final Device device;
  final long address;
  final long bytes;
  /** What the memory was allocated for, for leak reports. */
  final DType dtype;
  final Shape shape;
  /** Where it was allocated, when SHARD4J_DEBUG=allocations; otherwise null. */
  final Throwable allocationSite;
  private final AtomicInteger references = new AtomicInteger(1);

  Storage(Allocator allocator, Device device, long address, long bytes, DType dtype, Shape shape,
      Throwable allocationSite) {
    this.allocator = allocator;
    this.device = device;
    this.address = address;
    this.bytes = bytes;
    this.dtype = dtype;
    this.shape = shape;
    this.allocationSite = allocationSite;
  }

  /** What a tensor's memory is, in reports; built only when one is written. */
  static String describe(DType dtype, Shape shape, Device device) {
    return "tensor " + dtype + shape + " on " + device;
  }

  String description() {
    return describe(dtype, shape, device);
  }

  /** Adds a reference for a new view; the storage must still be live. */
  void retain() {
    int r;
    do {
      r = references.get();
      if (r == 0) {
        throw new IllegalStateException("storage of " + description() + " is already freed");
      }
    } while (!references.compareAndSet(r, r + 1));
  }

  /** Drops a reference; the last one hands the memory back to the allocator. */
  void release() {
    if (references.decrementAndGet() == 0) {
      allocator.free(this);
    }
  }

  int references() {
    return references.get();
  }
}
