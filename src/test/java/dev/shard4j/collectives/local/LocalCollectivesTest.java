package dev.shard4j.collectives.local;

import static dev.shard4j.testing.CollectiveValues.reference;
import static dev.shard4j.testing.CollectiveValues.value;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every collective, op and dtype against a plain reference, 1 to 8 ranks, odd counts (the
 * battery); large and small messages interleaved; sends posted before their receives.
 */
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

  /**
   * Every collective, op and dtype against the reference, in place and out of place, with odd
   * counts, roots other than 0, async work in order, and sub-communicators: the battery that the
   * NCCL ranks run in separate processes (NcclProcessesTest), so a failure there points at NCCL's
   * side, not at the battery.
   */
  @ParameterizedTest(name = "{0} ranks")
  @ValueSource(ints = {1, 2, 3, 4, 5, 8})
  void everyCollectiveAgreesWithTheReference(int world) {
    List<Communicator> comms = LocalGroup.create(world);
    Ranks.runAll(comms, comm -> {
      CollectiveBattery.run(comm, allocator);
      comm.close();
      return null;
    });
  }

  /**
   * A ring in which every rank sends before it receives: on this backend a send does not wait for
   * its receive (the battery, which NCCL runs too, pairs them instead).
   */
  @Test
  void sendsPostedBeforeTheirReceivesComplete() {
    for (int world : new int[] {1, 2, 3, 5, 8}) {
      for (DType dtype : DType.values()) {
        List<Communicator> comms = LocalGroup.create(world);
        Ranks.runAll(comms, comm -> {
          int r = comm.rank();
          int next = (r + 1) % world;
          int prev = (r + world - 1) % world;
          try (Tensor out = input(dtype, r, 9, RedOp.SUM); Tensor in = Tensors.zeros(allocator, dtype, Device.CPU, 9);
              Tensor expected = input(dtype, prev, 9, RedOp.SUM)) {
            Work sent = comm.sendAsync(out, next);
            comm.recv(in, prev);
            sent.await();
            assertArrayEquals(expected.toDoubleArray(), in.toDoubleArray(), "ring");
          }
          comm.close();
          return null;
        });
      }
    }
  }
}
