package dev.shard4j.collectives.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.RedOp;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import dev.shard4j.testing.CollectiveValues;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Large collectives are cut into pieces that any rank may claim: the cut itself, and results that
 * stay exact whichever rank claims which piece (a different rank comes late to each collective, so
 * the ranks that were parked and the one that arrives last race for the pieces).
 */
class RankWorkPiecesTest {
  private final Allocator allocator = Allocator.root("rank-work-pieces-test");

  @AfterEach
  void close() {
    allocator.close();
  }

  @Test
  void piecesAreAlignedFewAndNotTiny() {
    assertEquals(0, RankWork.pieceElements(0, 4, 4));
    for (int ranks : new int[] {1, 2, 3, 8}) {
      for (int bytes : new int[] {1, 2, 4, 8}) {
        for (long total : new long[] {1, 63, 1000, 65_537, 1 << 20, 3_000_017, 50_000_000}) {
          long piece = RankWork.pieceElements(total, ranks, bytes);
          String at = total + " elements of " + bytes + " bytes, " + ranks + " ranks";
          assertEquals(0, piece % 64, "aligned: " + at);
          long pieces = (total + piece - 1) / piece;
          assertTrue(pieces <= 4L * ranks, "about four pieces a rank at most: " + at);
          long share = (total + ranks - 1) / ranks;
          assertTrue(piece >= Math.min(share, (1 << 20) / bytes), "a piece is 1 MiB or an even share: " + at);
        }
      }
    }
  }

  @Test
  void largeCollectivesAreExactWhicheverRankClaimsEachPiece() {
    long count = 3 * 262_144 + 12_345; // several pieces of 1 MiB, the last one short
    for (int world : new int[] {2, 3}) {
      for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
        RedOp op = dtype == DType.F32 ? RedOp.SUM : RedOp.AVG;
        List<Communicator> comms = LocalGroup.create(world);
        double[] reduced = new double[(int) count];
        for (int i = 0; i < count; i++) {
          reduced[i] = CollectiveValues.reference(dtype, world, i, op);
        }
        Ranks.runAll(comms, comm -> {
          int r = comm.rank();
          long per = count / world;
          try (Tensor send = input(dtype, r, count, op);
              Tensor recv = Tensors.full(allocator, dtype, Device.CPU, -3, count);
              Tensor part = Tensors.full(allocator, dtype, Device.CPU, -3, per);
              Tensor gathered = Tensors.full(allocator, dtype, Device.CPU, -3, per * world);
              Tensor root = Tensors.full(allocator, dtype, Device.CPU, -3, count)) {
            late(r, 0, world);
            comm.allReduce(send, recv, op);
            assertArrayEquals(reduced, recv.toDoubleArray(), "allReduce");
            late(r, 1, world);
            try (Tensor full = send.narrow(0, 0, per * world)) {
              comm.reduceScatter(full, part, op);
            }
            double[] got = part.toDoubleArray();
            for (int i = 0; i < per; i++) {
              assertEquals(reduced[(int) (r * per + i)], got[i], "reduceScatter element " + i);
            }
            late(r, 2, world);
            comm.allGather(part, gathered);
            assertArrayEquals(java.util.Arrays.copyOf(reduced, (int) (per * world)), gathered.toDoubleArray(),
                "allGather");
            late(r, 3, world);
            comm.reduce(send, r == world - 1 ? root : null, op, world - 1);
            if (r == world - 1) {
              assertArrayEquals(reduced, root.toDoubleArray(), "reduce");
            }
            late(r, 4, world);
            comm.broadcast(r == 0 ? recv : null, send, 0);
            assertArrayEquals(reduced, send.toDoubleArray(), "broadcast");
          }
          comm.close();
          return null;
        });
      }
    }
  }

  /** One rank, a different one for each collective, calls it well after the others. */
  private static void late(int rank, int collective, int world) throws InterruptedException {
    if (rank == collective % world) {
      Thread.sleep(30);
    }
  }

  private Tensor input(DType dtype, int rank, long count, RedOp op) {
    double[] v = new double[(int) count];
    for (int i = 0; i < count; i++) {
      v[i] = CollectiveValues.value(dtype, rank, i, op);
    }
    return Tensors.fromArray(allocator, v, dtype, Device.CPU, count);
  }
}
