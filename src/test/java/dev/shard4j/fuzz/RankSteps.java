package dev.shard4j.fuzz;

import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.RedOp;
import dev.shard4j.collectives.Work;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * What one rank of a collective episode does: the same random sequence of collectives as every
 * other rank (each step's choices come from the episode's seed and the step number alone), with
 * buffers of its own allocator, its own choice of blocking or async forms, and a check of every
 * result against {@link GroupValues}. A step may make one rank alone call with a defect that the
 * API refuses before any rank waits (the others skip it), or end the episode with a failure that
 * every rank must see: ranks calling different collectives, an abort, a receive that does not
 * match its send.
 */
final class RankSteps implements Callable<FuzzStats> {
  private static final RedOp[] OPS = {RedOp.SUM, RedOp.PROD, RedOp.MAX, RedOp.MIN, RedOp.AVG, RedOp.premulSum(0.5),
      RedOp.premulSum(2), RedOp.premulSum(-1)};
  static final Duration AWAIT = Duration.ofSeconds(60);

  private final CollectiveEpisode episode;
  private final Communicator comm;
  private final Allocator allocator;
  private final int rank;
  private final int world;
  private final FuzzStats stats = new FuzzStats();
  private final List<Tensor> open = new ArrayList<>();
  private final RankFailures failures;
  private final RankExchanges exchanges;
  private int step;
  private String current = "";

  RankSteps(CollectiveEpisode episode, Communicator comm, Allocator allocator) {
    this.episode = episode;
    this.comm = comm;
    this.allocator = allocator;
    this.rank = comm.rank();
    this.world = comm.size();
    this.failures = new RankFailures(this, episode, comm);
    this.exchanges = new RankExchanges(this, comm);
  }

  @Override
  public FuzzStats call() {
    try {
      for (step = 0; step < episode.steps && !episode.failed(); step++) {
        SplittableRandom r = new SplittableRandom(episode.seed ^ (step + 1) * 0x9E3779B97F4A7C15L);
        SplittableRandom mine = new SplittableRandom(r.nextLong() ^ (rank + 1) * 0xC2B2AE3D27D4EB4FL);
        boolean ends = step(r, mine);
        if (episode.options.trace()) {
          System.err.println("  " + episode.name + " rank " + rank + " step " + step + ": " + current);
        }
        closeOpen();
        if (ends) {
          break;
        }
      }
      closeOpen();
      failures.closing();
    } catch (StepFailure e) {
      fail(e.getMessage(), e.getCause());
      comm.abort(e);
    } catch (Throwable t) {
      fail("unexpected " + t, t);
      comm.abort(t);
    } finally {
      closeOpen();
      comm.close();
    }
    return stats;
  }

  String current() {
    return "rank " + rank + " step " + step + ": " + current;
  }

  private void fail(String what, Throwable cause) {
    episode.fail("rank " + rank + " of " + world + ", step " + step + " (" + current + "): " + what, cause);
  }

  /** Runs a call that must end as expected; returns its value, or null when it threw as allowed. */
  private <T> T call(String op, Outcome expected, Callable<T> body) {
    T value;
    try {
      value = body.call();
    } catch (Throwable t) {
      String why = expected.judge(t);
      if (why != null) {
        throw new StepFailure(op + ": " + why, t);
      }
      stats.count(op, true);
      return null;
    }
    if (!expected.successAllowed()) {
      throw new StepFailure(op + ": expected " + expected + ", but the call succeeded", null);
    }
    stats.count(op, false);
    return value;
  }

  /** A call that broke the rules; the rank stops and aborts the group so that the others stop too. */
  static final class StepFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StepFailure(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private Tensor tensor(double[] values, DType dtype) {
    Tensor t = Tensors.fromArray(allocator, values, dtype, Device.CPU, values.length);
    open.add(t);
    return t;
  }

  private Tensor zeros(DType dtype, long count) {
    Tensor t = Tensors.zeros(allocator, dtype, Device.CPU, count);
    open.add(t);
    return t;
  }

  /** A view made in a step, closed after it like the step's tensors. */
  Tensor keep(Tensor view) {
    open.add(view);
    return view;
  }

  private void closeOpen() {
    open.forEach(Tensor::close);
    open.clear();
  }

  private void expect(String what, double[] expected, Tensor got, DType dtype, RedOp op) {
    double[] g = got.toDoubleArray();
    for (int i = 0; i < expected.length; i++) {
      if (!GroupValues.matches(dtype, op, world, expected[i], g[i])) {
        throw new StepFailure(what + " " + dtype + " " + op + ": element " + i + " is " + g[i] + ", expected "
            + expected[i], null);
      }
    }
  }

  static DType dtype(SplittableRandom r) {
    return DType.values()[r.nextInt(DType.values().length)];
  }

  static RedOp op(SplittableRandom r, DType dtype) {
    while (true) {
      RedOp op = OPS[r.nextInt(OPS.length)];
      if (dtype.isFloatingPoint() || !op.floatOnly()) {
        return op;
      }
    }
  }

  static int count(SplittableRandom r) {
    return r.nextInt(12) == 0 ? 3000 + r.nextInt(17_000) : r.nextInt(65);
  }

  /** Blocking, or async and awaited: the rank's own choice. */
  private void run(SplittableRandom mine, String op, java.util.function.Supplier<Work> async, Runnable blocking) {
    if (mine.nextInt(4) == 0) {
      Work w = call(op + "Async", Outcome.ok(), async::get);
      w.await(AWAIT);
      if (!w.isDone() || w.error().isPresent()) {
        throw new StepFailure(op + "Async: awaited work is not done, or failed: " + w.error(), null);
      }
    } else {
      call(op, Outcome.ok(), () -> {
        blocking.run();
        return null;
      });
    }
  }

  // ---- one step ------------------------------------------------------------------------------------

  /** One step; true when it ends the episode (every rank decides the same). */
  private boolean step(SplittableRandom r, SplittableRandom mine) {
    int k = r.nextInt(100);
    int salt = r.nextInt(1000);
    if (k < 18 || k == 99) {
      allReduce(r, mine, salt);
    } else if (k < 28) {
      allGather(r, mine, salt);
    } else if (k < 38) {
      reduceScatter(r, mine, salt);
    } else if (k < 46) {
      broadcast(r, mine, salt);
    } else if (k < 53) {
      reduce(r, mine, salt);
    } else if (k < 59) {
      allToAll(r, mine, salt);
    } else if (k < 62) {
      current = "barrier";
      run(mine, "Communicator.barrier", comm::barrierAsync, comm::barrier);
    } else if (k < 70) {
      exchanges.pair(r, salt);
    } else if (k < 75) {
      exchanges.ring(r, mine, salt);
    } else if (k < 80) {
      exchanges.asyncBatch(r, mine, salt);
    } else if (k < 84) {
      exchanges.split(r);
    } else if (k < 95) {
      int victim = r.nextInt(world);
      int defect = r.nextInt(RankDefects.COUNT);
      if (victim == rank) {
        current = "defect " + defect;
        new RankDefects(this, comm, allocator, r).run(defect);
        closeOpen();
      }
    } else if (k == 95 && world > 1) {
      failures.mismatch(r);
      return true;
    } else if (k == 96) {
      failures.abort(r);
      return true;
    } else if (k == 97 && world > 1) {
      failures.p2pMismatch(r);
      return true;
    } else if (k == 98 && world > 1) {
      failures.concurrent(r, salt);
    } else {
      allReduce(r, mine, salt);
    }
    return false;
  }

  private void allReduce(SplittableRandom r, SplittableRandom mine, int salt) {
    DType dtype = dtype(r);
    RedOp op = op(r, dtype);
    int count = count(r);
    boolean inPlace = r.nextInt(3) == 0;
    current = "allReduce " + dtype + " x" + count + " " + op + (inPlace ? " in place" : "");
    Tensor send = tensor(GroupValues.input(dtype, rank, 0, count, op, salt), dtype);
    Tensor recv = inPlace ? send : zeros(dtype, count);
    run(mine, "Communicator.allReduce", () -> comm.allReduceAsync(send, recv, op), () -> comm.allReduce(send, recv, op));
    double[] e = new double[count];
    for (int i = 0; i < count; i++) {
      e[i] = GroupValues.reduced(dtype, world, i, op, salt);
    }
    expect("allReduce", e, recv, dtype, op);
  }

  private void allGather(SplittableRandom r, SplittableRandom mine, int salt) {
    DType dtype = dtype(r);
    int count = count(r) / 4;
    boolean inPlace = r.nextInt(3) == 0;
    current = "allGather " + dtype + " x" + count + (inPlace ? " in place" : "");
    double[] all = new double[count * world];
    for (int q = 0; q < world; q++) {
      System.arraycopy(GroupValues.input(dtype, q, 0, count, RedOp.SUM, salt), 0, all, q * count, count);
    }
    Tensor recv;
    Tensor send;
    if (inPlace) {
      double[] start = new double[all.length];
      System.arraycopy(all, rank * count, start, rank * count, count);
      recv = tensor(start, dtype);
      send = keep(recv.narrow(0, (long) rank * count, count));
    } else {
      send = tensor(GroupValues.input(dtype, rank, 0, count, RedOp.SUM, salt), dtype);
      recv = zeros(dtype, (long) count * world);
    }
    run(mine, "Communicator.allGather", () -> comm.allGatherAsync(send, recv), () -> comm.allGather(send, recv));
    expect("allGather", all, recv, dtype, RedOp.SUM);
  }

  private void reduceScatter(SplittableRandom r, SplittableRandom mine, int salt) {
    DType dtype = dtype(r);
    RedOp op = op(r, dtype);
    int count = count(r) / 4;
    boolean inPlace = r.nextInt(3) == 0;
    current = "reduceScatter " + dtype + " x" + count + " " + op + (inPlace ? " in place" : "");
    Tensor send = tensor(GroupValues.input(dtype, rank, 0, (long) count * world, op, salt), dtype);
    Tensor recv = inPlace ? keep(send.narrow(0, (long) rank * count, count)) : zeros(dtype, count);
    run(mine, "Communicator.reduceScatter", () -> comm.reduceScatterAsync(send, recv, op),
        () -> comm.reduceScatter(send, recv, op));
    double[] e = new double[count];
    for (int i = 0; i < count; i++) {
      e[i] = GroupValues.reduced(dtype, world, (long) rank * count + i, op, salt);
    }
    expect("reduceScatter", e, recv, dtype, op);
  }

  private void broadcast(SplittableRandom r, SplittableRandom mine, int salt) {
    DType dtype = dtype(r);
    int count = count(r);
    int root = r.nextInt(world);
    boolean inPlace = r.nextInt(3) == 0;
    current = "broadcast " + dtype + " x" + count + " from " + root + (inPlace ? " in place" : "");
    Tensor recv = inPlace && rank == root ? tensor(GroupValues.input(dtype, rank, 0, count, RedOp.SUM, salt), dtype)
        : zeros(dtype, count);
    Tensor send = rank == root ? (inPlace ? recv : tensor(GroupValues.input(dtype, rank, 0, count, RedOp.SUM, salt),
        dtype)) : mine.nextBoolean() ? null : zeros(dtype, count + 1);
    run(mine, "Communicator.broadcast", () -> comm.broadcastAsync(send, recv, root),
        () -> comm.broadcast(send, recv, root));
    expect("broadcast", GroupValues.input(dtype, root, 0, count, RedOp.SUM, salt), recv, dtype, RedOp.SUM);
  }

  private void reduce(SplittableRandom r, SplittableRandom mine, int salt) {
    DType dtype = dtype(r);
    RedOp op = op(r, dtype);
    int count = count(r);
    int root = r.nextInt(world);
    current = "reduce " + dtype + " x" + count + " " + op + " to " + root;
    Tensor send = tensor(GroupValues.input(dtype, rank, 0, count, op, salt), dtype);
    Tensor recv = rank == root ? (mine.nextInt(4) == 0 ? send : zeros(dtype, count))
        : mine.nextBoolean() ? null : zeros(dtype, 1);
    run(mine, "Communicator.reduce", () -> comm.reduceAsync(send, recv, op, root),
        () -> comm.reduce(send, recv, op, root));
    if (rank == root) {
      double[] e = new double[count];
      for (int i = 0; i < count; i++) {
        e[i] = GroupValues.reduced(dtype, world, i, op, salt);
      }
      expect("reduce", e, recv, dtype, op);
    }
  }

  /** Block j of rank q's input holds element j * block + i of q's values; it lands in rank j's block q. */
  private void allToAll(SplittableRandom r, SplittableRandom mine, int salt) {
    DType dtype = dtype(r);
    int block = r.nextInt(9);
    current = "allToAll " + dtype + " blocks of " + block;
    Tensor send = tensor(GroupValues.input(dtype, rank, 0, (long) block * world, RedOp.SUM, salt), dtype);
    Tensor recv = zeros(dtype, (long) block * world);
    run(mine, "Communicator.allToAll", () -> comm.allToAllAsync(send, recv), () -> comm.allToAll(send, recv));
    double[] e = new double[block * world];
    for (int q = 0; q < world; q++) {
      for (int i = 0; i < block; i++) {
        e[q * block + i] = GroupValues.value(dtype, q, (long) rank * block + i, RedOp.SUM, salt);
      }
    }
    expect("allToAll", e, recv, dtype, RedOp.SUM);
  }

  /** For the other parts of a rank's steps: a call judged like every other of this rank. */
  <T> T checked(String op, Outcome expected, Callable<T> body) {
    return call(op, expected, body);
  }

  /** For {@link RankFailures}: zeros of this rank's allocator, closed after the step. */
  Tensor zerosOf(DType dtype, long count) {
    return zeros(dtype, count);
  }

  /** For {@link RankFailures}: checks a result. */
  void expectOf(String what, double[] expected, Tensor got, DType dtype, RedOp op) {
    expect(what, expected, got, dtype, op);
  }

  /** For {@link RankFailures}: what the rank does now, for reports. */
  void current(String what) {
    current = what;
  }

  /** For {@link RankFailures}: counts a call judged there. */
  void count(String op, boolean invalid) {
    stats.count(op, invalid);
  }

  /** For {@link RankExchanges}: a call in the blocking or the async form. */
  void runOf(SplittableRandom mine, String op, java.util.function.Supplier<Work> async, Runnable blocking) {
    run(mine, op, async, blocking);
  }

  /** For {@link RankExchanges}: this rank's allocator. */
  Allocator allocator() {
    return allocator;
  }

  /** For {@link RankFailures}: closes the step's tensors. */
  void closeOpenOf() {
    closeOpen();
  }

  /** For {@link RankDefects} and {@link RankFailures}: a tensor of this rank's allocator, closed after the step. */
  Tensor tensorOf(double[] values, DType dtype) {
    return tensor(values, dtype);
  }
}
