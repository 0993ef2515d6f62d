package dev.shard4j.collectives.local;

import dev.shard4j.collectives.CollectiveException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
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
  /** Ranks whose communicator closed: no collective can complete any more, nor a transfer with them. */
  private final AtomicIntegerArray closedRanks;
  private final AtomicReference<CollectiveException> firstClose = new AtomicReference<>();

  /**
   * Largest payload a rank stages for the one-meeting path of small collectives: at most 64 Ki
   * elements, which the host kernels run on the calling thread whatever the pool.
   */
  static final long SMALL_BYTES = 64 << 10;

  /** Two staging slots per rank (alternating between collectives), allocated on first use. */
  private volatile long[][] slots;
  /** Ranks whose communicator is still open. */
  private final AtomicInteger open;
  /** Operations running now, on any rank: the staging slots outlive them all. */
  private final AtomicInteger running = new AtomicInteger();

  GroupState(int size, Duration timeout) {
    this.size = size;
    this.timeout = timeout;
    this.calls = new Call[2][GroupBarrier.slot(size)];
    this.keys = new long[2][GroupBarrier.slot(size)];
    this.mail = new Mailboxes(this);
    this.barrier = new GroupBarrier(size, () -> claimed.set(0));
    this.posted = new AtomicLongArray(GroupBarrier.slot(size));
    this.finished = new AtomicLongArray(GroupBarrier.slot(size));
    this.open = new AtomicInteger(size);
    this.closedRanks = new AtomicIntegerArray(size);
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

  /**
   * Called as a rank's communicator closes: the rank takes part in nothing again, so every
   * collective waiting for it, now or later, fails at once with that cause (a meeting every rank
   * already reached completes), and so does every transfer to or from it that it did not take.
   * Transfers between the other ranks go on. Once every rank has closed and no operation runs, the
   * staging slots are freed.
   */
  void rankClosed(int rank) {
    CollectiveException cause = new CollectiveException("close", -1, List.of(rank),
        "rank " + rank + " closed its communicator", null);
    closedRanks.set(rank, 1);
    firstClose.compareAndSet(null, cause);
    barrier.breakBarrier();
    mail.failTransfersWith(rank, cause);
    open.decrementAndGet();
    freeSlotsWhenUnused();
  }

  /** Whether rank q's communicator has closed. */
  boolean closed(int q) {
    return closedRanks.get(q) != 0;
  }

  /** Whether a collective can still complete: no abort, and every rank open. */
  boolean collectivesPossible() {
    return abort.get() == null && firstClose.get() == null;
  }

  /** The exception of an operation with a peer that has closed. */
  CollectiveException peerClosed(int rank, String op, long seq, int peer) {
    return new CollectiveException(op, seq, List.of(peer), op + " #" + seq + " on rank " + rank + " failed: rank "
        + peer + " closed its communicator", null);
  }

  /** Marks an operation as running on some rank: the staging slots stay until it ends. */
  void operationStarts() {
    running.incrementAndGet();
  }

  /** The operation started by {@link #operationStarts()} has ended. */
  void operationEnds() {
    running.decrementAndGet();
    freeSlotsWhenUnused();
  }

  private void freeSlotsWhenUnused() {
    if (open.get() > 0 || running.get() > 0) {
      return;
    }
    synchronized (this) {
      if (slots != null && open.get() == 0 && running.get() == 0) {
        for (long[] pair : slots) {
          for (long address : pair) {
            dev.shard4j.bindings.NativeApi.hostFree(address);
          }
        }
        slots = null;
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
  void arrive(int rank, Call call, long meeting) {
    int parity = (int) (meeting & 1);
    call.writeKey(keys[parity], GroupBarrier.slot(rank));
    calls[parity][GroupBarrier.slot(rank)] = call;
    meet(rank, call, meeting, posted, "call");
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
  void finish(int rank, Call call, long meeting) {
    meet(rank, call, meeting, finished, "finish");
  }

  /**
   * Waits at the meeting-th meeting of the group's collectives. Meetings count collectives only,
   * so they agree across ranks where sequence numbers do not (after transfers some ranks made).
   */
  private void meet(int rank, Call call, long meeting, AtomicLongArray marks, String stage) {
    marks.set(GroupBarrier.slot(rank), meeting);
    boolean passed;
    try {
      passed = barrier.await(rank, timeout.toNanos());
    } catch (TimeoutException e) {
      if (Thread.currentThread().isInterrupted()) {
        throw abortWith(new CollectiveException(call.op(), call.seq(), List.of(rank), call.op() + " #" + call.seq()
            + " failed on rank " + rank + ": its thread was interrupted", e));
      }
      List<Integer> missing = new ArrayList<>();
      for (int q = 0; q < size; q++) {
        if (marks.get(GroupBarrier.slot(q)) < meeting) {
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
      mail.failAllTransfersWith(cause);
      return cause;
    }
    return cause;
  }

  /** The exception a rank's operation throws once the group is aborted or a rank has closed. */
  CollectiveException failure(int rank, String op, long seq) {
    CollectiveException cause = abort.get();
    String why;
    if (cause != null) {
      why = "the group was aborted: " + cause.getMessage();
    } else {
      cause = firstClose.get();
      why = cause == null ? "the group was aborted" : cause.getMessage();
    }
    List<Integer> missing = cause == null ? List.of() : cause.missingRanks();
    return new CollectiveException(op, seq, missing, op + " #" + seq + " on rank " + rank + " failed: " + why, cause);
  }

  boolean aborted() {
    return abort.get() != null;
  }
}
