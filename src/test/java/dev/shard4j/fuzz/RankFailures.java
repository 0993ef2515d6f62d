package dev.shard4j.fuzz;

import dev.shard4j.collectives.CollectiveException;
import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.RedOp;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Tensor;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The steps of a collective episode that end it with a failure every rank must see (ranks calling
 * different collectives, an abort, a receive that does not match its send), the concurrent call
 * of CONCURRENT_COMMUNICATOR_USE, and the calls on a closed communicator after the episode.
 */
final class RankFailures {
  private final RankSteps steps;
  private final CollectiveEpisode episode;
  private final Communicator comm;
  private final int rank;
  private final int world;
  /** This rank's concurrent steps so far in the episode: every rank counts the same. */
  private long concurrentSteps;

  RankFailures(RankSteps steps, CollectiveEpisode episode, Communicator comm) {
    this.steps = steps;
    this.episode = episode;
    this.comm = comm;
    this.rank = comm.rank();
    this.world = comm.size();
  }

  /** Rank 0 calls something else than the others: every rank gets a CollectiveException. */
  void mismatch(SplittableRandom r) {
    int kind = r.nextInt(4);
    int count = 1 + r.nextInt(16);
    steps.current("mismatch " + kind);
    DType dtype = kind == 3 && rank == 0 ? DType.I32 : DType.F32;
    Tensor t = steps.zerosOf(dtype, kind == 0 && rank == 0 ? count + 1 : count);
    RedOp op = kind == 2 && rank == 0 ? RedOp.MAX : RedOp.SUM;
    Outcome mismatch = Outcome.fails(CollectiveException.class, "mismatch");
    steps.checked("Communicator.allReduce(mismatched)", mismatch, () -> {
      if (kind == 1 && rank == 0) {
        comm.barrier();
      } else {
        comm.allReduce(t, t, op);
      }
      return null;
    });
    afterFailure();
  }

  /** Once the group has failed, every operation fails with a CollectiveException. */
  private void afterFailure() {
    steps.checked("Communicator.barrier(failed group)", Outcome.fails(CollectiveException.class, "aborted"), () -> {
      comm.barrier();
      return null;
    });
  }

  /**
   * One rank aborts the group; once every rank knows, each operation fails. The ranks meet first
   * (outside the group): an abort fails every operation still pending, and a rank may still be on
   * its way out of the last collective when a faster one aborts.
   */
  void abort(SplittableRandom r) {
    int victim = r.nextInt(world);
    steps.current("abort by " + victim);
    episode.sync();
    if (rank == victim) {
      steps.checked("Communicator.abort", Outcome.ok(), () -> {
        comm.abort(new IllegalStateException("fuzz abort"));
        return null;
      });
    }
    episode.sync();
    afterFailure();
  }

  /** A receive of another dtype than the send: both sides fail with a CollectiveException. */
  void p2pMismatch(SplittableRandom r) {
    int from = r.nextInt(world);
    int to = (from + 1 + r.nextInt(world - 1)) % world;
    int count = 1 + r.nextInt(9);
    steps.current("send F32 x" + count + " from " + from + " received as I32 by " + to);
    Outcome fails = Outcome.fails(CollectiveException.class, "expected");
    if (rank == from) {
      Tensor out = steps.zerosOf(DType.F32, count);
      steps.checked("Communicator.send(mismatched)", fails, () -> {
        comm.send(out, to);
        return null;
      });
    } else if (rank == to) {
      Tensor in = steps.zerosOf(DType.I32, count);
      steps.checked("Communicator.recv(mismatched)", fails, () -> {
        comm.recv(in, from);
        return null;
      });
    }
  }

  /**
   * Rank 0 calls allReduce from two threads at once: one of the two calls must be refused with an
   * IllegalStateException and the other must complete; the other ranks join once it is refused.
   */
  void concurrent(SplittableRandom r, int salt) {
    int count = 1 + r.nextInt(16);
    steps.current("allReduce from two threads at once on rank 0");
    double[] e = new double[count];
    for (int i = 0; i < count; i++) {
      e[i] = GroupValues.reduced(DType.F32, world, i, RedOp.SUM, salt);
    }
    long nth = ++concurrentSteps;
    if (rank != 0) {
      episode.awaitRefusal(nth);
      Tensor t = steps.tensorOf(GroupValues.input(DType.F32, rank, 0, count, RedOp.SUM, salt), DType.F32);
      steps.checked("Communicator.allReduce", Outcome.ok(), () -> {
        comm.allReduce(t, t, RedOp.SUM);
        return null;
      });
      steps.expectOf("allReduce", e, t, DType.F32, RedOp.SUM);
      return;
    }
    Tensor a = steps.tensorOf(GroupValues.input(DType.F32, 0, 0, count, RedOp.SUM, salt), DType.F32);
    Tensor b = steps.tensorOf(GroupValues.input(DType.F32, 0, 0, count, RedOp.SUM, salt), DType.F32);
    Throwable[] outcome = new Throwable[2];
    Thread other = new Thread(() -> outcome[1] = attempt(b), "fuzz-second-caller");
    other.setDaemon(true);
    other.start();
    outcome[0] = attempt(a);
    try {
      other.join(TimeUnit.SECONDS.toMillis(RankSteps.AWAIT.toSeconds()));
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
    }
    int refused = 0;
    for (Throwable t : outcome) {
      if (t instanceof IllegalStateException) {
        refused++;
      } else if (t != null) {
        throw new RankSteps.StepFailure("a concurrent allReduce failed with " + t, t);
      }
    }
    steps.count("Communicator.allReduce(concurrent)", refused == 1);
    if (refused != 1 || other.isAlive()) {
      throw new RankSteps.StepFailure(refused + " of two concurrent calls were refused", null);
    }
    steps.expectOf("allReduce", e, outcome[0] == null ? a : b, DType.F32, RedOp.SUM);
  }

  /** One of the concurrent calls: null when it completed, else what it threw. */
  private Throwable attempt(Tensor t) {
    try {
      if (Thread.currentThread().getName().equals("fuzz-second-caller")) {
        Thread.sleep(20);
      }
      comm.allReduce(t, t, RedOp.SUM);
      return null;
    } catch (Throwable e) {
      if (e instanceof IllegalStateException) {
        episode.refused();
      }
      return e;
    }
  }

  /** After the episode: a closed communicator refuses every operation, and closes again quietly. */
  void closing() {
    comm.close();
    comm.close();
    steps.current("calls on a closed communicator");
    Tensor t = steps.zerosOf(DType.F32, 4);
    Outcome closed = Outcome.fails(IllegalStateException.class, "is closed");
    steps.checked("Communicator.allReduce(closed)", closed, () -> {
      comm.allReduce(t, t, RedOp.SUM);
      return null;
    });
    steps.checked("Communicator.barrier(closed)", closed, () -> {
      comm.barrier();
      return null;
    });
    steps.checked("Communicator.split(closed)", closed, () -> comm.split(0, 0));
    steps.closeOpenOf();
  }
}
