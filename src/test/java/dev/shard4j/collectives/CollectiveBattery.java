package dev.shard4j.collectives;

import static dev.shard4j.testing.CollectiveValues.reference;
import static dev.shard4j.testing.CollectiveValues.value;

import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.time.Duration;
import java.util.List;

/**
 * Every collective of one rank, whatever the backend and device, checked against the plain
 * reference: each dtype and op, odd counts, in place and out of place, roots other than 0, async
 * handles and sub-communicators. Every rank of a communicator runs it at once (threads of one JVM,
 * or one process per rank); a wrong value throws an AssertionError naming the call and the
 * element. Results are exact, but for AVG over a world whose size is not a power of two: the
 * division by it rounds, and NCCL divides each input before the sum (a pre-multiplied sum) where
 * the reference divides the sum, so those may differ by up to AVG_ULPS units in the last place of
 * the dtype (relative to the larger of the expected value and 1).
 */
public final class CollectiveBattery {
  private static final List<RedOp> OPS = List.of(RedOp.SUM, RedOp.PROD, RedOp.MAX, RedOp.MIN, RedOp.AVG,
      RedOp.premulSum(0.5));
  private static final int AVG_ULPS = 4;

  private final Communicator comm;
  private final Allocator allocator;
  private final Device device;
  private final int world;
  private final int rank;

  private CollectiveBattery(Communicator comm, Allocator allocator) {
    this.comm = comm;
    this.allocator = allocator;
    this.device = comm.device();
    this.world = comm.size();
    this.rank = comm.rank();
  }

  /** Runs every check on this rank; every rank of comm must call it. */
  public static void run(Communicator comm, Allocator allocator) {
    CollectiveBattery b = new CollectiveBattery(comm, allocator);
    for (DType dtype : DType.values()) {
      for (RedOp op : OPS) {
        if (dtype.isFloatingPoint() || !op.floatOnly()) {
          b.reductions(dtype, op);
        }
      }
      b.gathersAndBroadcasts(dtype);
      b.allToAll(dtype);
      b.pointToPoint(dtype);
    }
    b.asyncInOrder();
    b.split();
    comm.barrier();
  }

  private Tensor input(DType dtype, int q, long count, RedOp op) {
    double[] v = new double[(int) count];
    for (int i = 0; i < count; i++) {
      v[i] = value(dtype, q, i, op);
    }
    return Tensors.fromArray(allocator, v, dtype, device, count);
  }

  private double[] reduced(DType dtype, RedOp op, long from, long count) {
    double[] e = new double[(int) count];
    for (int i = 0; i < count; i++) {
      e[i] = reference(dtype, world, from + i, op);
    }
    return e;
  }

  private void reductions(DType dtype, RedOp op) {
    long count = 1001 + world * 13L; // odd, and not a multiple of any alignment
    double[] all = reduced(dtype, op, 0, count);
    try (Tensor send = input(dtype, rank, count, op); Tensor recv = Tensors.full(allocator, dtype, device, -3, count);
        Tensor inPlace = input(dtype, rank, count, op)) {
      comm.allReduce(send, recv, op);
      check("allReduce", dtype, op, all, recv);
      comm.allReduce(inPlace, inPlace, op);
      check("allReduce in place", dtype, op, all, inPlace);
      int root = world - 1;
      try (Tensor out = Tensors.full(allocator, dtype, device, -3, count)) {
        comm.reduce(send, rank == root ? out : null, op, root);
        if (rank == root) {
          check("reduce at root " + root, dtype, op, all, out);
        }
      }
    }
    long per = 37;
    double[] mine = reduced(dtype, op, rank * per, per);
    try (Tensor send = input(dtype, rank, per * world, op);
        Tensor recv = Tensors.full(allocator, dtype, device, -3, per)) {
      comm.reduceScatter(send, recv, op);
      check("reduceScatter", dtype, op, mine, recv);
      try (Tensor slice = send.narrow(0, rank * per, per)) {
        comm.reduceScatter(send, slice, op); // in place: recv is this rank's block of send
        check("reduceScatter in place", dtype, op, mine, slice);
      }
    }
  }

  private void gathersAndBroadcasts(DType dtype) {
    long count = 19 + world;
    double[] gathered = new double[(int) (count * world)];
    for (int q = 0; q < world; q++) {
      for (int i = 0; i < count; i++) {
        gathered[(int) (q * count + i)] = value(dtype, q, i, RedOp.SUM);
      }
    }
    try (Tensor send = input(dtype, rank, count, RedOp.SUM);
        Tensor all = Tensors.full(allocator, dtype, device, -3, count * world)) {
      comm.allGather(send, all);
      check("allGather", dtype, RedOp.SUM, gathered, all);
      all.fill(-3.0);
      try (Tensor mine = all.narrow(0, rank * count, count)) { // in place
        mine.copyFrom(send);
        comm.allGather(mine, all);
        check("allGather in place", dtype, RedOp.SUM, gathered, all);
      }
    }
    int root = world / 2;
    double[] rootInput = new double[(int) count];
    System.arraycopy(gathered, (int) (root * count), rootInput, 0, (int) count);
    try (Tensor send = input(dtype, rank, count, RedOp.SUM);
        Tensor recv = Tensors.full(allocator, dtype, device, -3, count)) {
      comm.broadcast(rank == root ? send : null, recv, root);
      check("broadcast from " + root, dtype, RedOp.SUM, rootInput, recv);
      comm.broadcast(send, send, root); // in place
      check("broadcast in place from " + root, dtype, RedOp.SUM, rootInput, send);
    }
  }

  /** Block j of rank q's input holds (10 q + j) % 100, so every element names where it came from. */
  private void allToAll(DType dtype) {
    long block = 5;
    double[] send = new double[(int) (block * world)];
    double[] expected = new double[send.length];
    for (int j = 0; j < world; j++) {
      for (int i = 0; i < block; i++) {
        send[(int) (j * block + i)] = (rank * 10 + j) % 100;
        expected[(int) (j * block + i)] = (j * 10 + rank) % 100;
      }
    }
    try (Tensor in = Tensors.fromArray(allocator, send, dtype, device, send.length);
        Tensor out = Tensors.full(allocator, dtype, device, -3, send.length)) {
      comm.allToAll(in, out);
      check("allToAll", dtype, RedOp.SUM, expected, out);
    }
  }

  /**
   * A ring through sendRecv, then pairs (0 with 1, 2 with 3, ...) through plain send and recv in
   * opposite orders, so that no rank waits on a peer that waits on it.
   */
  private void pointToPoint(DType dtype) {
    long count = 9;
    int next = (rank + 1) % world;
    int prev = (rank + world - 1) % world;
    try (Tensor out = input(dtype, rank, count, RedOp.SUM); Tensor in = Tensors.full(allocator, dtype, device, -3, count)) {
      comm.sendRecv(out, next, in, prev);
      check("sendRecv ring from " + prev, dtype, RedOp.SUM, inputOf(dtype, prev, count), in);
      int peer = rank ^ 1;
      if (peer < world) {
        in.fill(-3.0);
        if (rank % 2 == 0) {
          comm.send(out, peer);
          comm.recv(in, peer);
        } else {
          comm.recv(in, peer);
          comm.send(out, peer);
        }
        check("recv from " + peer, dtype, RedOp.SUM, inputOf(dtype, peer, count), in);
      }
    }
  }

  private static double[] inputOf(DType dtype, int q, long count) {
    double[] v = new double[(int) count];
    for (int i = 0; i < count; i++) {
      v[i] = value(dtype, q, i, RedOp.SUM);
    }
    return v;
  }

  /** Two async calls and a blocking one run in the order they were made; handles report done. */
  private void asyncInOrder() {
    long count = 100_003;
    try (Tensor a = input(DType.F32, rank, count, RedOp.SUM);
        Tensor b = Tensors.zeros(allocator, DType.F32, device, count * world)) {
      Work first = comm.allReduceAsync(a, a, RedOp.SUM);
      Work second = comm.allGatherAsync(a, b); // behind the first: gathers its result
      comm.barrier();
      second.await(Duration.ofSeconds(60));
      first.await(Duration.ofSeconds(60));
      if (!first.isDone() || !second.isDone() || first.error().isPresent() || second.error().isPresent()) {
        throw new AssertionError("awaited work not done, or failed: " + first.error() + " " + second.error());
      }
      double[] sum = reduced(DType.F32, RedOp.SUM, 0, count);
      check("allReduceAsync", DType.F32, RedOp.SUM, sum, a);
      double[] gathered = new double[(int) (count * world)];
      for (int q = 0; q < world; q++) {
        System.arraycopy(sum, 0, gathered, (int) (q * count), (int) count);
      }
      check("allGatherAsync after allReduceAsync", DType.F32, RedOp.SUM, gathered, b);
    }
  }

  /** Evens and odds, each ordered by descending old rank; the last rank of an odd world stays out. */
  private void split() {
    boolean out = world > 2 && world % 2 == 1 && rank == world - 1;
    Communicator sub = comm.split(out ? Communicator.NO_COLOR : rank % 2, -rank);
    if (out) {
      if (sub != null) {
        throw new AssertionError("split with NO_COLOR returned a communicator");
      }
      return;
    }
    try (Communicator s = sub) {
      int members = 0;
      int before = 0;
      long sum = 0;
      for (int q = 0; q < world; q++) {
        boolean member = q % 2 == rank % 2 && !(world > 2 && world % 2 == 1 && q == world - 1);
        if (member) {
          members++;
          sum += q;
          before += q > rank ? 1 : 0;
        }
      }
      if (s.size() != members || s.rank() != before) {
        throw new AssertionError("split: rank " + rank + " got rank " + s.rank() + " of " + s.size() + ", expected "
            + before + " of " + members);
      }
      try (Tensor t = Tensors.full(allocator, DType.I64, device, rank, 3)) {
        s.allReduce(t, t, RedOp.SUM);
        check("allReduce in a split", DType.I64, RedOp.SUM, new double[] {sum, sum, sum}, t);
      }
    }
  }

  private void check(String call, DType dtype, RedOp op, double[] expected, Tensor got) {
    double[] g = got.toDoubleArray();
    boolean inexact = op == RedOp.AVG && Integer.bitCount(world) != 1;
    double ulp = switch (dtype) {
      case F64 -> 0x1p-52;
      case F32 -> 0x1p-23;
      case F16 -> 0x1p-10;
      case BF16 -> 0x1p-7;
      default -> 0;
    };
    for (int i = 0; i < expected.length; i++) {
      double tolerance = inexact ? AVG_ULPS * ulp * Math.max(1, Math.abs(expected[i])) : 0;
      if (!(Math.abs(g[i] - expected[i]) <= tolerance) && Double.compare(g[i], expected[i]) != 0) {
        throw new AssertionError(call + " " + dtype + " " + op + " on rank " + rank + " of " + world + ": element "
            + i + " is " + g[i] + ", expected " + expected[i]);
      }
    }
  }
}
