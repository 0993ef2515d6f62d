package dev.shard4j.collectives.nccl;

import dev.shard4j.bindings.WaitTimeoutException;
import dev.shard4j.collectives.CollectiveException;
import dev.shard4j.collectives.Work;
import dev.shard4j.collectives.rendezvous.ProgressReport;
import dev.shard4j.tensor.Event;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;

/**
 * The handle of an enqueued NCCL operation: an event recorded after it on the communicator's
 * stream. Waiting polls the event and the communicator's asynchronous error; on a timeout or an
 * error the communicator is aborted and the work fails. Holds the operation's tensors until it is
 * seen done. Thread-safe.
 */
final class NcclWork implements Work {
  private final NcclCommunicator owner;
  private final String op;
  private final long seq;
  private final Event event;
  private final List<Tensor> held;
  private volatile CollectiveException error;
  private volatile boolean done;
  // False while the operation sits in an unfinished NcclCommunicator.group: its event is recorded
  // only when the group ends and NCCL has put the kernels on the stream.
  private volatile boolean issued;

  NcclWork(NcclCommunicator owner, String op, long seq, Event event, List<Tensor> held) {
    this.owner = owner;
    this.op = op;
    this.seq = seq;
    this.event = event;
    this.held = held;
  }

  @Override
  public void await(Duration timeout) {
    awaitThis(timeout);
    owner.releaseThrough(this); // outside this work's lock: the communicator locks works in order
  }

  private synchronized void awaitThis(Duration timeout) {
    requireIssued("await it after the group");
    long deadline = System.nanoTime() + timeout.toNanos();
    long pause = 1_000;
    while (!poll()) {
      if (System.nanoTime() - deadline > 0) {
        ProgressReport.Result report = owner.timeoutReport(timeout);
        CollectiveException e = new CollectiveException(op, seq, report.behind(), op + " #" + seq + " on rank "
            + owner.rank() + " did not finish within " + timeout.toMillis() + " ms: " + report.description()
            + "; the communicator was aborted", null);
        owner.abortWith(e);
        finish(e);
        throw new WaitTimeoutException(e.getMessage());
      }
      LockSupport.parkNanos(pause);
      pause = Math.min(pause * 2, 200_000);
    }
    throwIfFailed();
  }

  @Override
  public void awaitOn(Stream stream) {
    requireIssued("order streams after it once the group is over");
    throwIfFailed();
    if (!stream.device().equals(event.device())) {
      throw new IllegalArgumentException("stream " + stream + " is not on " + event.device() + ", where " + op
          + " runs");
    }
    if (stream == owner.stream()) {
      return; // its own stream runs in order: later work there follows it already
    }
    synchronized (this) {
      if (!done) {
        stream.waitFor(event);
      }
    }
  }

  private void requireIssued(String advice) {
    if (!issued) {
      throw new IllegalStateException(op + " #" + seq + " was issued inside an NcclCommunicator.group that has not "
          + "ended: " + advice);
    }
  }

  /** Rethrows the operation's failure, if it failed. */
  private void throwIfFailed() {
    CollectiveException e = error;
    if (e != null) {
      throw e;
    }
  }

  @Override
  public synchronized boolean isDone() {
    return poll();
  }

  @Override
  public Optional<Throwable> error() {
    return Optional.ofNullable(error);
  }

  /** Checks the event and the communicator; true once the work is done or has failed. */
  private boolean poll() {
    if (done) {
      return true;
    }
    if (!issued) {
      return false;
    }
    CollectiveException failure = owner.failure(op, seq);
    if (failure != null) {
      finish(failure);
      return true;
    }
    if (event.isDone()) {
      finish(null);
      return true;
    }
    return false;
  }

  /** The operation's sequence number on its communicator: works run in this order. */
  long seq() {
    return seq;
  }

  /** Whether the work finished and did not fail; never asks the device. */
  boolean isDoneWithoutError() {
    return done && error == null;
  }

  /**
   * Whether the work is done or its event has been reached: at most one driver call, no look at
   * the communicator's errors (a failed operation is reported to whoever awaits it).
   *
   * @return true once the operation has run
   */
  synchronized boolean eventReached() {
    return done || issued && event.isDone();
  }

  /**
   * Completes this work without asking the device: a later work of the same stream is done, so
   * this one is too, and failed if that one did.
   */
  synchronized void finishedBefore(NcclWork later) {
    if (!done) {
      if (later.error == null) {
        finish(null);
      } else {
        poll(); // the communicator's failure, named for this operation
      }
    }
  }

  /** Records the event after the operation, once NCCL has put it on the stream. */
  void issue(Stream stream) {
    event.record(stream);
    issued = true;
  }

  private void finish(CollectiveException e) {
    if (done) {
      return;
    }
    error = e;
    done = true;
    owner.recycle(event, e == null); // a failed operation's event may still be pending: not reused
    held.forEach(Tensor::close);
  }
}
