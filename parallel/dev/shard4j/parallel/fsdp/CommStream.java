package dev.shard4j.parallel.fsdp;

import dev.shard4j.bindings.Setting;
import dev.shard4j.bindings.WaitTimeoutException;
import dev.shard4j.collectives.CompletableWork;
import dev.shard4j.collectives.Work;
import dev.shard4j.tensor.Event;
import dev.shard4j.tensor.Stream;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The ordered queue on which one rank's communication, and the copies in and out of it, run
 * beside the rank's compute, as FSDP's all-gather and reduce-scatter streams do: shard groups
 * submit their collectives here ({@link ShardGroup#prefetch()}, {@link ShardGroup#reduceGradientsAsync})
 * and hand back a {@link Work} for the trainer to wait on when it needs the result.
 *
 * <p>A {@linkplain #create threaded} stream runs its tasks in submission order on a thread of its
 * own, so the communication of one group overlaps the compute of another (on a GPU that thread
 * only enqueues, and the collectives run on the device). An {@linkplain #inline inline} stream runs
 * each task at submission on the caller's thread: the same schedule without overlap. Every rank
 * must submit the same collectives in the same order, and nothing else may call the
 * communicators involved while tasks on them are pending.
 *
 * <p>On a GPU, a {@linkplain #onDevice device} stream runs nothing on the host: the groups queue
 * their collectives and copies on the communicators' CUDA streams, joined to the compute (default)
 * stream by events, as FSDP2 does, so the host never waits for communication and runs ahead of
 * the device. (A host thread would have to wait for each collective before it could queue the
 * copy-out behind it.)
 *
 * <p>The stream counts the time its tasks ran ({@link #busyNanos()}) and the time callers spent
 * blocked waiting for them ({@link #waitedNanos()}): the communication that compute did not hide.
 * A device stream measures both on the device, with timing events: the time the communicators'
 * streams spent on the groups' work (after waiting for the compute it depends on), and the time
 * the compute stream stalled waiting for it.
 * After a task fails, every later task fails at once, naming the first failure, so that no rank
 * waits on a collective that its peers will never join. Thread-safe; the creator closes it.
 */
public final class CommStream implements AutoCloseable {
  private final String name;
  private final ExecutorService thread;
  private final boolean device;
  private final DeviceTimes deviceBusy = new DeviceTimes();
  private final DeviceTimes deviceWaited = new DeviceTimes();
  /** Recorded on the compute stream for a communicator's stream to wait on; made at first use. */
  private Event handOff;
  private final AtomicLong busyNanos = new AtomicLong();
  private final AtomicLong waitedNanos = new AtomicLong();
  private volatile Throwable failure;
  private volatile boolean closed;

  private CommStream(String name, ExecutorService thread, boolean device) {
    this.name = Objects.requireNonNull(name, "name");
    this.thread = thread;
    this.device = device;
  }

  /**
   * A stream with a thread of its own.
   *
   * @param name names the thread and the stream in errors
   * @return the stream, owned by the caller
   */
  public static CommStream create(String name) {
    return new CommStream(name, Executors.newSingleThreadExecutor(task -> {
      Thread t = new Thread(task, "shard4j-comm-" + name);
      t.setDaemon(true);
      return t;
    }), false);
  }

  /**
   * A stream that runs each task at submission on the caller's thread (no overlap).
   *
   * @param name names the stream in errors
   * @return the stream, owned by the caller
   */
  public static CommStream inline(String name) {
    return new CommStream(name, null, false);
  }

  /**
   * A stream on which the groups schedule their work on the device (see above); {@link #submit}
   * runs a task at once on the caller's thread, as an inline stream does. With the CPU backend,
   * whose collectives run on the ranks' threads, the same schedule runs without overlap.
   *
   * @param name names the stream in errors
   * @return the stream, owned by the caller
   */
  public static CommStream onDevice(String name) {
    return new CommStream(name, null, true);
  }

  /**
   * Whether communication runs beside the caller's compute.
   *
   * @return false for an inline stream
   */
  public boolean overlaps() {
    return thread != null || device;
  }

  /**
   * Whether the groups schedule their work on the device's streams.
   *
   * @return true for a {@linkplain #onDevice device} stream
   */
  public boolean onDevice() {
    return device;
  }

  /**
   * Makes a communicator's stream wait for the work queued so far on the compute stream, then
   * marks the start of the group's device work on it (so its time excludes that wait).
   *
   * @param comm the communicator's stream
   * @return the start mark, for {@link #deviceWorkEnds}
   */
  synchronized Event deviceWorkStarts(Stream comm) {
    if (handOff == null) {
      handOff = Event.create(comm.device(), false);
    }
    handOff.record(Stream.defaultStream(comm.device()));
    comm.waitFor(handOff);
    return deviceBusy.mark(comm);
  }

  /**
   * Counts the device work from start to the current end of the communicator's stream.
   *
   * @param comm the communicator's stream
   * @param start what {@link #deviceWorkStarts} returned
   */
  synchronized void deviceWorkEnds(Stream comm, Event start) {
    deviceBusy.span(start, comm);
  }

  /**
   * Makes the compute stream wait for an event of the communication and counts how long it stalls.
   *
   * @param compute the stream that needs the result
   * @param done recorded after the communication
   */
  synchronized void computeWaitsFor(Stream compute, Event done) {
    Event before = deviceWaited.mark(compute);
    compute.waitFor(done);
    deviceWaited.span(before, compute);
  }

  /**
   * Queues a task behind those already submitted.
   *
   * @param description names the task in errors
   * @param task the work
   * @return completes when the task has run; its failure is rethrown by {@link Work#await()}
   * @throws IllegalStateException when the stream is closed
   */
  public Work submit(String description, Runnable task) {
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(task, "task");
    if (closed) {
      throw new IllegalStateException("comm stream '" + name + "' is closed");
    }
    Timed work = new Timed(new CompletableWork(description + " on comm stream '" + name + "'"));
    if (thread == null) {
      long t0 = System.nanoTime();
      run(work.done, task);
      long spent = System.nanoTime() - t0;
      waitedNanos.addAndGet(spent); // the caller waited for all of it
      return work;
    }
    try {
      thread.execute(() -> run(work.done, task));
    } catch (RejectedExecutionException e) {
      throw new IllegalStateException("comm stream '" + name + "' is closed", e);
    }
    return work;
  }

  private void run(CompletableWork done, Runnable task) {
    Throwable earlier = failure;
    if (earlier != null) {
      done.fail(new IllegalStateException("not run: an earlier task on comm stream '" + name + "' failed", earlier));
      return;
    }
    long t0 = System.nanoTime();
    try {
      task.run();
      done.complete();
    } catch (Throwable t) {
      failure = t;
      done.fail(t);
    } finally {
      busyNanos.addAndGet(System.nanoTime() - t0);
    }
  }

  /**
   * Nanoseconds the tasks ran, over the stream's life.
   *
   * @return the communication time
   */
  public long busyNanos() {
    synchronized (this) {
      return busyNanos.get() + deviceBusy.nanos(false);
    }
  }

  /**
   * Nanoseconds callers spent blocked in {@link Work#await()} on this stream's tasks (an inline
   * stream counts each task's whole run).
   *
   * @return the communication time that compute did not hide
   */
  public long waitedNanos() {
    synchronized (this) {
      return waitedNanos.get() + deviceWaited.nanos(false);
    }
  }

  /**
   * Waits for the queued tasks, then stops the thread. Idempotent.
   *
   * @throws WaitTimeoutException when the tasks are not done within SHARD4J_TIMEOUT (the thread is
   *     interrupted then)
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    synchronized (this) {
      try (DeviceTimes busy = deviceBusy; DeviceTimes waited = deviceWaited) {
        // closing reads every pending span; the sums stay readable
      } finally {
        if (handOff != null) {
          handOff.close();
        }
      }
    }
    if (thread == null) {
      return;
    }
    thread.shutdown();
    Duration timeout = Setting.TIMEOUT.asSeconds();
    boolean done;
    try {
      done = thread.awaitTermination(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      done = false;
    }
    if (!done) {
      thread.shutdownNow();
      throw new WaitTimeoutException("comm stream '" + name + "' still had tasks running after "
          + timeout.toSeconds() + " s at close");
    }
  }

  @Override
  public String toString() {
    return "CommStream[" + name + (device ? ", on device" : thread == null ? ", inline" : "") + "]";
  }

  /** A task's completion whose waits are counted. */
  private final class Timed implements Work {
    private final CompletableWork done;

    Timed(CompletableWork done) {
      this.done = done;
    }

    @Override
    public void await() {
      if (done.isDone()) {
        done.await();
        return;
      }
      long t0 = System.nanoTime();
      try {
        done.await();
      } finally {
        waitedNanos.addAndGet(System.nanoTime() - t0);
      }
    }

    @Override
    public void await(Duration timeout) {
      long t0 = System.nanoTime();
      try {
        done.await(timeout);
      } finally {
        waitedNanos.addAndGet(System.nanoTime() - t0);
      }
    }

    @Override
    public boolean isDone() {
      return done.isDone();
    }

    @Override
    public Optional<Throwable> error() {
      return done.error();
    }
  }
}
