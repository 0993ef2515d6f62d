package dev.shard4j.fuzz;

import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.RedOp;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Tensor;
import java.util.SplittableRandom;

/**
 * Calls that one rank alone makes with a defect the communicator refuses on the calling rank
 * before any rank waits (CollectiveArgs): null, closed, strided or mismatched buffers, a float-only
 * operator on integers, roots, peers and colors out of range, counts that do not split among the
 * ranks, overlapping all-to-all buffers. The other ranks do nothing meanwhile, so the group goes
 * on as if the call had not been made.
 */
final class RankDefects {
  static final int COUNT = 16;

  private final RankSteps steps;
  private final Communicator comm;
  private final int world;
  private final SplittableRandom r;

  RankDefects(RankSteps steps, Communicator comm, Allocator allocator, SplittableRandom r) {
    this.steps = steps;
    this.comm = comm;
    this.world = comm.size();
    this.r = r;
  }

  private Tensor tensor(DType dtype, int count) {
    return steps.tensorOf(new double[count], dtype);
  }

  private void refused(String op, Class<? extends Throwable> type, String fragment, Runnable body) {
    steps.checked(op, Outcome.fails(type, fragment), () -> {
      body.run();
      return null;
    });
  }

  void run(int defect) {
    int count = 1 + r.nextInt(12);
    DType dtype = DType.values()[r.nextInt(DType.values().length)];
    Tensor a = tensor(dtype, count);
    boolean async = r.nextBoolean();
    switch (defect) {
      case 0 -> refused("Communicator.allReduce", NullPointerException.class, "send",
          () -> call(async, () -> comm.allReduceAsync(null, a, RedOp.SUM), () -> comm.allReduce(null, a, RedOp.SUM)));
      case 1 -> {
        Tensor b = tensor(dtype, count + 1);
        refused("Communicator.allReduce", IllegalArgumentException.class, "recv has",
            () -> call(async, () -> comm.allReduceAsync(a, b, RedOp.MAX), () -> comm.allReduce(a, b, RedOp.MAX)));
      }
      case 2 -> {
        Tensor b = tensor(dtype == DType.F32 ? DType.I32 : DType.F32, count);
        refused("Communicator.allReduce", IllegalArgumentException.class, "recv has dtype",
            () -> comm.allReduce(a, b, RedOp.SUM));
      }
      case 3 -> {
        Tensor b = tensor(DType.I32, count);
        RedOp op = r.nextBoolean() ? RedOp.AVG : RedOp.premulSum(0.5);
        refused("Communicator.allReduce", IllegalArgumentException.class, "takes floating-point",
            () -> comm.allReduce(b, b, op));
      }
      case 4 -> refused("Communicator.allReduce", NullPointerException.class, "op", () -> comm.allReduce(a, a, null));
      case 5 -> {
        int root = r.nextBoolean() ? world + r.nextInt(3) : -1 - r.nextInt(3);
        refused("Communicator.broadcast", IllegalArgumentException.class, "root " + root,
            () -> call(async, () -> comm.broadcastAsync(a, a, root), () -> comm.broadcast(a, a, root)));
      }
      case 6 -> {
        int peer = r.nextBoolean() ? world : -1;
        refused("Communicator.send", IllegalArgumentException.class, "peer " + peer,
            () -> call(async, () -> comm.sendAsync(a, peer), () -> comm.send(a, peer)));
      }
      case 7 -> {
        if (world > 1) {
          Tensor odd = tensor(dtype, world * 3 + 1);
          Tensor out = tensor(dtype, world * 3 + 1);
          refused("Communicator.allToAll", IllegalArgumentException.class, "not a multiple",
              () -> comm.allToAll(odd, out));
        }
      }
      case 8 -> {
        Tensor both = tensor(dtype, world * 2);
        refused("Communicator.allToAll", IllegalArgumentException.class, "must not overlap",
            () -> comm.allToAll(both, both));
      }
      case 9 -> refused("Communicator.split", IllegalArgumentException.class, "color",
          () -> comm.split(-2 - r.nextInt(5), 0));
      case 10 -> {
        Tensor closed = tensor(dtype, count);
        closed.close();
        refused("Communicator.allGather", IllegalStateException.class, "send is closed",
            () -> comm.allGather(closed, tensor(dtype, count * world)));
      }
      case 11 -> {
        Tensor grid = steps.keep(tensor(dtype, 6).view(2, 3));
        Tensor strided = steps.keep(grid.transpose(0, 1));
        refused("Communicator.allReduce", IllegalArgumentException.class, "must be contiguous",
            () -> comm.allReduce(strided, strided, RedOp.MIN));
      }
      case 12 -> refused("Communicator.allGather", IllegalArgumentException.class, "recv has",
          () -> comm.allGather(a, tensor(dtype, count * world + 1)));
      case 13 -> refused("Communicator.reduceScatter", IllegalArgumentException.class, "send has",
          () -> call(async, () -> comm.reduceScatterAsync(tensor(dtype, count * world + 1), a, RedOp.SUM),
              () -> comm.reduceScatter(tensor(dtype, count * world + 1), a, RedOp.SUM)));
      case 14 -> refused("Communicator.reduce", NullPointerException.class, "recv",
          () -> comm.reduce(a, null, RedOp.SUM, comm.rank()));
      default -> refused("Communicator.recv", IllegalArgumentException.class, "peer -1",
          () -> call(async, () -> comm.recvAsync(a, -1), () -> comm.recv(a, -1)));
    }
  }

  private static void call(boolean async, java.util.function.Supplier<?> asyncForm, Runnable blocking) {
    if (async) {
      asyncForm.get();
    } else {
      blocking.run();
    }
  }
}
