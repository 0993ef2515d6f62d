package dev.shard4j.tensor;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.bindings.Setting;
import dev.shard4j.bindings.WaitTimeoutException;
import java.time.Duration;

/**
 * A point in a stream's work: a CUDA event, or on the CPU a point that is always reached (CPU
 * work runs at once). Used for hand-offs between streams and for timing.
 *
 * <p>Thread-safe for queries; the creator owns it and closes it.
 */
public final class Event implements AutoCloseable {
  private final Device device;
  private final long handle;
  private final boolean timing;
  private volatile boolean recorded;
  private volatile boolean closed;

  private Event(Device device, long handle, boolean timing) {
    this.device = device;
    this.handle = handle;
    this.timing = timing;
  }

  /**
   * A new, unrecorded event.
   *
   * @param device the device of the streams it will be recorded on
   * @param timing whether {@link #elapsedMillis} may be used on it (slower to record)
   * @return the event, owned by the caller
   */
  public static Event create(Device device, boolean timing) {
    device.requireAvailable();
    long handle = device.isCuda() ? NativeApi.eventCreate(device.index(), timing) : 0;
    return new Event(device, handle, timing);
  }

  /**
   * Records the event at the current end of a stream (again, if recorded before).
   *
   * @param stream a stream of the same device
   */
  public void record(Stream stream) {
    requireOpen();
    if (!stream.device().equals(device)) {
      throw new IllegalArgumentException("event of " + device + " cannot be recorded on " + stream);
    }
    if (device.isCuda()) {
      NativeApi.eventRecord(device.index(), handle, stream.nativeHandle());
    }
    recorded = true;
  }

  /**
   * The device of the event.
   *
   * @return the device
   */
  public Device device() {
    return device;
  }

  /**
   * The native handle; valid until close.
   *
   * @return the cudaEvent_t value (0 on the CPU)
   */
  public long nativeHandle() {
    requireOpen();
    return handle;
  }

  /**
   * Whether the work before the last record is done (true if never recorded); never blocks.
   *
   * @return true when done
   */
  public boolean isDone() {
    requireOpen();
    return !device.isCuda() || !recorded || NativeApi.eventQuery(device.index(), handle);
  }

  /**
   * Waits until the event is reached, at most SHARD4J_TIMEOUT.
   *
   * @throws WaitTimeoutException when the time runs out
   */
  public void synchronize() {
    synchronize(Setting.TIMEOUT.asSeconds());
  }

  /**
   * Waits until the event is reached.
   *
   * @param timeout the longest wait
   * @throws WaitTimeoutException when the time runs out
   */
  public void synchronize(Duration timeout) {
    Stream.awaitDone(this::isDone, timeout, "event on " + device);
  }

  /**
   * Milliseconds between two reached timing events (0 on the CPU, where there is no device clock).
   *
   * @param start the earlier event
   * @param end the later event
   * @return the time between them
   */
  public static float elapsedMillis(Event start, Event end) {
    if (!start.device.equals(end.device)) {
      throw new IllegalArgumentException("events on " + start.device + " and " + end.device);
    }
    if (!start.timing || !end.timing) {
      throw new IllegalArgumentException("both events must be created with timing enabled");
    }
    if (!start.recorded || !end.recorded) {
      throw new IllegalStateException("both events must be recorded first");
    }
    if (!start.device.isCuda()) {
      return 0f;
    }
    return NativeApi.eventElapsedMillis(start.device.index(), start.nativeHandle(), end.nativeHandle());
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("event on " + device + " is closed");
    }
  }

  /** Destroys the event; idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (device.isCuda()) {
      NativeApi.eventDestroy(device.index(), handle);
    }
  }
}
