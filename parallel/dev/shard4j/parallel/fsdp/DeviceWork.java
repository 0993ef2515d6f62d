package dev.shard4j.parallel.fsdp;

import dev.shard4j.collectives.Work;
import dev.shard4j.tensor.Event;
import dev.shard4j.tensor.Stream;
import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Work of a shard group scheduled on the device ({@link CommStream#onDevice}): a collective (and
 * the replicas' all-reduce that may follow it) and the kernels queued after it on the
 * communicator's stream, ending where the group's event was recorded. {@link #awaitOn} makes the
 * compute stream wait for that event without the host waiting. The event is the group's and is
 * recorded again by its next operation of the same kind, later on the same stream, so a late wait
 * on it is only longer, never short; once the group is closed (which waits for all its work) this
 * work counts as done.
 */
final class DeviceWork implements Work {
  private final Work collective;
  /** The replicas' all-reduce, or null. */
  private final Work followUp;
  private final Event done;
  private final CommStream stream;
  private final BooleanSupplier groupClosed;

  DeviceWork(Work collective, Work followUp, Event done, CommStream stream, BooleanSupplier groupClosed) {
    this.collective = collective;
    this.followUp = followUp;
    this.done = done;
    this.stream = stream;
    this.groupClosed = groupClosed;
  }

  @Override
  public void await(Duration timeout) {
    collective.await(timeout);
    if (followUp != null) {
      followUp.await(timeout);
    }
    if (!groupClosed.getAsBoolean()) {
      done.synchronize(timeout);
    }
  }

  @Override
  public void awaitOn(Stream compute) {
    error().ifPresent(DeviceWork::rethrow);
    if (!groupClosed.getAsBoolean()) {
      stream.computeWaitsFor(compute, done);
    }
  }

  @Override
  public boolean isDone() {
    return collective.isDone() && (followUp == null || followUp.isDone())
        && (groupClosed.getAsBoolean() || done.isDone());
  }

  @Override
  public Optional<Throwable> error() {
    Optional<Throwable> first = collective.error();
    return first.isPresent() || followUp == null ? first : followUp.error();
  }

  private static void rethrow(Throwable t) {
    throw t instanceof RuntimeException ? (RuntimeException) t : new IllegalStateException(t);
  }
}
