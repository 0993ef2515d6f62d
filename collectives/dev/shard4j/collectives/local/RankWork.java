package dev.shard4j.collectives.local;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Tensor;

/**
 * What one rank of an in-process group does inside a collective once every rank has posted its
 * call: pieces of the work, read from and written to the peers' buffers directly (the sliced
 * path), or its own output computed from the staging slots (the staged path, {@link Staged}).
 *
 * <p>On the sliced path the ranks claim the pieces in turn rather than each taking a fixed share:
 * a rank that the scheduler runs late (more ranks than cores, a compiler thread on the other core,
 * a wake-up placed behind a busy rank) leaves its share to the ranks that run, as the host thread
 * pool does with its pieces.
 */
final class RankWork {
  /** Pieces start at multiples of this many elements (a cache line of fp32 and more). */
  private static final long PIECE_ALIGN = 64;
  /** Pieces per rank that a large collective's work is cut into. */
  private static final int PIECES_PER_RANK = 4;
  /**
   * Smallest piece, unless a rank's even share is smaller: the host kernels stream outputs of
   * 1 MiB and more, and smaller pieces would only add calls.
   */
  private static final long MIN_PIECE_BYTES = 1 << 20;

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

  /** One piece: elements [lo, hi) of a part of the work. */
  private interface Piece {
    void run(int part, long lo, long hi);
  }

  void allReduce(Call mine, int parity) {
    claimPieces(1, mine.count(), mine.dtype(), (part, lo, hi) ->
        reduce(buffers(parity, Call::send, lo), buffers(parity, Call::recv, lo), mine, hi - lo));
  }

  /** Part q: rank q's input, copied to every rank's output. */
  void allGather(Call mine, int parity) {
    long count = mine.count();
    claimPieces(size(), count, mine.dtype(), (q, lo, hi) -> copy(at(group.call(parity, q).send(), lo),
        buffers(parity, Call::recv, q * count + lo), mine.dtype(), hi - lo));
  }

  /** Part q: rank q's output, reduced from block q of every rank's input. */
  void reduceScatter(Call mine, int parity) {
    long count = mine.count();
    claimPieces(size(), count, mine.dtype(), (q, lo, hi) -> reduce(buffers(parity, Call::send, q * count + lo),
        new long[] {at(group.call(parity, q).recv(), lo)}, mine, hi - lo));
  }

  void broadcast(Call mine, int parity) {
    claimPieces(1, mine.count(), mine.dtype(), (part, lo, hi) -> copy(at(group.call(parity, mine.root()).send(), lo),
        buffers(parity, Call::recv, lo), mine.dtype(), hi - lo));
  }

  void reduce(Call mine, int parity) {
    claimPieces(1, mine.count(), mine.dtype(), (part, lo, hi) -> reduce(buffers(parity, Call::send, lo),
        new long[] {at(group.call(parity, mine.root()).recv(), lo)}, mine, hi - lo));
  }

  /** The address of element {@code element} of one buffer of every rank's call, rank by rank. */
  private long[] buffers(int parity, java.util.function.Function<Call, Tensor> buffer, long element) {
    long[] a = new long[size()];
    for (int q = 0; q < size(); q++) {
      a[q] = at(buffer.apply(group.call(parity, q)), element);
    }
    return a;
  }

  void allToAll(Call mine, int parity) {
    long block = mine.count() / size();
    long bytes = block * mine.dtype().byteSize();
    for (int q = 0; q < size(); q++) {
      NativeApi.memcpy(at(mine.recv(), q * block), NativeApi.HOST, at(group.call(parity, q).send(), rank * block),
          NativeApi.HOST, bytes, 0);
    }
  }

  /**
   * Runs pieces of {@code parts} ranges of {@code count} elements each until none is left
   * unclaimed. Every rank of the collective calls this; the group's counter hands each piece to
   * exactly one of them.
   */
  private void claimPieces(int parts, long count, DType dtype, Piece body) {
    long piece = pieceElements((long) parts * count, size(), dtype.byteSize());
    if (piece == 0) {
      return;
    }
    long perPart = (count + piece - 1) / piece;
    long pieces = parts * perPart;
    for (long i = group.claimed.getAndIncrement(); i < pieces; i = group.claimed.getAndIncrement()) {
      int part = (int) (i / perPart);
      long lo = i % perPart * piece;
      body.run(part, lo, Math.min(count, lo + piece));
    }
  }

  /**
   * Elements per piece for work of {@code total} elements shared by {@code ranks}: about
   * PIECES_PER_RANK pieces a rank, none under MIN_PIECE_BYTES unless an even share is smaller,
   * aligned so that pieces never share a cache line; 0 for no work.
   */
  static long pieceElements(long total, int ranks, int elementBytes) {
    if (total == 0) {
      return 0;
    }
    long share = (total + ranks - 1) / ranks;
    long small = (total + (long) ranks * PIECES_PER_RANK - 1) / ((long) ranks * PIECES_PER_RANK);
    long piece = Math.max(small, Math.min(share, MIN_PIECE_BYTES / elementBytes));
    return (piece + PIECE_ALIGN - 1) / PIECE_ALIGN * PIECE_ALIGN;
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
}
