package dev.shard4j.collectives.local;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.collectives.CollectiveException;
import dev.shard4j.collectives.CompletableWork;
import dev.shard4j.tensor.Tensor;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Point-to-point transfers of an in-process group: a sender leaves a letter (its tensor) in the
 * box for its peer, and the peer copies the data straight out of it and completes the sender's work. Waits poll the
 * group's abort state every few milliseconds so that an abort wakes them. Thread-safe.
 */
final class Mailboxes {
  private static final long POLL_NANOS = 5_000_000;

  /** Fails sends that nobody received in time; one daemon thread for every group. */
  private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "shard4j-local-send-timeouts");
    t.setDaemon(true);
    return t;
  });

  /**
   * One transfer: a reference to the sender's tensor, and the sender's work. Whoever claims the
   * letter first (the receiver, or the timeout) completes the work and drops the reference.
   */
  private static final class Letter {
    final Tensor tensor;
    final CompletableWork work;
    final AtomicBoolean claimed = new AtomicBoolean();

    Letter(Tensor tensor, CompletableWork work) {
      this.tensor = tensor;
      this.work = work;
    }
  }

  private final GroupState group;
  private final BlockingQueue<Letter>[][] boxes;

  @SuppressWarnings("unchecked")
  Mailboxes(GroupState group) {
    this.group = group;
    boxes = new BlockingQueue[group.size][group.size];
    for (int from = 0; from < group.size; from++) {
      for (int to = 0; to < group.size; to++) {
        boxes[from][to] = new ArrayBlockingQueue<>(1);
      }
    }
  }

  /**
   * Leaves the call's tensor for the peer; the work completes when the peer has copied it, or
   * fails (and aborts the group) when the peer has not taken it within the timeout. Blocks only
   * while the peer has not yet taken the previous letter.
   */
  void send(int rank, Call call, int peer, CompletableWork work) {
    if (group.closed(peer)) {
      throw group.peerClosed(rank, call.op(), call.seq(), peer);
    }
    Letter letter = new Letter(call.send().contiguous(), work);
    long deadline = System.nanoTime() + group.timeout.toNanos();
    try {
      while (!boxes[rank][peer].offer(letter, POLL_NANOS, TimeUnit.NANOSECONDS)) {
        check(rank, call, peer, deadline, "take the previous send");
      }
    } catch (InterruptedException e) {
      letter.tensor.close();
      Thread.currentThread().interrupt();
      throw group.abortWith(new CollectiveException(call.op(), call.seq(), List.of(rank), call.op() + " #" + call.seq()
          + " failed on rank " + rank + ": its thread was interrupted", e));
    } catch (RuntimeException e) {
      letter.tensor.close();
      throw e;
    }
    if (group.closed(peer) || group.aborted()) {
      // The peer closed (or the group aborted) while the letter went in: it may have missed it.
      failTransfersWith(peer, group.closed(peer) ? group.peerClosed(rank, call.op(), call.seq(), peer)
          : group.failure(rank, call.op(), call.seq()));
    }
    TIMER.schedule(() -> {
      if (letter.claimed.compareAndSet(false, true)) {
        letter.tensor.close();
        CollectiveException e = new CollectiveException(call.op(), call.seq(), List.of(peer), call.op() + " #"
            + call.seq() + " on rank " + rank + " timed out after " + group.timeout.toMillis() + " ms: rank "
            + peer + " did not receive (SHARD4J_TIMEOUT)", null);
        letter.work.fail(group.abortWith(e));
      }
    }, group.timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  void recv(int rank, Call call, int peer) {
    long deadline = System.nanoTime() + group.timeout.toNanos();
    Letter letter;
    try {
      while ((letter = boxes[peer][rank].poll(POLL_NANOS, TimeUnit.NANOSECONDS)) == null) {
        check(rank, call, peer, deadline, "send");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw group.abortWith(new CollectiveException(call.op(), call.seq(), List.of(rank), call.op() + " #" + call.seq()
          + " failed on rank " + rank + ": its thread was interrupted", e));
    }
    if (!letter.claimed.compareAndSet(false, true)) {
      throw group.failure(rank, call.op(), call.seq()); // the send timed out meanwhile
    }
    Tensor dst = call.recv();
    Tensor src = letter.tensor;
    if (src.dtype() != dst.dtype() || src.numel() != dst.numel()) {
      CollectiveException e = new CollectiveException(call.op(), call.seq(), List.of(), "recv #" + call.seq()
          + " on rank " + rank + " expected " + dst.dtype() + " x " + dst.numel() + " but rank " + peer
          + " sent " + src.dtype() + " x " + src.numel(), null);
      letter.work.fail(e);
      src.close();
      throw e;
    }
    try {
      NativeApi.memcpy(dst.dataAddress(), NativeApi.HOST, src.dataAddress(), NativeApi.HOST,
          dst.numel() * dst.dtype().byteSize(), 0);
    } finally {
      src.close();
      letter.work.complete(); // after a failure too: the sender must not wait for the timeout
    }
  }

  /** Fails every letter addressed to a rank that will not take it (it closed, or the group aborted). */
  void failTransfersWith(int to, CollectiveException cause) {
    for (int from = 0; from < group.size; from++) {
      Letter letter;
      while ((letter = boxes[from][to].poll()) != null) {
        if (letter.claimed.compareAndSet(false, true)) {
          letter.tensor.close();
          letter.work.fail(cause);
        }
      }
    }
  }

  /** Fails every letter not yet taken. */
  void failAllTransfersWith(CollectiveException cause) {
    for (int to = 0; to < group.size; to++) {
      failTransfersWith(to, cause);
    }
  }

  private void check(int rank, Call call, int peer, long deadline, String what) {
    if (group.aborted()) {
      throw group.failure(rank, call.op(), call.seq());
    }
    if (group.closed(peer) && (!what.equals("send") || boxes[peer][rank].isEmpty())) {
      throw group.peerClosed(rank, call.op(), call.seq(), peer);
    }
    if (System.nanoTime() - deadline > 0) {
      throw group.abortWith(new CollectiveException(call.op(), call.seq(), List.of(peer), call.op() + " #"
          + call.seq() + " on rank " + rank + " timed out after " + group.timeout.toMillis() + " ms: rank "
          + peer + " did not " + what + " (SHARD4J_TIMEOUT)", null));
    }
  }
}
