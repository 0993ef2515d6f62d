package dev.shard4j.fuzz;

import dev.shard4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Views: narrow, slice, select, transpose, view, reshape, chunk and contiguous, each modelled as a
 * strided layout of its own over the same storage (or a copy, where reshape and contiguous copy),
 * with defects: dimensions and ranges out of range, bad steps and counts, shapes that do not hold
 * the elements, a view of a strided tensor, a closed tensor.
 */
final class ViewOps {
  private final ApiFuzzer f;
  private final Gen g;

  ViewOps(ApiFuzzer f) {
    this.f = f;
    this.g = f.gen;
  }

  void step() {
    ModelTensor t = f.pool.pick();
    if (t == null || g.chance(3)) {
      t = f.pool.pickClosed();
      if (t == null) {
        return;
      }
    }
    switch (g.r.nextInt(9)) {
      case 0, 1 -> slice(t, true);
      case 2 -> slice(t, false);
      case 3 -> select(t);
      case 4 -> transpose(t);
      case 5 -> view(t, false);
      case 6 -> view(t, true);
      case 7 -> chunk(t);
      default -> contiguous(t);
    }
  }

  private static Outcome closedOr(ModelTensor t, Outcome otherwise) {
    return t.closed ? Outcome.fails(IllegalStateException.class, "is closed") : otherwise;
  }

  /** A dimension argument: valid (negative counting from the end, now and then) or one in ten out of range. */
  private int dim(ModelTensor t, boolean[] bad) {
    int rank = t.rank();
    if (rank == 0 || g.chance(10)) {
      bad[0] = true;
      return g.chance(50) ? rank + g.between(0, 3) : -rank - g.between(1, 3);
    }
    int d = g.r.nextInt(rank);
    return g.chance(25) ? d - rank : d;
  }

  private static int normal(ModelTensor t, int dim) {
    return dim < 0 ? dim + t.rank() : dim;
  }

  private void register(Outcome.Result<Tensor> result, ModelTensor base, long[] shape, long[] strides, long offset) {
    if (!result.ok()) {
      f.check(f.pool.verify());
      return;
    }
    ModelTensor v = f.pool.addView(result.value(), base, shape, strides, offset);
    f.check(v.compareLayout());
    f.check(f.pool.verify(v.storage));
  }

  /** narrow (step 1) or slice, with ranges and steps now and then out of bounds. */
  private void slice(ModelTensor t, boolean narrow) {
    boolean[] bad = new boolean[1];
    int dim = dim(t, bad);
    long size = bad[0] ? 0 : t.shape[normal(t, dim)];
    long start = g.between(0, (int) size);
    long end = start + g.between(0, (int) (size - start));
    long step = narrow ? 1 : g.chance(60) ? 1 : g.between(2, 4);
    Outcome expected;
    if (bad[0]) {
      expected = Outcome.fails(IllegalArgumentException.class, "dim " + dim + " out of range");
    } else if (g.chance(12)) {
      switch (g.r.nextInt(narrow ? 3 : 4)) {
        case 0 -> start = -g.between(1, 3);
        case 1 -> end = size + g.between(1, 3);
        case 2 -> {
          start = Math.max(1, start);
          end = start - 1;
        }
        default -> step = -g.between(0, 2);
      }
      expected = Outcome.fails(IllegalArgumentException.class, step <= 0 ? "step must be positive" : "out of range for dim");
    } else {
      expected = Outcome.ok();
    }
    expected = closedOr(t, expected);
    long s0 = start;
    long e0 = end;
    long st = step;
    String what = narrow ? "t" + t.id + ".narrow(" + dim + ", " + start + ", " + (end - start) + ")"
        : "t" + t.id + ".slice(" + dim + ", " + start + ", " + end + ", " + step + ")";
    Outcome.Result<Tensor> result = f.call(narrow ? "Tensor.narrow" : "Tensor.slice", what + " of " + t, expected,
        () -> narrow ? t.real.narrow(dim, s0, e0 - s0) : t.real.slice(dim, s0, e0, st));
    if (result.ok()) {
      int d = normal(t, dim);
      long[] shape = t.shape.clone();
      long[] strides = t.strides.clone();
      shape[d] = (end - start + step - 1) / step;
      strides[d] = t.strides[d] * step;
      register(result, t, shape, strides, t.offset + (shape[d] == 0 ? 0 : start * t.strides[d]));
    } else {
      register(result, t, null, null, 0);
    }
  }

  private void select(ModelTensor t) {
    boolean[] bad = new boolean[1];
    int dim = dim(t, bad);
    long size = bad[0] ? 1 : t.shape[normal(t, dim)];
    long index = size == 0 ? 0 : g.between(0, (int) size - 1);
    Outcome expected;
    if (bad[0]) {
      expected = Outcome.fails(IllegalArgumentException.class, "dim " + dim + " out of range");
    } else if (size == 0 || g.chance(10)) {
      index = g.chance(50) ? size + g.between(0, 2) : -g.between(1, 3);
      expected = Outcome.fails(IllegalArgumentException.class, "index " + index + " out of range");
    } else {
      expected = Outcome.ok();
    }
    long i = index;
    Outcome.Result<Tensor> result = f.call("Tensor.select", "t" + t.id + ".select(" + dim + ", " + index + ") of " + t,
        closedOr(t, expected), () -> t.real.select(dim, i));
    if (!result.ok()) {
      register(result, t, null, null, 0);
      return;
    }
    int d = normal(t, dim);
    long[] shape = remove(t.shape, d);
    long[] strides = remove(t.strides, d);
    register(result, t, shape, strides, t.offset + index * t.strides[d]);
  }

  private static long[] remove(long[] a, int i) {
    long[] r = new long[a.length - 1];
    System.arraycopy(a, 0, r, 0, i);
    System.arraycopy(a, i + 1, r, i, a.length - i - 1);
    return r;
  }

  private void transpose(ModelTensor t) {
    boolean[] bad = new boolean[1];
    int a = dim(t, bad);
    boolean[] bad2 = new boolean[1];
    int b = bad[0] ? 0 : dim(t, bad2);
    Outcome expected = bad[0] || bad2[0]
        ? Outcome.fails(IllegalArgumentException.class, "dim " + (bad[0] ? a : b) + " out of range") : Outcome.ok();
    Outcome.Result<Tensor> result = f.call("Tensor.transpose", "t" + t.id + ".transpose(" + a + ", " + b + ") of " + t,
        closedOr(t, expected), () -> t.real.transpose(a, b));
    if (!result.ok()) {
      register(result, t, null, null, 0);
      return;
    }
    int x = normal(t, a);
    int y = normal(t, b);
    long[] shape = t.shape.clone();
    long[] strides = t.strides.clone();
    shape[x] = t.shape[y];
    shape[y] = t.shape[x];
    strides[x] = t.strides[y];
    strides[y] = t.strides[x];
    register(result, t, shape, strides, t.offset);
  }

  /**
   * A new shape for the tensor's elements: a factorisation of its count in up to 4 dimensions,
   * with one -1 now and then; or one that cannot hold them.
   */
  private long[] newShape(ModelTensor t, String[] defect) {
    long n = t.numel();
    List<Long> dims = new ArrayList<>();
    long left = n;
    int rank = g.between(0, 4);
    for (int i = 0; i < rank - 1 && left > 1; i++) {
      long d = divisor(left);
      dims.add(d);
      left /= d;
    }
    if (left != 1 || (dims.isEmpty() && g.chance(70)) || n == 0) {
      dims.add(left);
    }
    if (g.chance(15)) {
      dims.add(g.r.nextInt(dims.size() + 1), 1L);
    }
    long[] s = dims.stream().mapToLong(Long::longValue).toArray();
    if (s.length > 0 && n > 0 && g.chance(25)) {
      s[g.r.nextInt(s.length)] = -1;
    }
    if (g.chance(12)) {
      int k = g.r.nextInt(5);
      switch (n == 0 && k == 0 ? 3 : k) {
        case 0 -> {
          s = Arrays.copyOf(s, s.length + 1);
          s[s.length - 1] = n + 1 + g.between(0, 3);
          defect[0] = "elements";
        }
        case 1 -> {
          s = new long[] {-1, -1, Math.max(1, n)};
          defect[0] = "is negative";
        }
        case 2 -> {
          s = new long[] {-1, 0};
          defect[0] = "cannot hold";
        }
        case 3 -> {
          s = new long[] {-g.between(2, 5), Math.max(1, n)};
          defect[0] = "is negative";
        }
        default -> {
          s = new long[] {1L << 40, 1L << 40, -1};
          defect[0] = "shape";
        }
      }
    }
    return s;
  }

  private long divisor(long n) {
    List<Long> ds = new ArrayList<>();
    for (long d = 1; d <= n && d <= 64; d++) {
      if (n % d == 0) {
        ds.add(d);
      }
    }
    return ds.get(g.r.nextInt(ds.size()));
  }

  /** The shape a valid new shape stands for, its -1 worked out. */
  private static long[] inferred(ModelTensor t, long[] s) {
    long[] dims = s.clone();
    long known = 1;
    int at = -1;
    for (int i = 0; i < s.length; i++) {
      if (s[i] == -1) {
        at = i;
      } else {
        known *= s[i];
      }
    }
    if (at >= 0) {
      dims[at] = t.numel() / known;
    }
    return dims;
  }

  /** view (contiguous tensors only) or reshape (copies a strided one). */
  private void view(ModelTensor t, boolean reshape) {
    String[] defect = new String[1];
    long[] s = newShape(t, defect);
    boolean copies = reshape && !t.contiguous() && !t.closed;
    Outcome expected = defect[0] != null ? Outcome.fails(IllegalArgumentException.class, defect[0])
        : !reshape && !t.contiguous() ? Outcome.fails(IllegalArgumentException.class, "use reshape()") : Outcome.ok();
    Pool.Allocations allocs = null;
    if (copies) {
      allocs = f.pool.allocations().take(t.storage.allocator, t.dtype(), t.numel());
      if (allocs.failure != null) {
        expected = allocs.failure;
      } else if (expected.failureExpected()) {
        allocs.freeAll(); // the copy is made and dropped before the shape is refused
      }
    }
    Outcome.Result<Tensor> result = f.call(reshape ? "Tensor.reshape" : "Tensor.view",
        "t" + t.id + (reshape ? ".reshape" : ".view") + Arrays.toString(s) + " of " + t, closedOr(t, expected),
        () -> reshape ? t.real.reshape(s) : t.real.view(s));
    if (!result.ok()) {
      register(result, t, null, null, 0);
      return;
    }
    long[] shape = inferred(t, s);
    if (copies) {
      ModelTensor m = f.pool.addContiguous(t.storage.allocator, result.value(), shape, t.values());
      m.storage.tainted = t.storage.tainted;
      f.check(m.compareLayout());
      f.check(f.pool.verify(m.storage));
    } else {
      register(result, t, shape, ModelTensor.contiguousStrides(shape), t.offset);
    }
  }

  private void chunk(ModelTensor t) {
    boolean[] bad = new boolean[1];
    int dim = dim(t, bad);
    int chunks = g.between(1, 7);
    Outcome expected = bad[0] ? Outcome.fails(IllegalArgumentException.class, "dim " + dim + " out of range")
        : Outcome.ok();
    if (!bad[0] && g.chance(8)) {
      chunks = -g.between(0, 2);
      expected = Outcome.fails(IllegalArgumentException.class, "chunks must be positive");
    }
    int c = chunks;
    Outcome.Result<List<Tensor>> result = f.call("Tensor.chunk", "t" + t.id + ".chunk(" + chunks + ", " + dim
        + ") of " + t, closedOr(t, expected), () -> t.real.chunk(c, dim));
    if (!result.ok()) {
      f.check(f.pool.verify());
      return;
    }
    int d = normal(t, dim);
    long size = t.shape[d];
    long step = Math.max(1, (size + chunks - 1) / chunks);
    List<Tensor> pieces = result.value();
    long expectedPieces = size == 0 ? 1 : (size + step - 1) / step;
    if (pieces.size() != expectedPieces) {
      pieces.forEach(Tensor::close);
      f.check("chunk(" + chunks + ", " + dim + ") of " + t + " gave " + pieces.size() + " pieces, expected "
          + expectedPieces);
    }
    for (int i = 0; i < pieces.size(); i++) {
      long start = i * step;
      long[] shape = t.shape.clone();
      shape[d] = Math.min(step, size - start);
      ModelTensor v = f.pool.addView(pieces.get(i), t, shape, t.strides.clone(),
          t.offset + (shape[d] == 0 ? 0 : start * t.strides[d]));
      f.check(v.compareLayout());
    }
    f.check(f.pool.verify(t.storage));
  }

  private void contiguous(ModelTensor t) {
    boolean copies = !t.contiguous() && !t.closed;
    Outcome expected = Outcome.ok();
    Pool.Allocations allocs = null;
    if (copies) {
      allocs = f.pool.allocations().take(t.storage.allocator, t.dtype(), t.numel());
      if (allocs.failure != null) {
        expected = allocs.failure;
      }
    }
    Outcome.Result<Tensor> result = f.call("Tensor.contiguous", "t" + t.id + ".contiguous() of " + t,
        closedOr(t, expected), () -> t.real.contiguous());
    if (!result.ok()) {
      f.check(f.pool.verify());
      return;
    }
    if (copies) {
      ModelTensor m = f.pool.addContiguous(t.storage.allocator, result.value(), t.shape.clone(), t.values());
      m.storage.tainted = t.storage.tainted;
      f.check(m.compareLayout());
      f.check(f.pool.verify(m.storage));
    } else {
      register(result, t, t.shape.clone(), t.strides.clone(), t.offset);
    }
  }
}
