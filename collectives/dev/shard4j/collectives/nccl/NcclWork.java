package dev.shard4j.collectives.nccl;

import dev.shard4j.bindings.Setting;
import dev.shard4j.bindings.WaitTimeoutException;
import dev.shard4j.collectives.CollectiveException;
import dev.shard4j.collectives.Work;
import dev.shard4j.tensor.Event;
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
  private volatile Throwable error;
  private volatile boolean done;

  NcclWork(NcclCommunicator owner, String op, long seq, Event event, List<Tensor> held) {
    this.owner = owner;
    this.op = op;
    this.seq = seq;
    this.event = event;
    this.held = held;
  }

  @Override
  public void await() {
    await(Setting.TIMEOUT.asSeconds());
  }

  @Override
  public synchronized void await(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pause = 1_000;
    while (!poll()) {
      if (System.nanoTime() - deadline > 0) {
        CollectiveException e = new CollectiveException(op, seq, List.of(), op + " #" + seq + " on rank "
            + owner.rank() + " did not finish within " + timeout.toMillis() + " ms; the communicator was aborted "
            + "(NCCL does not tell which ranks did not arrive)", null);
        owner.abortWith(e);
        finish(e);
        throw new WaitTimeoutException(e.getMessage());
      }
      LockSupport.parkNanos(pause);
      pause = Math.min(pause * 2, 200_000);
    }
    if (error != null) {
      throw error instanceof RuntimeException ? (RuntimeException) error : new IllegalStateException(error);
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

  private void finish(Throwable e) {
    if (done) {
      return;
    }
    error = e;
    done = true;
    owner.recycle(event, e == null); // a failed operation's event may still be pending: not reused
    held.forEach(Tensor::close);
  }
}
