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
  void badInputIsRefusedAndTheEnqueueIsCheap() {
    NcclCommunicator c = comms.get(0);
    try (Tensor host = Tensors.zeros(allocator, DType.F32, Device.CPU, 4);
        Tensor dev = Tensors.zeros(allocator, DType.F32, c.device(), 4)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> c.allReduceAsync(host, host, RedOp.SUM));
      assertTrue(e.getMessage().contains("is on cpu"), e.getMessage());
      if (comms.size() == 1) {
        // The Java overhead of an enqueue (target: under 2 us), as the time of our call less the
        // bare NCCL call (with the async-error poll a nonblocking communicator needs).
        long handle = c.handle();
        long stream = c.stream().nativeHandle();
        double bare = enqueueMicros(c, () -> {
          Nccl.allReduce(dev.dataAddress(), dev.dataAddress(), 4, DType.F32.nativeCode(), 0, handle, stream);
          while (Nccl.asyncError(handle) == Nccl.IN_PROGRESS) {
            Thread.onSpinWait();
          }
        });
        double ours = enqueueMicros(c, () -> c.allReduceAsync(dev, dev, RedOp.SUM));
        System.out.printf("nccl allReduce enqueue: ours %.2f us per call, bare NCCL %.2f us, overhead %.2f us%n",
            ours, bare, ours - bare);
        // Where the overhead goes: the pieces of our call that reach the driver or NCCL.
        try (Event handOffEvent = Event.create(c.device(), false)) {
          Stream main = Stream.defaultStream(c.device());
          double handOff = enqueueMicros(c, () -> {
            handOffEvent.record(main);
            c.stream().waitFor(handOffEvent);
          });
          double record = enqueueMicros(c, () -> handOffEvent.record(c.stream()));
          double poll = enqueueMicros(c, () -> Nccl.asyncError(handle));
          System.out.printf("  of which: default-stream hand-off %.2f us, work event %.2f us, error poll %.2f us%n",
              handOff, record, poll);
          // Our call's driver and NCCL calls in its order, without the Java around them: what is
          // left of the difference to ours is the Java side.
          try (Event workEvent = Event.create(c.device(), false)) {
            double calls = enqueueMicros(c, () -> {
              handOffEvent.record(main);
              c.stream().waitFor(handOffEvent);
              Nccl.allReduce(dev.dataAddress(), dev.dataAddress(), 4, DType.F32.nativeCode(), 0, handle, stream);
              while (Nccl.asyncError(handle) == Nccl.IN_PROGRESS) {
                Thread.onSpinWait();
              }
              workEvent.record(c.stream());
            });
            System.out.printf("  the same native calls in sequence: %.2f us, so the Java side %.2f us%n", calls,
                ours - calls);
          }
        }
      }
    }
  }

  /**
   * Microseconds per enqueue: the median over batches of 64 calls, each batch timed alone and
   * then drained, so that the device's launch queue never fills (a call would then wait for the
   * device and the figure would be the device's, not the call's). Batches run untimed for a
   * warm-up first, then timed for four seconds: on an H200, windows of a second, or of a fraction
   * of one, gave medians up to twice those of four-second windows, for the bare native calls too
   * (JIT and driver warm-up, it seems; BENCHMARKS.md has the figures).
   */
  private static double enqueueMicros(NcclCommunicator c, Runnable call) {
    int batch = 64;
    long warmUpEnd = System.nanoTime() + (warmedUp ? 1_000_000_000L : 4_000_000_000L);
    warmedUp = true;
    while (System.nanoTime() < warmUpEnd) {
      for (int i = 0; i < batch; i++) {
        call.run();
      }
      c.stream().synchronize();
    }
    java.util.List<Double> perCall = new java.util.ArrayList<>();
    long end = System.nanoTime() + 4_000_000_000L;
    while (System.nanoTime() < end) {
      long t0 = System.nanoTime();
      for (int i = 0; i < batch; i++) {
        call.run();
      }
      long t1 = System.nanoTime();
      c.stream().synchronize();
      perCall.add((t1 - t0) / 1e3 / batch);
    }
    java.util.Collections.sort(perCall);
    return perCall.get(perCall.size() / 2);
  }

  /** Whether the process has run an enqueue measurement already (the longer warm-up is done). */
  private static boolean warmedUp;
}
