package dev.shard4j.tensor;

import dev.shard4j.bindings.NativeApi;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One block of memory shared by a tensor and its views, freed when the last of them closes.
 * Thread-safe: the reference count is atomic.
 */
final class Storage {
  /** Host memory alignment: a cache line, and enough for any vector load. */
  static final long HOST_ALIGNMENT = 64;

  final Allocator allocator;
  final Device device;
  final long address;
  final long bytes;
  /** What the memory was first allocated for, for leak reports. */
  final String description;
  /** Where it was allocated, when SHARD4J_DEBUG=allocations; otherwise null. */
  final Throwable allocationSite;
  private final AtomicInteger references = new AtomicInteger(1);

  Storage(Allocator allocator, Device device, long address, long bytes, String description,
      Throwable allocationSite) {
    this.allocator = allocator;
    this.device = device;
    this.address = address;
    this.bytes = bytes;
    this.description = description;
    this.allocationSite = allocationSite;
  }

  static long allocateNative(Device device, long bytes) {
    return device.isCuda()
        ? NativeApi.deviceAlloc(device.index(), bytes, 0)
        : NativeApi.hostAlloc(bytes, HOST_ALIGNMENT);
  }

  /** Adds a reference for a new view; the storage must still be live. */
  void retain() {
    int r;
    do {
      r = references.get();
      if (r == 0) {
        throw new IllegalStateException("storage of " + description + " is already freed");
      }
    } while (!references.compareAndSet(r, r + 1));
  }

  /** Drops a reference; the last one frees the memory and returns it to the allocator. */
  void release() {
    if (references.decrementAndGet() == 0) {
      // Device memory is freed on the default stream, in order after the work queued there.
      if (device.isCuda()) {
        NativeApi.deviceFree(device.index(), address, 0);
      } else {
        NativeApi.hostFree(address);
      }
      allocator.release(this);
    }
  }

  int references() {
    return references.get();
  }
}
