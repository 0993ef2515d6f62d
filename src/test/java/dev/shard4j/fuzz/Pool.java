package dev.shard4j.fuzz;

import dev.shard4j.bindings.OutOfMemoryException;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Predicate;

/**
 * The fuzzer's world: the live tensors with their models, the storages they share, the allocators
 * and the copy plans. Single-threaded (the collective episodes keep their own).
 */
final class Pool {
  /** Most tensors kept open at once; beyond it the fuzzer closes more than it makes. */
  static final int MAX_LIVE = 48;

  final List<ModelTensor> live = new ArrayList<>();
  /** A few recently closed tensors, for calls that must refuse a closed tensor. */
  final List<ModelTensor> closed = new ArrayList<>();
  final List<ModelStorage> storages = new ArrayList<>();
  final List<ModelAllocator> allocators = new ArrayList<>();
  final List<PlanModel> plans = new ArrayList<>();
  /** Operands made for the current call, most of which are closed after it. */
  final List<ModelTensor> scratch = new ArrayList<>();
  final ModelAllocator main;
  private final SplittableRandom r;
  private int nextTensor;
  private int nextStorage;

  Pool(SplittableRandom r) {
    this.r = r;
    ModelAllocator.CountingListener listener = new ModelAllocator.CountingListener();
    main = new ModelAllocator(Allocator.root("fuzz-main", Long.MAX_VALUE, listener), "fuzz-main", null,
        Long.MAX_VALUE, false, listener);
    allocators.add(main);
  }

  // ---- storages and tensors -------------------------------------------------------------------

  /** The model of a storage just allocated (and counted) for a real tensor. */
  ModelStorage storage(ModelAllocator a, Tensor real, long[] raw) {
    ModelStorage s = new ModelStorage(nextStorage++, real.dtype(), raw, a,
        real.dataAddress() - real.storageOffset() * real.dtype().byteSize());
    storages.add(s);
    return s;
  }

  /** Registers a real tensor with its model; the storage reference it holds is already counted. */
  ModelTensor add(Tensor real, ModelStorage s, long[] shape, long[] strides, long offset) {
    ModelTensor t = new ModelTensor(nextTensor++, real, s, shape, strides, offset);
    live.add(t);
    return t;
  }

  /** A new contiguous tensor over a new storage, as every factory and copy makes. */
  ModelTensor addContiguous(ModelAllocator a, Tensor real, long[] shape, long[] raw) {
    ModelStorage s = storage(a, real, raw);
    return add(real, s, shape, ModelTensor.contiguousStrides(shape), 0);
  }

  /** Registers a view over a live tensor's storage. */
  ModelTensor addView(Tensor real, ModelTensor base, long[] shape, long[] strides, long offset) {
    base.storage.references++;
    return add(real, base.storage, shape, strides, offset);
  }

  /** Closes a tensor and its model; closing again is a no-op in both. */
  void close(ModelTensor t) {
    t.real.close();
    if (!t.closed) {
      t.closed = true;
      live.remove(t);
      closed.add(t);
      if (closed.size() > 8) {
        closed.remove(0);
      }
      release(t.storage);
    }
  }

  void release(ModelStorage s) {
    if (--s.references == 0) {
      s.allocator.release(s.bytes());
      storages.remove(s);
    }
  }

  ModelTensor pick() {
    return live.isEmpty() ? null : live.get(r.nextInt(live.size()));
  }

  /** A random live tensor with the property, or null. */
  ModelTensor pick(Predicate<ModelTensor> p) {
    List<ModelTensor> match = new ArrayList<>();
    for (ModelTensor t : live) {
      if (p.test(t)) {
        match.add(t);
      }
    }
    return match.isEmpty() ? null : match.get(r.nextInt(match.size()));
  }

  ModelTensor pickClosed() {
    return closed.isEmpty() ? null : closed.get(r.nextInt(closed.size()));
  }

  // ---- allocators -------------------------------------------------------------------------------

  /** An allocator that tensors may come from; the main one half the time. */
  ModelAllocator pickAllocator() {
    if (r.nextBoolean()) {
      return main;
    }
    List<ModelAllocator> usable = new ArrayList<>();
    for (ModelAllocator a : allocators) {
      if (a.usable()) {
        usable.add(a);
      }
    }
    return usable.get(r.nextInt(usable.size()));
  }

  /**
   * Allocations made in order by one call, modelled as they happen, so that a refusal is expected
   * exactly where the call would meet it.
   */
  final class Allocations {
    private final List<ModelAllocator> who = new ArrayList<>();
    private final List<Long> sizes = new ArrayList<>();
    /** Why the call must fail, once an allocation cannot be made; null while they all fit. */
    Outcome failure;

    /** The next allocation of the call, from allocator a. */
    Allocations take(ModelAllocator a, DType dtype, long numel) {
      if (failure != null) {
        return this;
      }
      long bytes = numel * dtype.byteSize();
      if (a.closed) {
        failure = Outcome.fails(IllegalStateException.class, "allocator '" + a.name + "' is closed");
        return this;
      }
      ModelAllocator refuser = a.refuser(bytes);
      if (refuser != null) {
        a.refusals++;
        failure = Outcome.fails(OutOfMemoryException.class, "allocator '" + refuser.name + "'");
        return this;
      }
      a.reserve(bytes);
      who.add(a);
      sizes.add(bytes);
      return this;
    }

    /** Gives back allocation i (a temporary the call frees before it returns). */
    void free(int i) {
      if (who.get(i) != null) {
        who.get(i).release(sizes.get(i));
        who.set(i, null);
      }
    }

    /** Gives back every allocation still held (the call failed, or they were all temporaries). */
    void freeAll() {
      for (int i = 0; i < who.size(); i++) {
        free(i);
      }
    }

    int count() {
      return who.size();
    }
  }

  Allocations allocations() {
    return new Allocations();
  }

  /** Marks an allocator tree's peak and refusals as to be re-read (see ModelAllocator#unsure). */
  void unsure(ModelAllocator a) {
    for (ModelAllocator x = a; x != null; x = x.parent) {
      x.unsure = true;
    }
  }

  // ---- checks -----------------------------------------------------------------------------------

  /** Every allocator against its model, then every live storage's memory, element by element. */
  String verifyAll() {
    for (ModelAllocator a : allocators) {
      String why = a.compare();
      if (why != null) {
        return why;
      }
    }
    for (ModelStorage s : storages) {
      String why = s.compareWithMemory();
      if (why != null) {
        return why;
      }
    }
    for (ModelTensor t : live) {
      String why = t.compareLayout();
      if (why != null) {
        return why;
      }
    }
    return null;
  }

  /** The allocators, then the given storages' memory. */
  String verify(ModelStorage... touched) {
    for (ModelAllocator a : allocators) {
      String why = a.compare();
      if (why != null) {
        return why;
      }
    }
    for (ModelStorage s : touched) {
      if (s != null && s.alive()) {
        String why = s.compareWithMemory();
        if (why != null) {
          return why;
        }
      }
    }
    return null;
  }
}
