package dev.shard4j.collectives.local;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Tensor;

/**
 * What one rank of an in-process group does inside a collective once every rank has posted its
 * call: its slice of the work, read from and written to the peers' buffers directly (the sliced
 * path), or its own output computed from the staging slots (the staged path, {@link Staged}).
 */
final class RankWork {
  /** Slices start at multiples of this many elements (a cache line of fp32 and more). */
  private static final long SLICE_ALIGN = 64;

  private final GroupState group;
  private final int rank;

  RankWork(GroupState group, int rank) {
    this.group = group;
    this.rank = rank;
  }

  int rank() {
    return rank;
  }

  private int size() {
    return group.size;
  }

  // ---- the sliced path ------------------------------------------------------------------------------

  void allReduce(Call mine, int parity) {
    long[] s = slice(mine.count(), size(), rank);
    if (s[1] == s[0]) {
      return;
    }
    long[] srcs = new long[size()];
    long[] dsts = new long[size()];
    for (int q = 0; q < size(); q++) {
      srcs[q] = at(group.call(parity, q).send(), s[0]);
      dsts[q] = at(group.call(parity, q).recv(), s[0]);
    }
    reduce(srcs, dsts, mine, s[1] - s[0]);
  }

  void allGather(Call mine, int parity) {
    long[] dsts = new long[size()];
    for (int q = 0; q < size(); q++) {
      dsts[q] = at(group.call(parity, q).recv(), rank * mine.count());
    }
    copy(at(mine.send(), 0), dsts, mine.dtype(), mine.count());
  }

  void reduceScatter(Call mine, int parity) {
    long[] srcs = new long[size()];
    for (int q = 0; q < size(); q++) {
      srcs[q] = at(group.call(parity, q).send(), rank * mine.count());
    }
    reduce(srcs, new long[] {at(mine.recv(), 0)}, mine, mine.count());
  }

  void broadcast(Call mine, int parity) {
    long[] s = slice(mine.count(), size(), rank);
    long[] dsts = new long[size()];
    for (int q = 0; q < size(); q++) {
      dsts[q] = at(group.call(parity, q).recv(), s[0]);
    }
    copy(at(group.call(parity, mine.root()).send(), s[0]), dsts, mine.dtype(), s[1] - s[0]);
  }

  void reduce(Call mine, int parity) {
    long[] s = slice(mine.count(), size(), rank);
    long[] srcs = new long[size()];
    for (int q = 0; q < size(); q++) {
      srcs[q] = at(group.call(parity, q).send(), s[0]);
    }
    reduce(srcs, new long[] {at(group.call(parity, mine.root()).recv(), s[0])}, mine, s[1] - s[0]);
  }

  void allToAll(Call mine, int parity) {
    long block = mine.count() / size();
    long bytes = block * mine.dtype().byteSize();
    for (int q = 0; q < size(); q++) {
      NativeApi.memcpy(at(mine.recv(), q * block), NativeApi.HOST, at(group.call(parity, q).send(), rank * block),
          NativeApi.HOST, bytes, 0);
    }
  }

  // ---- shared by both paths -------------------------------------------------------------------------

  /** The staging slot of every rank for a meeting parity, offset by some bytes. */
  long[] slots(int parity, long offsetBytes) {
    long[] a = new long[size()];
    for (int q = 0; q < size(); q++) {
      a[q] = group.slot(q, parity) + offsetBytes;
    }
    return a;
  }

  long slot(int q, int parity) {
    return group.slot(q, parity);
  }

  void reduce(long[] srcs, long[] dsts, Call mine, long count) {
    if (count == 0) {
      return;
    }
    int code = mine.dtype().nativeCode();
    NativeApi.reduce(NativeApi.HOST, 0, srcs, code, dsts, code, count, mine.redOp().kernelOp().nativeCode(),
        mine.redOp().premul(), mine.redOp().postmul(size()));
  }

  /** One read of the source, written to every destination (a reduce of one input keeps every bit). */
  static void copy(long src, long[] dsts, DType dtype, long count) {
    if (count == 0) {
      return;
    }
    NativeApi.reduce(NativeApi.HOST, 0, new long[] {src}, dtype.nativeCode(), dsts, dtype.nativeCode(), count, 0,
        1.0, 1.0);
  }

  static long at(Tensor t, long element) {
    return t.dataAddress() + element * t.dtype().byteSize();
  }

  static long bytesOf(Tensor t) {
    return t == null ? 0 : t.numel() * t.dtype().byteSize();
  }

  /** Rank r's share [lo, hi) of n elements, aligned so that slices never share a cache line. */
  static long[] slice(long n, int parts, int r) {
    long per = (n + parts - 1) / parts;
    per = (per + SLICE_ALIGN - 1) / SLICE_ALIGN * SLICE_ALIGN;
    long lo = Math.min(n, r * per);
    return new long[] {lo, Math.min(n, lo + per)};
  }
}
