package dev.shard4j.fuzz;

import dev.shard4j.bindings.HostMemory;
import dev.shard4j.tensor.DType;

/**
 * The model of one tensor storage: its elements as raw bits ({@link Elements}), the allocator it
 * is counted in, and how many references keep it alive (open tensors over it, plans and
 * collectives holding it). A storage whose contents came from {@code Tensors.empty} is tainted:
 * its values are whatever the memory held, so the fuzzer's choices never depend on them (a run
 * stays a function of its seed).
 */
final class ModelStorage {
  final int id;
  final DType dtype;
  final long[] raw;
  final ModelAllocator allocator;
  /** The address of element 0, while the storage lives. */
  final long base;
  int references = 1;
  boolean tainted;

  ModelStorage(int id, DType dtype, long[] raw, ModelAllocator allocator, long base) {
    this.id = id;
    this.dtype = dtype;
    this.raw = raw;
    this.allocator = allocator;
    this.base = base;
  }

  long bytes() {
    return (long) raw.length * dtype.byteSize();
  }

  boolean alive() {
    return references > 0;
  }

  /** The storage's elements as they are in memory now; only while it is alive. */
  long[] readMemory() {
    int size = dtype.byteSize();
    byte[] bytes = new byte[raw.length * size];
    if (bytes.length > 0) {
      HostMemory.get(base, bytes, 0, bytes.length);
    }
    long[] out = new long[raw.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = Elements.read(dtype, bytes, i * size);
    }
    return out;
  }

  /**
   * Compares memory with the model, every element (so a write outside a view shows too).
   *
   * @return null when equal, else what differs
   */
  String compareWithMemory() {
    long[] actual = readMemory();
    for (int i = 0; i < raw.length; i++) {
      if (!Elements.same(dtype, raw[i], actual[i])) {
        return "storage s" + id + " (" + dtype + " x " + raw.length + ") element " + i + " is "
            + Elements.show(dtype, actual[i]) + ", expected " + Elements.show(dtype, raw[i]);
      }
    }
    return null;
  }

  /** Takes what memory holds as the model (after Tensors.empty, or a tolerance-checked kernel). */
  void adoptMemory() {
    long[] actual = readMemory();
    System.arraycopy(actual, 0, raw, 0, raw.length);
  }

  @Override
  public String toString() {
    return "s" + id;
  }
}
