package dev.shard4j.collectives.local;

import dev.shard4j.collectives.CollectiveException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
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
  final Call[] calls;
  final Mailboxes mail;
  final Map<String, GroupState> splits = new ConcurrentHashMap<>();
  private final GroupBarrier barrier;
  private final AtomicLongArray posted;
  private final AtomicLongArray finished;
  private final AtomicReference<CollectiveException> abort = new AtomicReference<>();

  GroupState(int size, Duration timeout) {
    this.size = size;
    this.timeout = timeout;
    this.calls = new Call[size];
    this.mail = new Mailboxes(this);
    this.barrier = new GroupBarrier(size);
    this.posted = new AtomicLongArray(size);
    this.finished = new AtomicLongArray(size);
  }

  /** Posts this rank's call and waits until every rank has posted its own. */
  void arrive(int rank, Call call) {
    calls[rank] = call;
    meet(rank, call, posted, "call " + call.op());
  }

  /** Waits until every rank has done its part of the current collective. */
  void finish(int rank, Call call) {
    meet(rank, call, finished, "finish " + call.op());
  }

  private void meet(int rank, Call call, AtomicLongArray marks, String stage) {
    marks.set(rank, call.seq());
    boolean passed;
    try {
      passed = barrier.await(rank, timeout.toNanos());
    } catch (TimeoutException e) {
      List<Integer> missing = new ArrayList<>();
      for (int q = 0; q < size; q++) {
        if (marks.get(q) < call.seq()) {
          missing.add(q);
        }
      }
      throw abortWith(new CollectiveException(call.op(), call.seq(), missing, call.op() + " #" + call.seq()
          + " on rank " + rank + " timed out after " + timeout.toMillis() + " ms: ranks " + missing
          + " did not " + stage + " (SHARD4J_TIMEOUT)", null));
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
