package dev.shard4j.collectives.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shard4j.collectives.CollectiveException;
import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.RedOp;
import dev.shard4j.collectives.Work;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Timeouts, failed and missing peers, mismatches and bad input: clear errors, never a hang. */
class LocalFaultsTest {
  private static final Duration SHORT = Duration.ofMillis(400);
  private final Allocator allocator = Allocator.root("local-faults-test");

  @AfterEach
  void close() {
    allocator.close();
  }

  private static CollectiveException failure(Object result) {
    return assertInstanceOf(CollectiveException.class, result, String.valueOf(result));
  }

  @Test
  void aRankThatNeverArrivesFailsTheOthersWithinTheTimeout() {
    List<Communicator> comms = LocalGroup.create(4, SHORT);
    long start = System.nanoTime();
    List<Object> results = Ranks.run(comms, Duration.ofSeconds(30), comm -> {
      try (Tensor t = Tensors.full(allocator, DType.F32, Device.CPU, comm.rank(), 16)) {
        comm.allReduce(t, t, RedOp.SUM); // #1: everyone
        if (comm.rank() == 2) {
          return "left";
        }
        comm.barrier(); // #2: rank 2 never comes
        return "unexpected";
      }
    });
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertTrue(ms < 10_000, "failed after " + ms + " ms");
    assertEquals("left", results.get(2));
    for (int r : new int[] {0, 1, 3}) {
      CollectiveException e = failure(results.get(r));
      assertEquals("barrier", e.operation());
      assertEquals(2, e.sequence());
      assertEquals(List.of(2), e.missingRanks());
      assertTrue(e.getMessage().contains("barrier #2") && e.getMessage().contains("ranks [2] did not"),
          e.getMessage());
    }
  }

  @Test
  void anAbortingRankFailsEveryPendingHandle() {
    List<Communicator> comms = LocalGroup.create(3, Duration.ofSeconds(60));
    List<Object> results = Ranks.run(comms, Duration.ofSeconds(30), comm -> {
      try (Tensor t = Tensors.full(allocator, DType.F32, Device.CPU, comm.rank(), 16)) {
        if (comm.rank() == 1) {
          comm.abort(new IllegalStateException("out of data"));
          return "aborted";
        }
        Work a = comm.allReduceAsync(t, t, RedOp.SUM);
        Work b = comm.broadcastAsync(t, t, 0);
        CollectiveException ea = assertThrows(CollectiveException.class, a::await);
        CollectiveException eb = assertThrows(CollectiveException.class, b::await);
        assertTrue(ea.getMessage().contains("allReduce #1") && ea.getMessage().contains("out of data"),
            ea.getMessage());
        assertTrue(eb.getMessage().contains("broadcast #2"), eb.getMessage());
        assertTrue(a.isDone() && a.error().isPresent());
        return "ok";
      }
    });
    assertEquals(List.of("ok", "aborted", "ok"), results);
  }

  /** A rank that closes fails the collectives waiting for it at once, not after the timeout. */
  @Test
  void aClosedRankFailsItsPeersAtOnce() {
    List<Communicator> comms = LocalGroup.create(3, Duration.ofSeconds(60));
    long[] failedAfterMs = new long[3];
    List<Object> results = Ranks.run(comms, Duration.ofSeconds(30), comm -> {
      try (Tensor t = Tensors.full(allocator, DType.F32, Device.CPU, comm.rank(), 16);
          Tensor u = Tensors.zeros(allocator, DType.F32, Device.CPU, 16);
          Tensor gathered = Tensors.zeros(allocator, DType.F32, Device.CPU, 48)) {
        comm.allReduce(t, t, RedOp.SUM); // #1: everyone
        if (comm.rank() == 2) {
          Thread.sleep(200); // the others are waiting in #2 by now
          comm.close();
          return "closed";
        }
        long start = System.nanoTime();
        CollectiveException e = assertThrows(CollectiveException.class, () -> comm.allGather(t, gathered));
        failedAfterMs[comm.rank()] = (System.nanoTime() - start) / 1_000_000 - 200;
        assertEquals(List.of(2), e.missingRanks());
        assertTrue(e.getMessage().contains("allGather #2") && e.getMessage().contains("rank 2 closed its communicator"),
            e.getMessage());
        CollectiveException later = assertThrows(CollectiveException.class, comm::barrier);
        assertTrue(later.getMessage().contains("rank 2 closed"), later.getMessage());
        // Transfers with the closed rank fail at once; between the others they go on.
        CollectiveException toClosed = assertThrows(CollectiveException.class, () -> comm.send(t, 2));
        assertTrue(toClosed.getMessage().contains("rank 2 closed"), toClosed.getMessage());
        assertThrows(CollectiveException.class, () -> comm.recv(u, 2));
        int peer = 1 - comm.rank();
        comm.sendRecvAsync(t, peer, u, peer).await();
        assertEquals(3f, u.toFloatArray()[0], "the sum of #1, from the peer");
        return "ok";
      }
    });
    assertEquals(List.of("ok", "ok", "closed"), results);
    for (int r = 0; r < 2; r++) {
      assertTrue(failedAfterMs[r] < 1000, "rank " + r + " learnt of the close after " + failedAfterMs[r] + " ms");
    }
    comms.forEach(Communicator::close);
  }

  /** A rank whose thread is interrupted inside a collective fails the others at once, named. */
  @Test
  void aRankInterruptedInsideACollectiveFailsThePeersAtOnce() throws Exception {
    List<Communicator> comms = LocalGroup.create(3, Duration.ofSeconds(60));
    Thread[] threadOfRank2 = new Thread[1];
    java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
    long[] elapsed = new long[3];
    Thread interrupter = new Thread(() -> {
      try {
        inside.await();
        Thread.sleep(200);
        threadOfRank2[0].interrupt();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    interrupter.start();
    List<Object> results = Ranks.run(comms, Duration.ofSeconds(30), comm -> {
      try (Tensor t = Tensors.full(allocator, DType.F32, Device.CPU, comm.rank(), 1 << 16)) {
        long start = System.nanoTime();
        try {
          if (comm.rank() == 2) {
            threadOfRank2[0] = Thread.currentThread();
            inside.countDown();
            comm.recv(t, 0); // rank 0 never sends: rank 2 waits here while the others wait for it
          } else {
            comm.allReduce(t, t, RedOp.SUM);
          }
          return "unexpected";
        } catch (CollectiveException e) {
          elapsed[comm.rank()] = (System.nanoTime() - start) / 1_000_000;
          return e;
        } finally {
          Thread.interrupted();
          comm.close();
        }
      }
    });
    interrupter.join();
    CollectiveException own = failure(results.get(2));
    assertTrue(own.getMessage().contains("recv #1 failed on rank 2: its thread was interrupted"), own.getMessage());
    for (int r = 0; r < 2; r++) {
      CollectiveException e = failure(results.get(r));
      assertTrue(e.getMessage().contains("rank 2"), e.getMessage());
      assertTrue(elapsed[r] < 1200, "rank " + r + " failed after " + elapsed[r] + " ms");
    }
  }

  /** Two threads on one communicator: the second is told so, and the first goes on unharmed. */
  @Test
  void aCommunicatorUsedFromTwoThreadsAtOnceSaysSo() throws Exception {
    List<Communicator> comms = LocalGroup.create(2, Duration.ofSeconds(60));
    try (Tensor t = Tensors.full(allocator, DType.F32, Device.CPU, 1, 1 << 12);
        Tensor other = Tensors.full(allocator, DType.F32, Device.CPU, 5, 1 << 12);
        Tensor peer = Tensors.full(allocator, DType.F32, Device.CPU, 2, 1 << 12)) {
      Thread first = new Thread(() -> comms.get(0).allReduce(t, t, RedOp.SUM), "first-caller");
      first.start();
      Thread.sleep(200); // first-caller waits inside the all-reduce for rank 1
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> comms.get(0).allReduce(other, other, RedOp.SUM));
      assertTrue(e.getMessage().contains("in use") && e.getMessage().contains("'first-caller'")
          && e.getMessage().contains("one thread at a time"), e.getMessage());
      comms.get(1).allReduce(peer, peer, RedOp.SUM);
      first.join(10_000);
      assertEquals(3f, t.toFloatArray()[0]);
      assertEquals(5f, other.toFloatArray()[0], "the refused call touched nothing");
    }
    comms.forEach(Communicator::close);
  }

  @Test
  void mismatchedCallsAreReportedByRank() {
    List<Communicator> comms = LocalGroup.create(3, Duration.ofSeconds(60));
    List<Object> results = Ranks.run(comms, Duration.ofSeconds(30), comm -> {
      long count = comm.rank() == 2 ? 99 : 100;
      try (Tensor t = Tensors.zeros(allocator, DType.F32, Device.CPU, count)) {
        comm.allReduce(t, t, RedOp.SUM);
      }
      return "unexpected";
    });
    for (Object r : results) {
      CollectiveException e = failure(r);
      assertTrue(e.getMessage().contains("rank 0 called allReduce(F32, 100 elements, SUM) but rank 2 called "
          + "allReduce(F32, 99 elements, SUM)"), e.getMessage());
    }
  }

  @Test
  void differentOperationsAreReportedToo() {
    List<Communicator> comms = LocalGroup.create(2, Duration.ofSeconds(60));
    List<Object> results = Ranks.run(comms, Duration.ofSeconds(30), comm -> {
      try (Tensor t = Tensors.zeros(allocator, DType.BF16, Device.CPU, 8)) {
        if (comm.rank() == 0) {
          comm.broadcast(t, t, 0);
        } else {
          comm.allReduce(t, t, RedOp.MAX);
        }
      }
      return "unexpected";
    });
    for (Object r : results) {
      assertTrue(failure(r).getMessage().contains("rank 0 called broadcast(BF16, 8 elements, root 0) but rank 1 "
          + "called allReduce(BF16, 8 elements, MAX)"), String.valueOf(r));
    }
  }

  /** Each field of a call on its own: rank 1 differs from rank 0 in just that one. */
  @Test
  void everyFieldOfACallIsCompared() {
    String[] differences = {"dtype", "root", "reduction", "premul factor", "count"};
    for (String difference : differences) {
      List<Communicator> comms = LocalGroup.create(2, Duration.ofSeconds(60));
      List<Object> results = Ranks.run(comms, Duration.ofSeconds(30), comm -> {
        boolean odd = comm.rank() == 1;
        try (Tensor t = Tensors.zeros(allocator, odd && difference.equals("dtype") ? DType.BF16 : DType.F32,
            Device.CPU, odd && difference.equals("count") ? 9 : 8)) {
          switch (difference) {
            case "root" -> comm.broadcast(t, t, odd ? 1 : 0);
            case "reduction" -> comm.allReduce(t, t, odd ? RedOp.AVG : RedOp.SUM);
            case "premul factor" -> comm.allReduce(t, t, RedOp.premulSum(odd ? 0.25 : 0.5));
            default -> comm.allReduce(t, t, RedOp.SUM);
          }
        }
        return "unexpected";
      });
      for (Object r : results) {
        assertTrue(failure(r).getMessage().contains("collective mismatch"), difference + ": " + r);
      }
    }
  }

  /** The meeting's check compares RedOp names by their hashes: they must differ. */
  @Test
  void reductionNamesHashApart() {
    List<RedOp> all = List.of(RedOp.SUM, RedOp.PROD, RedOp.MAX, RedOp.MIN, RedOp.AVG, RedOp.premulSum(1));
    assertEquals(all.size(), all.stream().map(op -> op.name().hashCode()).distinct().count());
  }

  @Test
  void badArgumentsAreRefusedBeforeAnyRankBlocks() {
    List<Communicator> comms = LocalGroup.create(2, Duration.ofSeconds(60));
    Communicator comm = comms.get(0);
    try (Tensor f = Tensors.zeros(allocator, DType.F32, Device.CPU, 10);
        Tensor small = Tensors.zeros(allocator, DType.F32, Device.CPU, 19);
        Tensor ints = Tensors.zeros(allocator, DType.I32, Device.CPU, 10);
        Tensor wide = Tensors.zeros(allocator, DType.F32, Device.CPU, 4, 5);
        Tensor strided = wide.transpose(0, 1)) {
      refused(IllegalArgumentException.class, "recv has 19 elements, expected 20", () -> comm.allGather(f, small));
      refused(IllegalArgumentException.class, "recv has dtype I32", () -> comm.allReduce(f, ints, RedOp.SUM));
      refused(IllegalArgumentException.class, "AVG takes floating-point dtypes", () -> comm.allReduce(ints, ints, RedOp.AVG));
      refused(IllegalArgumentException.class, "root 2 out of range", () -> comm.broadcast(f, f, 2));
      refused(IllegalArgumentException.class, "peer -1 out of range", () -> comm.send(f, -1));
      refused(IllegalArgumentException.class, "must be contiguous", () -> comm.allReduce(strided, strided, RedOp.SUM));
      refused(IllegalArgumentException.class, "not a multiple of 2", () -> comm.allToAll(small, small));
      refused(NullPointerException.class, "recv", () -> comm.allReduce(f, null, RedOp.SUM));
      comm.close();
      refused(IllegalStateException.class, "is closed", () -> comm.barrier());
      Tensor closed = Tensors.zeros(allocator, DType.F32, Device.CPU, 10);
      closed.close();
      refused(IllegalStateException.class, "send is closed", () -> comms.get(1).allReduce(closed, f, RedOp.SUM));
    }
    comms.get(1).close();
  }

  @Test
  void aSendNobodyReceivesTimesOut() {
    List<Communicator> comms = LocalGroup.create(2, SHORT);
    try (Tensor t = Tensors.zeros(allocator, DType.F32, Device.CPU, 10)) {
      CollectiveException e = assertThrows(CollectiveException.class, () -> comms.get(0).send(t, 1));
      assertEquals(List.of(1), e.missingRanks());
      assertTrue(e.getMessage().contains("rank 1 did not receive"), e.getMessage());
      CollectiveException r = assertThrows(CollectiveException.class, () -> comms.get(1).recv(t, 0));
      assertTrue(r.getMessage().contains("group was aborted"), r.getMessage());
    }
  }

  @Test
  void splitWithNoColorGivesNull() {
    List<Communicator> comms = LocalGroup.create(1);
    assertNull(comms.get(0).split(Communicator.NO_COLOR, 0));
    assertThrows(IllegalArgumentException.class, () -> comms.get(0).split(-5, 0));
  }

  private static void refused(Class<? extends Throwable> type, String fragment, Executable call) {
    long start = System.nanoTime();
    Throwable e = assertThrows(type, call);
    assertTrue(e.getMessage() != null && e.getMessage().contains(fragment),
        "expected '" + fragment + "' in: " + e.getMessage());
    assertTrue(System.nanoTime() - start < 5_000_000_000L, "refused without waiting for the peer");
  }
}
