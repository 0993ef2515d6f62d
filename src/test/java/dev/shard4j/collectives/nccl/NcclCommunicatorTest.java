package dev.shard4j.collectives.nccl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.shard4j.bindings.Cuda;
import dev.shard4j.bindings.Nccl;
import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.RedOp;
import dev.shard4j.collectives.Work;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Event;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The NCCL backend on the GPUs of this machine: a communicator over all of them, one rank per GPU. */
@Tag("gpu")
class NcclCommunicatorTest {
  private Allocator allocator;
  private List<NcclCommunicator> comms;

  @BeforeEach
  void requireNccl() {
    assumeTrue(Cuda.available(), "no CUDA device: " + Cuda.probe().reason());
    assumeTrue(Cuda.probe().nccl().loaded(), "NCCL not loaded: " + Cuda.probe().nccl().detail());
    allocator = Allocator.root("nccl-test");
    List<Device> devices = new ArrayList<>();
    for (int i = 0; i < Cuda.probe().deviceCount(); i++) {
      devices.add(Device.cuda(i));
    }
    comms = NcclCommunicator.createAll(devices);
  }

  @AfterEach
  void close() {
    if (comms != null) {
      comms.forEach(Communicator::close);
    }
    if (allocator != null) {
      allocator.close();
    }
  }

  private Tensor on(Device d, double[] values, DType dtype) {
    return Tensors.fromArray(allocator, values, dtype, d, values.length);
  }

  @Test
  void versionAndRanks() {
    assertTrue(Nccl.version() >= 22000, "NCCL " + Nccl.version());
    for (int r = 0; r < comms.size(); r++) {
      assertEquals(r, comms.get(r).rank());
      assertEquals(comms.size(), comms.get(r).size());
    }
  }

  /** An abort after close must not reach NCCL: the communicator is destroyed by then. */
  @Test
  void abortAfterCloseIsANoOp() {
    NcclCommunicator c = NcclCommunicator.create(Device.cuda(0), Nccl.uniqueId(), 1, 0);
    try (Tensor t = Tensors.full(allocator, DType.F32, Device.cuda(0), 2, 16)) {
      c.allReduce(t, t, RedOp.SUM);
      c.close();
      c.abort(new IllegalStateException("a failure after the end"));
      c.close();
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.allReduce(t, t, RedOp.SUM));
      assertTrue(e.getMessage().contains("closed"), e.getMessage());
      assertEquals(2f, t.toFloatArray()[0]);
    }
  }

  /** Runs body on every rank, enqueueing first and waiting after (the ranks live in this thread). */
  private void everyRank(java.util.function.Function<NcclCommunicator, Work> body) {
    List<Work> works = new ArrayList<>();
    NcclCommunicator.group(() -> {
      for (NcclCommunicator c : comms) {
        works.add(body.apply(c));
      }
      assertThrows(IllegalStateException.class, () -> works.get(0).await());
    });
    works.forEach(Work::await);
  }

  @Test
  void collectivesAgreeWithTheReference() {
    int w = comms.size();
    int n = 1003;
    for (DType dtype : new DType[] {DType.F32, DType.BF16, DType.F16, DType.F64, DType.I32, DType.I8}) {
      double[][] in = new double[w][n];
      double[] sum = new double[n];
      for (int r = 0; r < w; r++) {
        for (int i = 0; i < n; i++) {
          in[r][i] = (r * 5 + i * 3) % 7 - 3;
          sum[i] += in[r][i];
        }
      }
      List<Tensor> sends = new ArrayList<>();
      List<Tensor> recvs = new ArrayList<>();
      for (int r = 0; r < w; r++) {
        sends.add(on(comms.get(r).device(), in[r], dtype));
        recvs.add(Tensors.zeros(allocator, dtype, comms.get(r).device(), n));
      }
      everyRank(c -> c.allReduceAsync(sends.get(c.rank()), recvs.get(c.rank()), RedOp.SUM));
      for (Tensor t : recvs) {
        assertArrayEquals(sum, t.toDoubleArray(), "allReduce " + dtype);
      }
      if (dtype.isFloatingPoint()) {
        everyRank(c -> c.allReduceAsync(sends.get(c.rank()), recvs.get(c.rank()), RedOp.premulSum(2.0)));
        for (Tensor t : recvs) {
          double[] got = t.toDoubleArray();
          for (int i = 0; i < n; i++) {
            assertEquals(2 * sum[i], got[i], "premul " + dtype);
          }
        }
      }
      everyRank(c -> c.broadcastAsync(sends.get(c.rank()), recvs.get(c.rank()), 0));
      for (Tensor t : recvs) {
        assertArrayEquals(in[0], t.toDoubleArray(), "broadcast " + dtype);
      }
      sends.forEach(Tensor::close);
      recvs.forEach(Tensor::close);
    }
  }

  /**
   * Work nobody awaits still lets go of its tensors: once the device has run it, later enqueues
   * release it (one event query per pass, so it may take two passes), and awaiting a later work
   * releases every earlier one at once.
   */
  @Test
  void unawaitedWorkReleasesItsTensors() {
    assumeTrue(comms.size() == 1, "one rank only: each call would wait for the other ranks' calls");
    NcclCommunicator c = comms.get(0);
    try (Tensor keep = Tensors.zeros(allocator, DType.F32, c.device(), 1000)) {
      long before = allocator.allocatedBytes();
      Tensor dropped = Tensors.zeros(allocator, DType.F32, c.device(), 1001);
      for (int i = 0; i < 5; i++) {
        c.allReduceAsync(dropped, dropped, RedOp.SUM);
      }
      dropped.close();
      assertTrue(allocator.allocatedBytes() > before, "the unfinished work holds the tensor");
      c.stream().synchronize();
      for (int i = 0; i < 100 && allocator.allocatedBytes() > before; i++) {
        c.allReduceAsync(keep, keep, RedOp.SUM);
      }
      assertEquals(before, allocator.allocatedBytes(), "released by later enqueues");

      Tensor awaited = Tensors.zeros(allocator, DType.F32, c.device(), 1002);
      for (int i = 0; i < 3; i++) {
        c.allReduceAsync(awaited, awaited, RedOp.SUM);
      }
      Work last = c.allReduceAsync(keep, keep, RedOp.SUM);
      awaited.close();
      last.await();
      assertEquals(before, allocator.allocatedBytes(), "released by awaiting a later work");
    }
  }

  /** What the default stream wrote just before a call is what the call reads, without a sync. */
  @Test
  void callsWaitForTheDefaultStream() {
    int w = comms.size();
    long n = 64L << 20; // a fill of 256 MiB takes long enough to lose a race with NCCL's stream
    List<Tensor> buffers = new ArrayList<>();
    for (NcclCommunicator c : comms) {
      buffers.add(Tensors.zeros(allocator, DType.F32, c.device(), n));
    }
    try {
      for (int round = 1; round <= 3; round++) {
        for (int r = 0; r < w; r++) {
          buffers.get(r).fill(round + r); // queued on the default stream, not waited for
        }
        everyRank(c -> c.allReduceAsync(buffers.get(c.rank()), buffers.get(c.rank()), RedOp.SUM));
        double expected = 0;
        for (int r = 0; r < w; r++) {
          expected += round + r;
        }
        for (Tensor t : buffers) {
          try (Tensor tail = t.narrow(0, n - 1000, 1000); Tensor head = t.narrow(0, 0, 1000)) {
            for (double v : tail.toDoubleArray()) {
              assertEquals(expected, v, "round " + round + ", end of the buffer");
            }
            for (double v : head.toDoubleArray()) {
              assertEquals(expected, v, "round " + round + ", start of the buffer");
            }
          }
        }
      }
    } finally {
      buffers.forEach(Tensor::close);
    }
  }

  @Test
  void gatherScatterAllToAllAndSplit() {
    int w = comms.size();
    List<Tensor> a = new ArrayList<>();
    List<Tensor> g = new ArrayList<>();
    for (NcclCommunicator c : comms) {
      a.add(Tensors.full(allocator, DType.F32, c.device(), c.rank() + 1, 4));
      g.add(Tensors.zeros(allocator, DType.F32, c.device(), 4L * w));
    }
    everyRank(c -> c.allGatherAsync(a.get(c.rank()), g.get(c.rank())));
    double[] expected = new double[4 * w];
    for (int i = 0; i < expected.length; i++) {
      expected[i] = i / 4 + 1;
    }
    for (Tensor t : g) {
      assertArrayEquals(expected, t.toDoubleArray());
    }
    everyRank(c -> c.reduceScatterAsync(g.get(c.rank()), a.get(c.rank()), RedOp.AVG));
    for (NcclCommunicator c : comms) {
      assertArrayEquals(new double[] {c.rank() + 1, c.rank() + 1, c.rank() + 1, c.rank() + 1},
          a.get(c.rank()).toDoubleArray());
    }
    List<Tensor> x = new ArrayList<>();
    for (NcclCommunicator c : comms) {
      x.add(Tensors.zeros(allocator, DType.F32, c.device(), 4L * w));
    }
    everyRank(c -> c.allToAllAsync(g.get(c.rank()), x.get(c.rank())));
    for (NcclCommunicator c : comms) {
      double[] got = x.get(c.rank()).toDoubleArray();
      for (int q = 0; q < w; q++) {
        assertEquals(c.rank() + 1, got[q * 4], "block from " + q);
      }
    }
    if (w == 1) {
      Communicator sub = comms.get(0).split(0, 0);
      assertEquals(1, sub.size());
      sub.close();
      assertNull(comms.get(0).split(Communicator.NO_COLOR, 0));
    }
    a.forEach(Tensor::close);
    g.forEach(Tensor::close);
    x.forEach(Tensor::close);
  }

  @Test
  void badInputIsRefusedAndTheEnqueueIsTimed() {
    NcclCommunicator c = comms.get(0);
    try (Tensor host = Tensors.zeros(allocator, DType.F32, Device.CPU, 4);
        Tensor dev = Tensors.zeros(allocator, DType.F32, c.device(), 4)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> c.allReduceAsync(host, host, RedOp.SUM));
      assertTrue(e.getMessage().contains("is on cpu"), e.getMessage());
      if (comms.size() == 1) {
        printEnqueueOverhead(c, dev);
      }
    }
  }

  /**
   * The Java overhead of an enqueue (target: under 2 us): our call beside the bare NCCL call
   * (with the async-error poll a nonblocking communicator needs) and beside the same driver and
   * NCCL calls that ours makes, in its order, without the Java around them. The three alternate
   * in rounds after a common warm-up, so that drift of the machine shows in all three alike.
   */
  private static void printEnqueueOverhead(NcclCommunicator c, Tensor dev) {
    long handle = c.handle();
    long stream = c.stream().nativeHandle();
    Runnable bare = () -> {
      Nccl.allReduce(dev.dataAddress(), dev.dataAddress(), 4, DType.F32.nativeCode(), 0, handle, stream);
      while (Nccl.asyncError(handle) == Nccl.IN_PROGRESS) {
        Thread.onSpinWait();
      }
    };
    Runnable ours = () -> c.allReduceAsync(dev, dev, RedOp.SUM);
    try (Event handOffEvent = Event.create(c.device(), false);
        Event workEvent = Event.create(c.device(), false)) {
      Stream main = Stream.defaultStream(c.device());
      Runnable calls = () -> {
        handOffEvent.record(main);
        c.stream().waitFor(handOffEvent);
        bare.run();
        workEvent.record(c.stream());
      };
      warmUp(c, 4_000_000_000L, bare, ours, calls);
      StringBuilder rounds = new StringBuilder();
      for (int round = 0; round < 3; round++) {
        double b = enqueueMicros(c, bare, 2_000_000_000L);
        double o = enqueueMicros(c, ours, 2_000_000_000L);
        double n = enqueueMicros(c, calls, 2_000_000_000L);
        rounds.append(String.format("%n  round %d: ours %.2f us per call, bare NCCL %.2f us (overhead %.2f us), "
            + "the same native calls in sequence %.2f us (so the Java side %.2f us)",
            round + 1, o, b, o - b, n, o - n));
      }
      System.out.println("nccl allReduce enqueue, medians of batches of 64 calls:" + rounds);
      // Where the native part goes: the pieces of our call that reach the driver or NCCL.
      warmUp(c, 500_000_000L, () -> handOffEvent.record(c.stream()));
      double handOff = enqueueMicros(c, () -> {
        handOffEvent.record(main);
        c.stream().waitFor(handOffEvent);
      }, 1_000_000_000L);
      double record = enqueueMicros(c, () -> workEvent.record(c.stream()), 1_000_000_000L);
      double poll = enqueueMicros(c, () -> Nccl.asyncError(handle), 1_000_000_000L);
      double query = enqueueMicros(c, () -> {
        workEvent.record(c.stream());
        workEvent.isDone();
      }, 1_000_000_000L) - record;
      System.out.printf("  of which: default-stream hand-off %.2f us, work event %.2f us, error poll %.2f us; "
          + "an event query right after its record %.2f us%n", handOff, record, poll, query);
    }
  }

  /** Runs batches of the calls in turn for a while, untimed: JIT and driver warm-up. */
  private static void warmUp(NcclCommunicator c, long nanos, Runnable... calls) {
    long end = System.nanoTime() + nanos;
    while (System.nanoTime() < end) {
      for (Runnable call : calls) {
        for (int i = 0; i < BATCH; i++) {
          call.run();
        }
        c.stream().synchronize();
      }
    }
  }

  /** Calls per timed batch. */
  private static final int BATCH = 64;

  /**
   * Microseconds per call: the median over batches of {@link #BATCH} calls, each batch timed
   * alone and then drained, so that the device's launch queue never fills (a call would then
   * wait for the device and the figure would be the device's, not the call's). Windows of a
   * second or more after a warm-up of seconds: on an H200, short windows right after start gave
   * medians up to twice as high, for the bare native calls too (BENCHMARKS.md has the figures).
   */
  private static double enqueueMicros(NcclCommunicator c, Runnable call, long windowNanos) {
    java.util.List<Double> perCall = new java.util.ArrayList<>();
    long end = System.nanoTime() + windowNanos;
    while (System.nanoTime() < end) {
      long t0 = System.nanoTime();
      for (int i = 0; i < BATCH; i++) {
        call.run();
      }
      long t1 = System.nanoTime();
      c.stream().synchronize();
      perCall.add((t1 - t0) / 1e3 / BATCH);
    }
    java.util.Collections.sort(perCall);
    return perCall.get(perCall.size() / 2);
  }
}
