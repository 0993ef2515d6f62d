package dev.shard4j.tensor;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.bindings.Setting;
import dev.shard4j.bindings.WaitTimeoutException;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * An ordered queue of device work: a CUDA stream, or on the CPU the calling thread (work runs at
 * once, in order, so every query says done). Create one with {@link #create}; the default stream
 * of a device ({@link #defaultStream}) is shared and its {@code close()} does nothing.
 *
 * <p>Thread-safe for enqueueing work as CUDA streams are; the creator owns it and closes it once
 * its work is no longer needed (CUDA lets queued work finish).
 */
public final class Stream implements AutoCloseable {
  private final Device device;
  private final long handle;
  private final boolean owned;
  private volatile boolean closed;

  private Stream(Device device, long handle, boolean owned) {
    this.device = device;
    this.handle = handle;
    this.owned = owned;
  }

  /**
   * A new stream on the device (non-blocking with respect to the default stream).
   *
   * @param device where its work runs
   * @return the stream, owned by the caller
   */
  public static Stream create(Device device) {
    device.requireAvailable();
    long handle = device.isCuda() ? NativeApi.streamCreate(device.index()) : 0;
    return new Stream(device, handle, device.isCuda());
  }

  /**
   * The device's default stream, which tensor operations without a stream argument use.
   *
   * @param device the device
   * @return the shared stream; closing it does nothing
   */
  public static Stream defaultStream(Device device) {
    return new Stream(device, 0, false);
  }

  /**
   * The device the stream runs on.
   *
   * @return the device
   */
  public Device device() {
    return device;
  }

  /**
   * The native handle, for kernel launches from the layers above; valid until close.
   *
   * @return the cudaStream_t value (0 for a default stream and on the CPU)
   */
  public long nativeHandle() {
    requireOpen();
    return handle;
  }

  /**
   * Records an event at the current end of the stream.
   *
   * @return the event, owned by the caller
   */
  public Event record() {
    Event event = Event.create(device, false);
    event.record(this);
    return event;
  }

  /**
   * Makes work queued later on this stream wait until the event's work is done.
   *
   * @param event recorded on any stream of the same device
   */
  public void waitFor(Event event) {
    requireOpen();
    if (!event.device().equals(device)) {
      throw new IllegalArgumentException("event on " + event.device() + " cannot order stream on " + device);
    }
    long eventHandle = event.nativeHandle(); // also refuses a closed event
    if (device.isCuda()) {
      NativeApi.streamWaitEvent(device.index(), handle, eventHandle);
    }
  }

  /**
   * Whether all work queued so far is done; never blocks.
   *
   * @return true when done
   */
  public boolean isDone() {
    requireOpen();
    return !device.isCuda() || NativeApi.streamQuery(device.index(), handle);
  }

  /**
   * Waits for all queued work, at most SHARD4J_TIMEOUT.
   *
   * @throws WaitTimeoutException when the time runs out
   */
  public void synchronize() {
    synchronize(Setting.TIMEOUT.asSeconds());
  }

  /**
   * Waits for all queued work.
   *
   * @param timeout the longest wait
   * @throws WaitTimeoutException when the time runs out
   */
  public void synchronize(Duration timeout) {
    awaitDone(this::isDone, timeout, "stream on " + device);
  }

  /** Polls until done, spinning briefly and then parking with a growing pause. */
  static void awaitDone(java.util.function.BooleanSupplier done, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pause = 1_000;
    for (int spins = 0; !done.getAsBoolean(); spins++) {
      if (System.nanoTime() - deadline > 0) {
        throw new WaitTimeoutException(what + " was not done after " + timeout.toMillis()
            + " ms (" + Setting.TIMEOUT.key() + ")");
      }
      if (spins < 100) {
        Thread.onSpinWait();
      } else {
        LockSupport.parkNanos(pause);
        pause = Math.min(pause * 2, 1_000_000);
      }
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("stream on " + device + " is closed");
    }
  }

  /** Destroys the stream; idempotent. Work already queued still completes. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (owned) {
      NativeApi.streamDestroy(device.index(), handle);
    }
  }

  @Override
  public String toString() {
    return "Stream[" + device + (handle == 0 ? ", default" : "") + "]";
  }
}
