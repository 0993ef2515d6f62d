package dev.shard4j.fuzz;

import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.local.LocalGroup;
import dev.shard4j.tensor.Allocator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A run of collectives over an in-process group (LocalGroup) of 1 to 4 ranks, each a thread of its
 * own driving the same random sequence ({@link RankSteps}). Every wait has a timeout: the group's
 * own (a rank that does not arrive fails the others within {@link #GROUP_TIMEOUT}) and the
 * episode's ({@link #DEADLINE}), past which the episode is a hang: it reports where each rank
 * stands and what its thread is doing, aborts the group and fails the run. At the end every
 * rank's allocator must hold 0 bytes.
 */
final class CollectiveEpisode {
  static final Duration GROUP_TIMEOUT = Duration.ofSeconds(30);
  static final Duration DEADLINE = Duration.ofSeconds(150);

  final long seed;
  final int steps;
  final FuzzOptions options;
  final String name;
  private final ApiFuzzer f;
  private final long index;
  private final int world;
  private final CyclicBarrier barrier;
  /** Refusals rank 0 saw in the concurrent steps so far; guarded by this. */
  private long refusals;
  private String failure;
  private Throwable failureCause;

  CollectiveEpisode(ApiFuzzer f, long seed, long index) {
    this.f = f;
    this.seed = seed;
    this.index = index;
    this.options = f.options;
    SplittableRandom r = new SplittableRandom(seed);
    this.world = 1 + r.nextInt(4);
    this.steps = 5 + r.nextInt(40);
    this.barrier = new CyclicBarrier(world);
    this.name = "collective episode " + index + " (seed " + seed + ", " + world + " ranks, " + steps + " steps)";
  }

  void run() {
    f.note(name);
    List<Communicator> comms = LocalGroup.create(world, GROUP_TIMEOUT);
    Allocator root = Allocator.root("episode-" + index);
    List<Allocator> allocators = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(world, task -> {
      Thread t = new Thread(task, "fuzz-rank-" + threads.size());
      t.setDaemon(true);
      threads.add(t);
      return t;
    });
    List<RankSteps> ranks = new ArrayList<>();
    List<Future<FuzzStats>> futures = new ArrayList<>();
    for (int q = 0; q < world; q++) {
      Allocator a = root.newChild("rank-" + q, 64L << 20);
      allocators.add(a);
      RankSteps rank = new RankSteps(this, comms.get(q), a);
      ranks.add(rank);
      futures.add(pool.submit(rank));
    }
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    try {
      for (Future<FuzzStats> future : futures) {
        FuzzStats stats = future.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        f.stats.addAll(stats);
        f.countExternal(stats.calls());
      }
    } catch (TimeoutException e) {
      StringBuilder s = new StringBuilder(name + " hung for more than " + DEADLINE.toSeconds() + " s:");
      for (int q = 0; q < world; q++) {
        s.append("\n  ").append(ranks.get(q).current());
        if (q < threads.size()) {
          for (StackTraceElement frame : threads.get(q).getStackTrace()) {
            s.append("\n      at ").append(frame);
          }
        }
      }
      comms.get(0).abort(new IllegalStateException("the fuzzer's deadline passed"));
      pool.shutdownNow();
      throw f.failure(s.toString(), null);
    } catch (Exception e) {
      pool.shutdownNow();
      throw f.failure(name + ": " + e, e);
    }
    pool.shutdown();
    synchronized (this) {
      if (failure != null) {
        throw f.failure(name + ": " + failure, failureCause);
      }
    }
    for (Allocator a : allocators) {
      if (a.allocatedBytes() != 0) {
        throw f.failure(name + ": allocator " + a.name() + " holds " + a.allocatedBytes() + " bytes at the end:\n"
            + a.leakReport(), null);
      }
      a.close();
    }
    root.close();
  }

  /** Records the first failure of any rank; the others then stop at their next step. */
  synchronized void fail(String what, Throwable cause) {
    if (failure == null) {
      failure = what;
      failureCause = cause;
    }
  }

  synchronized boolean failed() {
    return failure != null;
  }

  /** Waits until every rank is here (after an abort, so that all know of it). */
  void sync() {
    try {
      barrier.await(GROUP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new RankSteps.StepFailure("the ranks did not all reach the fuzzer's barrier: " + e, e);
    }
  }

  /** Rank 0 saw one of its two concurrent calls refused. */
  synchronized void refused() {
    refusals++;
    notifyAll();
  }

  /**
   * The other ranks join the n-th concurrent step of the episode (from 1) once rank 0's n-th
   * refusal came, or after 10 s (then the mismatch that follows fails the episode).
   */
  synchronized void awaitRefusal(long n) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    try {
      long left;
      while (refusals < n && (left = deadline - System.nanoTime()) > 0) {
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
