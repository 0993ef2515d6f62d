package dev.shard4j.fuzz;

import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.RedOp;
import dev.shard4j.collectives.Work;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The steps of a collective episode beyond single collectives: point-to-point transfers (a pair,
 * a ring), batches of async operations awaited out of order, and splits into sub-groups, each
 * checked against {@link GroupValues} like the rest of {@link RankSteps}.
 */
final class RankExchanges {
  private final RankSteps steps;
  private final Communicator comm;
  private final int rank;
  private final int world;

  RankExchanges(RankSteps steps, Communicator comm) {
    this.steps = steps;
    this.comm = comm;
    this.rank = comm.rank();
    this.world = comm.size();
  }

  /** One rank sends to another (itself too: then an async send before the receive). */
  void pair(SplittableRandom r, int salt) {
    DType dtype = RankSteps.dtype(r);
    int count = r.nextInt(40);
    int from = r.nextInt(world);
    int to = r.nextInt(world);
    boolean asyncSend = r.nextBoolean();
    boolean asyncRecv = r.nextBoolean();
    steps.current("send " + dtype + " x" + count + " from " + from + " to " + to);
    if (rank != from && rank != to) {
      return;
    }
    Tensor out = rank == from ? steps.tensorOf(GroupValues.input(dtype, from, 0, count, RedOp.SUM, salt), dtype) : null;
    Tensor in = rank == to ? steps.zerosOf(dtype, count) : null;
    Work sent = null;
    if (rank == from) {
      if (asyncSend || from == to) {
        sent = steps.checked("Communicator.sendAsync", Outcome.ok(), () -> comm.sendAsync(out, to));
      } else {
        steps.checked("Communicator.send", Outcome.ok(), () -> {
          comm.send(out, to);
          return null;
        });
      }
    }
    if (rank == to) {
      if (asyncRecv) {
        steps.checked("Communicator.recvAsync", Outcome.ok(), () -> comm.recvAsync(in, from)).await(RankSteps.AWAIT);
      } else {
        steps.checked("Communicator.recv", Outcome.ok(), () -> {
          comm.recv(in, from);
          return null;
        });
      }
      steps.expectOf("recv", GroupValues.input(dtype, from, 0, count, RedOp.SUM, salt), in, dtype, RedOp.SUM);
    }
    if (sent != null) {
      sent.await(RankSteps.AWAIT);
    }
  }

  void ring(SplittableRandom r, SplittableRandom mine, int salt) {
    DType dtype = RankSteps.dtype(r);
    int count = r.nextInt(40);
    int shift = world == 1 ? 0 : 1 + r.nextInt(world - 1);
    int to = (rank + shift) % world;
    int from = (rank - shift + world) % world;
    steps.current("sendRecv ring " + dtype + " x" + count + " shift " + shift);
    Tensor out = steps.tensorOf(GroupValues.input(dtype, rank, 0, count, RedOp.SUM, salt), dtype);
    Tensor in = steps.zerosOf(dtype, count);
    steps.runOf(mine, "Communicator.sendRecv", () -> comm.sendRecvAsync(out, to, in, from), () -> comm.sendRecv(out, to, in,
        from));
    steps.expectOf("sendRecv", GroupValues.input(dtype, from, 0, count, RedOp.SUM, salt), in, dtype, RedOp.SUM);
  }

  /**
   * Several async collectives in a row (their inputs closed by the caller at once, now and then:
   * the communicator keeps them alive), a blocking barrier behind them now and then, then awaited
   * in an order of the rank's own.
   */
  void asyncBatch(SplittableRandom r, SplittableRandom mine, int salt) {
    int n = 2 + r.nextInt(3);
    steps.current("async batch of " + n);
    List<Work> works = new ArrayList<>();
    List<Runnable> checks = new ArrayList<>();
    for (int j = 0; j < n; j++) {
      DType dtype = RankSteps.dtype(r);
      int count = RankSteps.count(r) / 2;
      int s = salt + j;
      if (r.nextBoolean()) {
        RedOp op = RankSteps.op(r, dtype);
        Tensor send = Tensors.fromArray(steps.allocator(), GroupValues.input(dtype, rank, 0, count, op, s), dtype, Device.CPU,
            count);
        Tensor recv = steps.zerosOf(dtype, count);
        works.add(steps.checked("Communicator.allReduceAsync", Outcome.ok(), () -> comm.allReduceAsync(send, recv, op)));
        send.close(); // kept alive by the communicator until the work is done
        double[] e = new double[count];
        for (int i = 0; i < count; i++) {
          e[i] = GroupValues.reduced(dtype, world, i, op, s);
        }
        checks.add(() -> steps.expectOf("allReduceAsync", e, recv, dtype, op));
      } else {
        int root = r.nextInt(world);
        Tensor recv = steps.zerosOf(dtype, count);
        Tensor send = rank == root ? steps.tensorOf(GroupValues.input(dtype, root, 0, count, RedOp.SUM, s), dtype) : null;
        works.add(steps.checked("Communicator.broadcastAsync", Outcome.ok(), () -> comm.broadcastAsync(send, recv, root)));
        double[] e = GroupValues.input(dtype, root, 0, count, RedOp.SUM, s);
        checks.add(() -> steps.expectOf("broadcastAsync", e, recv, dtype, RedOp.SUM));
      }
    }
    if (r.nextBoolean()) {
      steps.checked("Communicator.barrier", Outcome.ok(), () -> {
        comm.barrier();
        return null;
      });
    }
    List<Work> order = new ArrayList<>(works);
    java.util.Collections.shuffle(order, new java.util.Random(mine.nextLong()));
    for (Work w : order) {
      w.await(RankSteps.AWAIT);
    }
    for (Work w : works) {
      if (!w.isDone() || w.error().isPresent()) {
        throw new RankSteps.StepFailure("async work not done, or failed: " + w.error(), null);
      }
    }
    checks.forEach(Runnable::run);
  }

  /** split by colors (NO_COLOR among them) and keys; each new group sums its members' old ranks. */
  void split(SplittableRandom r) {
    int[] colors = new int[world];
    int[] keys = new int[world];
    for (int q = 0; q < world; q++) {
      colors[q] = r.nextInt(4) - 1;
      keys[q] = r.nextInt(5) - 2;
    }
    int rounds = 1 + r.nextInt(2);
    steps.current("split " + java.util.Arrays.toString(colors) + " keys " + java.util.Arrays.toString(keys));
    Communicator sub = steps.checked("Communicator.split", Outcome.ok(), () -> comm.split(colors[rank], keys[rank]));
    int color = colors[rank];
    if (color == Communicator.NO_COLOR) {
      if (sub != null) {
        sub.close();
        throw new RankSteps.StepFailure("split with NO_COLOR returned a communicator", null);
      }
      return;
    }
    int members = 0;
    int before = 0;
    long sum = 0;
    for (int q = 0; q < world; q++) {
      if (colors[q] == color) {
        members++;
        sum += q;
        if (keys[q] < keys[rank] || (keys[q] == keys[rank] && q < rank)) {
          before++;
        }
      }
    }
    try (Communicator s = sub) {
      if (s == null || s.size() != members || s.rank() != before) {
        throw new RankSteps.StepFailure("split gave " + (s == null ? "null" : "rank " + s.rank() + " of " + s.size())
            + ", expected rank " + before + " of " + members, null);
      }
      for (int i = 0; i < rounds; i++) {
        Tensor t = Tensors.full(steps.allocator(), DType.I64, Device.CPU, rank, 3);
        steps.keep(t);
        steps.checked("Communicator.allReduce(split)", Outcome.ok(), () -> {
          s.allReduce(t, t, RedOp.SUM);
          return null;
        });
        steps.expectOf("allReduce in a split", new double[] {sum, sum, sum}, t, DType.I64, RedOp.SUM);
      }
    }
  }
}
