package dev.shard4j.collectives.local;

import dev.shard4j.collectives.CollectiveException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What the ranks of one in-process group share: the posted calls, a barrier for the two meeting
 * points of every collective (all calls posted; all work done), the mailboxes of point-to-point
 * transfers, and the abort state. Every wait has the group's timeout. Thread-safe.
 */
final class GroupState {
  final int size;
  final Duration timeout;
  /**
   * The posted calls, double-buffered like the staging slots: [meeting parity][slot(rank)], one
   * cache line per rank.
   */
  final Call[][] calls;
  /**
   * The posted calls' keys ({@link Call#writeKey}), laid out like the calls: [parity][slot(rank) +
   * word], a slot's 16 longs holding the key's words.
   */
  private final long[][] keys;
  final Mailboxes mail;
  final Map<String, GroupState> splits = new ConcurrentHashMap<>();
  private final GroupBarrier barrier;
  /**
   * Pieces of the current collective's work claimed so far ({@link RankWork}); back to zero at
   * every meeting, when no rank is claiming.
   */
  final AtomicLong claimed = new AtomicLong();
  private final AtomicLongArray posted;
  private final AtomicLongArray finished;
  private final AtomicReference<CollectiveException> abort = new AtomicReference<>();

  /**
   * Largest payload a rank stages for the one-meeting path of small collectives: at most 64 Ki
   * elements, which the host kernels run on the calling thread whatever the pool.
   */
  static final long SMALL_BYTES = 64 << 10;

  /** Two staging slots per rank (alternating between collectives), allocated on first use. */
  private volatile long[][] slots;
  private final java.util.concurrent.atomic.AtomicInteger open;

  GroupState(int size, Duration timeout) {
    this.size = size;
    this.timeout = timeout;
    this.calls = new Call[2][GroupBarrier.slot(size)];
    this.keys = new long[2][GroupBarrier.slot(size)];
    this.mail = new Mailboxes(this);
    this.barrier = new GroupBarrier(size, () -> claimed.set(0));
    this.posted = new AtomicLongArray(GroupBarrier.slot(size));
    this.finished = new AtomicLongArray(GroupBarrier.slot(size));
    this.open = new java.util.concurrent.atomic.AtomicInteger(size);
  }

  /** The address of a rank's staging slot 0 or 1 (host memory of SMALL_BYTES). */
  long slot(int rank, int parity) {
    long[][] s = slots;
    if (s == null) {
      s = allocateSlots();
    }
    return s[rank][parity];
  }

  private synchronized long[][] allocateSlots() {
    if (slots == null) {
      long[][] s = new long[size][2];
      for (int q = 0; q < size; q++) {
        for (int p = 0; p < 2; p++) {
          s[q][p] = dev.shard4j.bindings.NativeApi.hostAlloc(SMALL_BYTES, 64);
        }
      }
      slots = s;
    }
    return slots;
  }

  /** Called as each rank's communicator closes; the last one frees the staging slots. */
  void rankClosed() {
    if (open.decrementAndGet() == 0) {
      synchronized (this) {
        if (slots != null) {
          for (long[] pair : slots) {
            for (long address : pair) {
              dev.shard4j.bindings.NativeApi.hostFree(address);
            }
          }
          slots = null;
        }
      }
    }
  }

  /** The call a rank posted for the meeting of the given parity. */
  Call call(int parity, int rank) {
    return calls[parity][GroupBarrier.slot(rank)];
  }

  /**
   * Posts this rank's call and waits until every rank has posted its own. Consecutive meetings
   * alternate parity, so a rank that has moved on never overwrites a call others still read.
   */
  void arrive(int rank, Call call, int parity) {
    call.writeKey(keys[parity], GroupBarrier.slot(rank));
    calls[parity][GroupBarrier.slot(rank)] = call;
    meet(rank, call, posted, "call");
  }

  /** Whether rank q posted the same collective as rank 0 for the meeting of the given parity. */
  boolean matchesRankZero(int parity, int q) {
    long[] k = keys[parity];
    int mine = GroupBarrier.slot(q);
    for (int w = 0; w < Call.KEY_WORDS; w++) {
      if (k[mine + w] != k[w]) {
        return false;
      }
    }
    return true;
  }

  /** Waits until every rank has done its part of the current collective. */
  void finish(int rank, Call call) {
    meet(rank, call, finished, "finish");
  }

  private void meet(int rank, Call call, AtomicLongArray marks, String stage) {
    marks.set(GroupBarrier.slot(rank), call.seq());
    boolean passed;
    try {
      passed = barrier.await(rank, timeout.toNanos());
    } catch (TimeoutException e) {
      List<Integer> missing = new ArrayList<>();
      for (int q = 0; q < size; q++) {
        if (marks.get(GroupBarrier.slot(q)) < call.seq()) {
          missing.add(q);
        }
      }
      throw abortWith(new CollectiveException(call.op(), call.seq(), missing, call.op() + " #" + call.seq()
          + " on rank " + rank + " timed out after " + timeout.toMillis() + " ms: ranks " + missing
          + " did not " + stage + " " + call.op() + " (SHARD4J_TIMEOUT)", null));
    }
    if (!passed) {
      throw failure(rank, call.op(), call.seq());
    }
  }

  /** Aborts the group with the cause (the first cause wins) and returns the exception to throw. */
  CollectiveException abortWith(CollectiveException cause) {
    if (abort.compareAndSet(null, cause)) {
      barrier.breakBarrier(); // mailbox waiters poll the abort state
      return cause;
    }
    return cause;
  }

  /** The exception a rank's operation throws once the group is aborted. */
  CollectiveException failure(int rank, String op, long seq) {
    CollectiveException cause = abort.get();
    List<Integer> missing = cause == null ? List.of() : cause.missingRanks();
    String why = cause == null ? "the group was aborted" : cause.getMessage();
    return new CollectiveException(op, seq, missing, op + " #" + seq + " on rank " + rank
        + " failed: the group was aborted: " + why, cause);
  }

  boolean aborted() {
    return abort.get() != null;
  }
}
