package dev.shard4j.collectives.local;

import static dev.shard4j.testing.CollectiveValues.reference;
import static dev.shard4j.testing.CollectiveValues.value;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.shard4j.collectives.CollectiveBattery;
import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.RedOp;
import dev.shard4j.collectives.Work;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every collective, op and dtype against a plain reference, 1 to 8 ranks, odd counts. */
class LocalCollectivesTest {
  private final Allocator allocator = Allocator.root("local-collectives-test");

  @AfterEach
  void close() {
    allocator.close(); // every rank closed its tensors
  }

  private Tensor input(DType dtype, int rank, long count, RedOp op) {
    double[] v = new double[(int) count];
    for (int i = 0; i < count; i++) {
      v[i] = value(dtype, rank, i, op);
    }
    return Tensors.fromArray(allocator, v, dtype, Device.CPU, count);
  }

  static Stream<Arguments> reductions() {
    return Stream.of(1, 2, 3, 4, 8).flatMap(world -> Stream.of(DType.values()).flatMap(dtype ->
        Stream.of(RedOp.SUM, RedOp.PROD, RedOp.MAX, RedOp.MIN, RedOp.AVG, RedOp.premulSum(0.5))
            .filter(op -> dtype.isFloatingPoint() || !op.floatOnly())
            .map(op -> Arguments.of(world, dtype, op))));
  }

  @ParameterizedTest(name = "{0} ranks {1} {2}")
  @MethodSource("reductions")
  void allReduceReduceScatterAndReduce(int world, DType dtype, RedOp op) {
    long count = 1001 + world * 13; // odd, and not a multiple of the slice alignment
    List<Communicator> comms = LocalGroup.create(world);
    double[] expected = new double[(int) count];
    for (int i = 0; i < count; i++) {
      expected[i] = reference(dtype, world, i, op);
    }
    Ranks.runAll(comms, comm -> {
      int r = comm.rank();
      try (Tensor send = input(dtype, r, count, op);
          Tensor recv = Tensors.full(allocator, dtype, Device.CPU, -3, count);
          Tensor inPlace = input(dtype, r, count, op)) {
        comm.allReduce(send, recv, op);
        assertArrayEquals(expected, recv.toDoubleArray(), "allReduce out of place");
        comm.allReduce(inPlace, inPlace, op);
        assertArrayEquals(expected, inPlace.toDoubleArray(), "allReduce in place");
        try (Tensor out = Tensors.full(allocator, dtype, Device.CPU, -3, count)) {
          int root = world - 1;
          comm.reduce(send, r == root ? out : null, op, root);
          if (r == root) {
            assertArrayEquals(expected, out.toDoubleArray(), "reduce at root");
          }
        }
      }
      long per = 37;
      try (Tensor send = input(dtype, r, per * world, op);
          Tensor recv = Tensors.full(allocator, dtype, Device.CPU, -3, per)) {
        comm.reduceScatter(send, recv, op);
        double[] mine = new double[(int) per];
        for (int i = 0; i < per; i++) {
          mine[i] = reference(dtype, world, r * per + i, op);
        }
        assertArrayEquals(mine, recv.toDoubleArray(), "reduceScatter");
        try (Tensor slice = send.narrow(0, r * per, per)) {
          comm.reduceScatter(send, slice, op); // in place: recv is this rank's slice of send
          assertArrayEquals(mine, slice.toDoubleArray(), "reduceScatter in place");
        }
      }
      comm.close();
      return null;
    });
  }

  /**
   * Messages past the staging size take the sliced path (every rank reduces its slice straight
   * between the peers' buffers); small ones in between take the staged path, and point-to-point
   * transfers in between must not disturb the alternation of the staging slots.
   */
  @Test
  void largeAndSmallMessagesInterleaved() {
    long count = 40_001;
    for (int world : new int[] {2, 3, 5, 8}) {
      for (DType dtype : new DType[] {DType.F32, DType.BF16, DType.I64}) {
        for (RedOp op : dtype.isFloatingPoint() ? new RedOp[] {RedOp.SUM, RedOp.MAX, RedOp.AVG}
            : new RedOp[] {RedOp.SUM, RedOp.MIN}) {
          List<Communicator> comms = LocalGroup.create(world);
          double[] expected = new double[(int) count];
          for (int i = 0; i < count; i++) {
            expected[i] = reference(dtype, world, i, op);
          }
          Ranks.runAll(comms, comm -> {
            int r = comm.rank();
            try (Tensor send = input(dtype, r, count, op);
                Tensor recv = Tensors.full(allocator, dtype, Device.CPU, -3, count);
                Tensor small = input(dtype, r, 7, op);
                Tensor token = Tensors.zeros(allocator, DType.I32, Device.CPU, 1)) {
              comm.allReduce(send, recv, op);
              assertArrayEquals(expected, recv.toDoubleArray(), "large allReduce");
              comm.allReduce(small, small, op); // staged
              Work sent = comm.sendAsync(token, (r + 1) % world); // no meeting: must not shift the slots
              try (Tensor got = Tensors.zeros(allocator, DType.I32, Device.CPU, 1)) {
                comm.recv(got, (r + world - 1) % world);
              }
              sent.await();
              try (Tensor again = input(dtype, r, 7, op)) {
                comm.allReduce(again, again, op); // staged again, same parity as the first
                assertArrayEquals(small.toDoubleArray(), again.toDoubleArray(), "staged twice");
              }
              try (Tensor inPlace = input(dtype, r, count, op)) {
                comm.allReduce(inPlace, inPlace, op);
                assertArrayEquals(expected, inPlace.toDoubleArray(), "large allReduce in place");
              }
              long per = count / world;
              try (Tensor full = input(dtype, r, per * world, op);
                  Tensor part = Tensors.zeros(allocator, dtype, Device.CPU, per);
                  Tensor gathered = Tensors.zeros(allocator, dtype, Device.CPU, per * world)) {
                comm.reduceScatter(full, part, op);
                double[] got = part.toDoubleArray();
                for (int i = 0; i < per; i += 101) {
                  assertEquals(reference(dtype, world, r * per + i, op), got[i], "large reduceScatter");
                }
                comm.allGather(part, gathered);
                double[] all = gathered.toDoubleArray();
                for (int i = 0; i < per * world; i += 97) {
                  assertEquals(reference(dtype, world, i, op), all[i], "large allGather");
                }
              }
              comm.broadcast(r == 0 ? recv : null, send, 0);
              assertArrayEquals(expected, send.toDoubleArray(), "large broadcast");
            }
            comm.close();
            return null;
          });
        }
      }
    }
  }

  @Test
  void gathersBroadcastsAllToAllAndPointToPoint() {
    for (int world : new int[] {1, 2, 3, 5, 8}) {
      for (DType dtype : DType.values()) {
        List<Communicator> comms = LocalGroup.create(world);
        long count = 19 + world;
        Ranks.runAll(comms, comm -> {
          int r = comm.rank();
          try (Tensor send = input(dtype, r, count, RedOp.SUM);
              Tensor gathered = Tensors.full(allocator, dtype, Device.CPU, -3, count * world);
              Tensor bcast = Tensors.full(allocator, dtype, Device.CPU, -3, count)) {
            comm.allGather(send, gathered);
            double[] all = gathered.toDoubleArray();
            for (int q = 0; q < world; q++) {
              try (Tensor expected = input(dtype, q, count, RedOp.SUM)) {
                double[] e = expected.toDoubleArray();
                for (int i = 0; i < count; i++) {
                  assertEquals(e[i], all[(int) (q * count + i)], "allGather block " + q);
                }
              }
            }
            try (Tensor mine = gathered.narrow(0, r * count, count)) { // in place
              mine.copyFrom(send);
              comm.allGather(mine, gathered);
              assertArrayEquals(all, gathered.toDoubleArray(), "allGather in place");
            }
            int root = world / 2;
            comm.broadcast(r == root ? send : null, bcast, root);
            try (Tensor expected = input(dtype, root, count, RedOp.SUM)) {
              assertArrayEquals(expected.toDoubleArray(), bcast.toDoubleArray(), "broadcast");
            }
          }
          long block = 5;
          try (Tensor send = Tensors.arange(allocator, dtype, Device.CPU, block * world);
              Tensor recv = Tensors.full(allocator, dtype, Device.CPU, -3, block * world)) {
            send.fill((double) r); // block j of rank r is all r ...
            try (Tensor shifted = Tensors.arange(allocator, dtype, Device.CPU, block * world)) {
              // ... plus its block index, so every element names where it came from
              for (int j = 0; j < world; j++) {
                try (Tensor b = send.narrow(0, j * block, block)) {
                  b.fill((double) (r * 10 + j) % 100);
                }
              }
            }
            comm.allToAll(send, recv);
            double[] got = recv.toDoubleArray();
            for (int q = 0; q < world; q++) {
              for (int i = 0; i < block; i++) {
                assertEquals((q * 10 + r) % 100, got[(int) (q * block + i)], "allToAll block from " + q);
              }
            }
          }
          // A ring: everyone sends to the next rank and receives from the previous one.
          try (Tensor out = input(dtype, r, 9, RedOp.SUM); Tensor in = Tensors.zeros(allocator, dtype, Device.CPU, 9)) {
            int next = (r + 1) % world;
            int prev = (r + world - 1) % world;
            Work sent = comm.sendAsync(out, next);
            comm.recv(in, prev);
            sent.await();
            try (Tensor again = Tensors.zeros(allocator, dtype, Device.CPU, 9)) {
              comm.sendRecv(out, next, again, prev); // the grouped form of the same ring
              assertArrayEquals(in.toDoubleArray(), again.toDoubleArray(), "sendRecv ring");
            }
            try (Tensor expected = input(dtype, prev, 9, RedOp.SUM)) {
              assertArrayEquals(expected.toDoubleArray(), in.toDoubleArray(), "ring");
            }
          }
          comm.barrier();
          comm.close();
          return null;
        });
      }
    }
  }

  /**
   * The battery that the NCCL ranks run in separate processes (NcclProcessesTest) passes on this
   * backend too, so a failure there points at NCCL's side, not at the battery.
   */
  @ParameterizedTest(name = "{0} ranks")
  @ValueSource(ints = {1, 2, 3, 4})
  void theBatteryOfTheNcclProcesses(int world) {
    List<Communicator> comms = LocalGroup.create(world);
    Ranks.runAll(comms, comm -> {
      CollectiveBattery.run(comm, allocator);
      comm.close();
      return null;
    });
  }

  @Test
  void asyncWorkRunsInOrderBesideTheCaller() {
    List<Communicator> comms = LocalGroup.create(4);
    Ranks.runAll(comms, comm -> {
      try (Tensor a = input(DType.F32, comm.rank(), 100_000, RedOp.SUM);
          Tensor b = Tensors.zeros(allocator, DType.F32, Device.CPU, 100_000 * 4)) {
        Work first = comm.allReduceAsync(a, a, RedOp.SUM);
        Work second = comm.allGatherAsync(a, b); // queued behind the first: gathers its result
        comm.barrier(); // a blocking call waits its turn too
        second.await();
        first.await();
        double[] reduced = a.toDoubleArray();
        double[] gathered = b.toDoubleArray();
        for (int q = 0; q < 4; q++) {
          for (int i = 0; i < 100_000; i += 997) {
            assertEquals(reduced[i], gathered[q * 100_000 + i]);
            assertEquals(reference(DType.F32, 4, i, RedOp.SUM), reduced[i]);
          }
        }
      }
      comm.close();
      return null;
    });
  }

  @Test
  void splitMakesSubGroupsOrderedByKey() {
    List<Communicator> comms = LocalGroup.create(6);
    Ranks.runAll(comms, comm -> {
      int r = comm.rank();
      Communicator sub = comm.split(r == 5 ? Communicator.NO_COLOR : r % 2, -r);
      if (r == 5) {
        assertNull(sub);
        comm.close();
        return null;
      }
      int expectedSize = r % 2 == 0 ? 3 : 2; // evens 0 2 4, odds 1 3 (5 left)
      assertEquals(expectedSize, sub.size());
      // keys are -rank: the highest old rank comes first
      int[] order = r % 2 == 0 ? new int[] {4, 2, 0} : new int[] {3, 1};
      int expectedRank = 0;
      while (order[expectedRank] != r) {
        expectedRank++;
      }
      assertEquals(expectedRank, sub.rank());
      try (Tensor t = Tensors.full(allocator, DType.I64, Device.CPU, r, 3)) {
        sub.allReduce(t, t, RedOp.SUM);
        long sum = r % 2 == 0 ? 0 + 2 + 4 : 1 + 3;
        assertArrayEquals(new long[] {sum, sum, sum}, t.toLongArray());
      }
      sub.close();
      comm.close();
      return null;
    });
  }
}
