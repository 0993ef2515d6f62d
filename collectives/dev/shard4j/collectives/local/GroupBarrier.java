package dev.shard4j.collectives.local;

import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * A reusable barrier for the ranks of one group, tuned for collectives: a waiting rank spins for a
 * few microseconds when every rank has a core of its own (the others are usually close behind),
 * then yields, then parks, so that it never holds a core for long when there are more ranks than
 * cores. The last rank to arrive runs the barrier's trip action, then wakes the parked ones.
 * Breaking the barrier releases every waiter at once. Thread-safe.
 */
final class GroupBarrier {
  /** Spinning pays only while every rank has a core; with more ranks than cores, yield at once. */
  private static final int SPINS_PER_CORE_RANK = 4000;
  private static final int YIELDS = 64;
  private static final long PARK_NANOS = 200_000;

  private final int parties;
  private final int spins;
  private final AtomicInteger arrived = new AtomicInteger();
  private final AtomicReferenceArray<Thread> parked;
  private final Runnable onTrip;
  private volatile long generation;
  private volatile boolean broken;

  /**
   * @param parties the ranks that meet
   * @param onTrip run by the last rank to arrive, before any waiter is released (while every rank
   *     is inside the barrier)
   */
  GroupBarrier(int parties, Runnable onTrip) {
    this.parties = parties;
    this.onTrip = onTrip;
    this.spins = parties <= Runtime.getRuntime().availableProcessors() ? SPINS_PER_CORE_RANK : 0;
    this.parked = new AtomicReferenceArray<>(slot(parties));
  }

  /**
   * Arrives and waits for the others.
   *
   * @return false if the barrier was broken before every rank arrived; a meeting that every rank
   *     reached has happened, whatever breaks the barrier after it (a peer that moves on and closes)
   * @throws TimeoutException when the others did not all arrive in time
   */
  boolean await(int rank, long timeoutNanos) throws TimeoutException {
    long gen = generation;
    if (broken) {
      return false;
    }
    if (arrived.incrementAndGet() == parties) {
      arrived.set(0); // nobody can arrive for the next round before the generation moves
      onTrip.run();
      generation = gen + 1;
      wakeAll();
      return true;
    }
    long start = System.nanoTime();
    boolean registered = false;
    try {
      for (int i = 0; generation == gen; i++) {
        if (broken) {
          return generation != gen;
        }
        if (i < spins) {
          Thread.onSpinWait();
        } else if (i < spins + YIELDS) {
          Thread.yield();
        } else if (!registered) {
          // Registered only when about to park: spinning ranks write nothing shared. The
          // generation is read again after registering, so a wake-up cannot be missed.
          parked.set(slot(rank), Thread.currentThread());
          registered = true;
        } else {
          LockSupport.parkNanos(this, PARK_NANOS);
          if (Thread.interrupted()) {
            Thread.currentThread().interrupt();
            throw new TimeoutException("interrupted");
          }
        }
        if ((i & 15) == 0 && System.nanoTime() - start > timeoutNanos) {
          throw new TimeoutException();
        }
      }
      return true;
    } finally {
      if (registered) {
        parked.set(slot(rank), null);
      }
    }
  }

  /** Releases every waiter now and every later arrival at once. */
  void breakBarrier() {
    broken = true;
    wakeAll();
  }

  /** Each rank's entry on a cache line of its own, so that ranks never write each other's lines. */
  static int slot(int rank) {
    return rank * 16;
  }

  private void wakeAll() {
    for (int q = 0; q < parties; q++) {
      Thread t = parked.get(slot(q));
      if (t != null) {
        LockSupport.unpark(t);
      }
    }
  }
}
