package dev.shard4j.fuzz;

import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Allocators (roots, caching roots, children with limits and listeners; closing them empty or
 * with tensors or children still open; their queries) and the small value types Shape, Device and
 * DType; and the end of a run, which closes everything and checks that nothing is left.
 */
final class AllocatorOps {
  /** Most allocators kept at once, closed ones included. */
  private static final int MAX_ALLOCATORS = 8;

  private final ApiFuzzer f;
  private final Gen g;
  private int names;

  AllocatorOps(ApiFuzzer f) {
    this.f = f;
    this.g = f.gen;
  }

  void step() {
    switch (g.r.nextInt(7)) {
      case 0, 1 -> create();
      case 2 -> close();
      case 3 -> queries();
      case 4 -> badAllocator();
      default -> shapesAndDevices();
    }
  }

  private long limit() {
    return g.chance(40) ? Long.MAX_VALUE : g.chance(20) ? g.between(0, 64) : g.between(64, 64 << 10);
  }

  /** A root, a caching root, or a child of an open allocator; with a counting listener or none. */
  private void create() {
    dropDrained();
    if (f.pool.allocators.size() >= MAX_ALLOCATORS) {
      close();
      return;
    }
    String name = "a" + names++;
    long limit = limit();
    ModelAllocator.CountingListener listener = g.chance(60) ? new ModelAllocator.CountingListener() : null;
    int kind = g.r.nextInt(4);
    ModelAllocator parent = kind >= 2 ? f.pool.pickAllocator() : null;
    boolean caching = kind == 1 || (parent != null && parent.caching);
    String what = switch (kind) {
      case 0 -> "Allocator.root(" + name + ", " + limit + ")";
      case 1 -> "Allocator.caching(" + name + ", " + limit + ")";
      default -> parent.name + ".newChild(" + name + ", " + limit + ")";
    };
    Outcome.Result<Allocator> result = f.call(kind >= 2 ? "Allocator.newChild" : kind == 1 ? "Allocator.caching"
        : "Allocator.root", what, Outcome.ok(), () -> switch (kind) {
          case 0 -> Allocator.root(name, limit, listener);
          case 1 -> Allocator.caching(name, limit, listener);
          default -> listener == null && g.chance(50) ? parent.real.newChild(name, limit)
              : parent.real.newChild(name, limit, listener);
        });
    Allocator a = result.value();
    ModelAllocator m = new ModelAllocator(a, name, parent, limit, caching, listener);
    if (parent != null) {
      parent.children.add(m);
    }
    f.pool.allocators.add(m);
    if (!a.name().equals(name) || a.limit() != limit || a.parent() != (parent == null ? null : parent.real)) {
      f.check("allocator " + name + " reports name " + a.name() + ", limit " + a.limit() + ", parent " + a.parent());
    }
    f.check(f.pool.verify());
  }

  /** Forgets closed allocators that hold nothing any more, but for a few kept for defects. */
  private void dropDrained() {
    int keep = 2;
    for (int i = f.pool.allocators.size() - 1; i >= 0; i--) {
      ModelAllocator a = f.pool.allocators.get(i);
      if (a.closed && a.current == 0 && a.children.isEmpty() && keep-- <= 0) {
        f.pool.allocators.remove(i);
      }
    }
  }

  /**
   * Closes an allocator other than the main one. With open tensors or children it throws an
   * IllegalStateException naming them and is closed all the same; its tensors stay valid.
   */
  private void close() {
    List<ModelAllocator> candidates = new ArrayList<>();
    for (ModelAllocator a : f.pool.allocators) {
      if (a != f.pool.main && (a.usable() || (a.closed && g.chance(20)))) {
        candidates.add(a);
      }
    }
    if (candidates.isEmpty()) {
      return;
    }
    ModelAllocator a = candidates.get(g.r.nextInt(candidates.size()));
    boolean leaks = !a.closed && (a.openStorages > 0 || !a.children.isEmpty());
    Outcome expected = leaks ? Outcome.fails(IllegalStateException.class, "allocator '" + a.name + "' closed with")
        : Outcome.ok();
    f.call("Allocator.close", a.name + ".close() of " + a + " with " + a.openStorages + " storages and "
        + a.children.size() + " children open", expected, () -> {
          a.real.close();
          return null;
        });
    if (!a.closed) {
      a.closed = true;
      if (a.parent != null) {
        a.parent.children.remove(a);
      }
    }
    if (a.caching && a.parent == null && a.real.cachedBytes() != 0) {
      f.check("caching root " + a.name + " keeps " + a.real.cachedBytes() + " idle bytes after close");
    }
    f.check(f.pool.verify());
  }

  /** leakReport, cachedBytes after emptyCache, and newChild of a closed allocator. */
  private void queries() {
    ModelAllocator a = f.pool.allocators.get(g.r.nextInt(f.pool.allocators.size()));
    Outcome.Result<String> report = f.call("Allocator.leakReport", a.name + ".leakReport()", Outcome.ok(),
        () -> a.real.leakReport());
    boolean open = a.openStorages > 0 || !a.children.isEmpty();
    if (report.value().isEmpty() == open || (a.openStorages > 0 && !report.value().contains("open reference(s)"))) {
      f.check(a.name + ".leakReport() is '" + report.value() + "' with " + a.openStorages + " storages and "
          + a.children.size() + " children open");
    }
    f.call("Allocator.emptyCache", a.name + ".emptyCache()", Outcome.ok(), () -> {
      a.real.emptyCache();
      return null;
    });
    if (a.real.cachedBytes() != 0) {
      f.check(a.name + " caches " + a.real.cachedBytes() + " bytes after emptyCache");
    }
    if (a.closed) {
      f.call("Allocator.newChild", a.name + ".newChild of a closed allocator",
          Outcome.fails(IllegalStateException.class, "'" + a.name + "' is closed"), () -> a.real.newChild("x", 1));
    }
    f.check(f.pool.verify());
  }

  /** Blank names and negative limits. */
  private void badAllocator() {
    String name = g.of(new String[] {null, "", "  ", "ok"});
    long limit = name != null && name.equals("ok") ? -g.between(1, 1000) : limit();
    String fragment = name != null && name.equals("ok") ? "limit must be >= 0" : "name must not be blank";
    ModelAllocator parent = f.pool.pickAllocator();
    int kind = g.r.nextInt(3);
    f.call(kind == 2 ? "Allocator.newChild" : kind == 1 ? "Allocator.caching" : "Allocator.root",
        "allocator(" + (name == null ? "null" : "'" + name + "'") + ", " + limit + ")",
        Outcome.fails(IllegalArgumentException.class, fragment), () -> switch (kind) {
          case 0 -> Allocator.root(name, limit, null);
          case 1 -> Allocator.caching(name, limit, null);
          default -> parent.real.newChild(name, limit);
        });
    f.check(f.pool.verify());
  }

  /** Shape.of and its queries, Device.cuda and parse, DType's codes. */
  private void shapesAndDevices() {
    long[] dims = g.shape();
    Outcome.Result<Shape> shape = f.call("Shape.of", "Shape.of" + Arrays.toString(dims), Outcome.ok(),
        () -> Shape.of(dims));
    Shape s = shape.value();
    if (s.rank() != dims.length || s.numel() != ModelTensor.numel(dims) || !Arrays.equals(s.toArray(), dims)
        || !Arrays.equals(s.contiguousStrides(), ModelTensor.contiguousStrides(dims)) || !s.equals(Shape.of(dims))) {
      f.check("Shape.of" + Arrays.toString(dims) + " is " + s + " with numel " + s.numel());
    }
    int d = s.rank() == 0 ? 0 : g.between(-s.rank() - 2, s.rank() + 1);
    boolean inRange = d >= -s.rank() && d < s.rank();
    Outcome.Result<Long> size = f.call("Shape.dim", s + ".dim(" + d + ")", inRange ? Outcome.ok()
        : Outcome.fails(IllegalArgumentException.class, "dim " + d + " out of range"), () -> s.dim(d));
    if (size.ok() && size.value() != dims[d < 0 ? d + dims.length : d]) {
      f.check(s + ".dim(" + d + ") is " + size.value());
    }
    int index = g.between(-3, 3);
    f.call("Device.cuda", "Device.cuda(" + index + ")", index < 0
        ? Outcome.fails(IllegalArgumentException.class, "must be >= 0") : Outcome.ok(), () -> Device.cuda(index));
    String text = g.of(new String[] {"cpu", "CUDA", "cuda:3", " cpu ", "gpu", "cuda:", "cuda:-1", "cuda:x", ""});
    boolean good = text.trim().equalsIgnoreCase("cpu") || text.equals("CUDA") || text.equals("cuda:3");
    f.call("Device.parse", "Device.parse('" + text + "')", good ? Outcome.ok()
        : Outcome.fails(IllegalArgumentException.class, text.equals("cuda:-1") ? "must be >= 0" : "'" + text + "'"),
        () -> Device.parse(text));
    f.call("Device.index", "Device.CPU.index()", Outcome.fails(IllegalStateException.class, "CPU"),
        () -> Device.CPU.index());
    DType t = g.dtype();
    int[] sizes = {4, 8, 2, 2, 1, 1, 4, 8};
    int[] codes = {7, 8, 6, 9, 0, 1, 2, 4};
    if (t.byteSize() != sizes[t.ordinal()] || t.nativeCode() != codes[t.ordinal()]
        || t.isFloatingPoint() != (t.ordinal() < 4)) {
      f.check(t + " reports size " + t.byteSize() + ", code " + t.nativeCode());
    }
  }

  /**
   * The end of a run: closes the plans and every tensor, then checks that every allocator holds 0
   * bytes and closes them, children first, each without a leak report.
   */
  void shutdown() {
    f.closePlansAndStreams();
    for (ModelTensor t : new ArrayList<>(f.pool.live)) {
      f.call("Tensor.close", "t" + t.id + ".close() at the end", Outcome.ok(), () -> {
        t.real.close();
        return null;
      });
      f.pool.close(t);
    }
    f.check(f.pool.verifyAll());
    for (ModelAllocator a : f.pool.allocators) {
      if (a.real.allocatedBytes() != 0 || a.current != 0) {
        f.check("allocator '" + a.name + "' holds " + a.real.allocatedBytes() + " bytes at the end");
      }
    }
    List<ModelAllocator> all = new ArrayList<>(f.pool.allocators);
    for (int i = all.size() - 1; i >= 0; i--) {
      ModelAllocator a = all.get(i);
      boolean children = !a.closed && !a.children.isEmpty();
      f.call("Allocator.close", a.name + ".close() at the end", children
          ? Outcome.fails(IllegalStateException.class, "child allocator") : Outcome.ok(), () -> {
            a.real.close();
            return null;
          });
      a.closed = true;
      if (a.parent != null) {
        a.parent.children.remove(a);
      }
      if (a.parent == null && a.real.cachedBytes() != 0) {
        f.check("allocator '" + a.name + "' keeps " + a.real.cachedBytes() + " idle bytes after close");
      }
    }
  }
}
