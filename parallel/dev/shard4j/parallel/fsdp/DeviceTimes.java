package dev.shard4j.parallel.fsdp;

import dev.shard4j.tensor.Event;
import dev.shard4j.tensor.Stream;
import java.util.ArrayDeque;

/**
 * A sum of device time between pairs of timing events ({@link #mark} then {@link #span}), read as
 * the pairs are reached: reading a pair earlier would make the host wait for the device. Events
 * are reused once read. On the CPU, where there is no device clock, every span counts zero. Not
 * thread-safe.
 */
final class DeviceTimes implements AutoCloseable {
  private final ArrayDeque<Event[]> pending = new ArrayDeque<>();
  private final ArrayDeque<Event> spare = new ArrayDeque<>();
  private long nanos;

  /**
   * Records a timing event at the current end of a stream.
   *
   * @param stream where
   * @return the event, owned by this object
   */
  Event mark(Stream stream) {
    Event e = spare.pollFirst();
    if (e != null && !e.device().equals(stream.device())) {
      e.close();
      e = null;
    }
    if (e == null) {
      e = Event.create(stream.device(), true);
    }
    e.record(stream);
    return e;
  }

  /**
   * Adds the device time from start to a mark made now on the stream.
   *
   * @param start a {@link #mark} of this object
   * @param stream the stream on which the span ends
   */
  void span(Event start, Stream stream) {
    pending.addLast(new Event[] {start, mark(stream)});
    collect(false);
  }

  /**
   * The time of the spans reached so far.
   *
   * @param waitForAll whether to wait for the pending spans first
   * @return nanoseconds
   */
  long nanos(boolean waitForAll) {
    collect(waitForAll);
    return nanos;
  }

  private void collect(boolean waitForAll) {
    while (!pending.isEmpty()) {
      Event[] pair = pending.peekFirst();
      if (waitForAll) {
        pair[1].synchronize();
      } else if (!pair[1].isDone()) {
        return;
      }
      nanos += Math.round(Event.elapsedMillis(pair[0], pair[1]) * 1e6);
      pending.pollFirst();
      spare.addLast(pair[0]);
      spare.addLast(pair[1]);
    }
  }

  /** Reads the pending spans (waiting for them) and frees every event. */
  @Override
  public void close() {
    try {
      collect(true);
    } finally {
      for (Event[] pair : pending) {
        pair[0].close();
        pair[1].close();
      }
      pending.clear();
      spare.forEach(Event::close);
      spare.clear();
    }
  }
}
