package dev.shard4j.parallel.fsdp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.Work;
import dev.shard4j.collectives.local.LocalGroup;
import dev.shard4j.kernels.AdamW;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Event;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Communication on a comm stream, overlapping compute: the same collectives in the same order as
 * without a stream, so the same bits; buffers kept until the work on them is over.
 */
class OverlapTest {
  private static final List<List<ParamSpec>> LAYERS = List.of(
      List.of(ParamSpec.of("fc1.w", 9, 5), ParamSpec.of("fc1.b", 9)),
      List.of(ParamSpec.of("fc2.w", 3, 9), ParamSpec.of("fc2.b", 3)),
      List.of(ParamSpec.of("head.w", 7, 3)));
  private static final AdamW ADAMW = new AdamW(1e-2, 0.9, 0.95, 1e-8, 0.1);
  private final Allocator allocator = Allocator.root("overlap-test");

  @AfterEach
  void close() {
    allocator.close();
  }

  /** How a rank's groups run their communication. */
  private enum Schedule {
    /** At once on the rank's thread. */
    INLINE,
    /** On a thread of the rank's. */
    THREADED,
    /** The device schedule (streams and events), which on the CPU follows each collective at once. */
    DEVICE;

    CommStream stream(String name) {
      return switch (this) {
        case INLINE -> null;
        case THREADED -> CommStream.create(name);
        case DEVICE -> CommStream.onDevice(name);
      };
    }
  }

  @Test
  void prefetchAndAsyncReduceGiveTheBitsOfTheSynchronousSchedule() throws Exception {
    for (Strategy strategy : Strategy.values()) {
      int world = 4;
      List<List<float[]>> plain = train(world, strategy, Schedule.INLINE);
      for (Schedule schedule : new Schedule[] {Schedule.THREADED, Schedule.DEVICE}) {
        List<List<float[]>> overlapped = train(world, strategy, schedule);
        for (int r = 0; r < world; r++) {
          for (int p = 0; p < plain.get(r).size(); p++) {
            assertArrayEquals(plain.get(r).get(p), overlapped.get(r).get(p),
                strategy + ", " + schedule + ", rank " + r + ", parameter " + p);
          }
        }
      }
    }
  }

  /** Three layers, two micro-batches a step, three steps; returns each rank's master shards. */
  private List<List<float[]>> train(int world, Strategy strategy, Schedule schedule) throws Exception {
    List<Communicator> comms = LocalGroup.create(world, Duration.ofSeconds(60));
    ExecutorService pool = Executors.newFixedThreadPool(world);
    try {
      List<Future<List<float[]>>> ranks = new ArrayList<>();
      for (Communicator comm : comms) {
        ranks.add(pool.submit(() -> {
          try (CommStream stream = schedule.stream("rank" + comm.rank())) {
            return trainRank(comm, strategy, stream);
          } finally {
            comm.close();
          }
        }));
      }
      List<List<float[]>> out = new ArrayList<>();
      for (Future<List<float[]>> f : ranks) {
        out.add(f.get(120, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  private List<float[]> trainRank(Communicator comm, Strategy strategy, CommStream stream) {
    List<ShardGroup> groups = new ArrayList<>();
    try {
      for (int l = 0; l < LAYERS.size(); l++) {
        List<Tensor> init = new ArrayList<>();
        for (ParamSpec spec : LAYERS.get(l)) {
          init.add(Tensors.normal(allocator, DType.F32, Device.CPU, 17L * l + init.size(), 0, 0.5,
              spec.shape().toArray()));
        }
        try {
          groups.add(ShardGroup.create(comm, LAYERS.get(l), new MixedPrecision(DType.BF16, DType.F32), strategy, 2,
              allocator, init, stream));
        } finally {
          init.forEach(Tensor::close);
        }
      }
      for (int step = 1; step <= 3; step++) {
        for (int micro = 0; micro < 2; micro++) {
          // forward: gather layer l while prefetching layer l + 1
          for (int l = 0; l < groups.size(); l++) {
            if (l + 1 < groups.size()) {
              groups.get(l + 1).prefetch();
            }
            groups.get(l).gather();
            if (strategy.reshardAfterForward()) {
              groups.get(l).reshard();
            }
          }
          // backward, last layer first: each reduce runs while the next layer computes
          for (int l = groups.size() - 1; l >= 0; l--) {
            ShardGroup g = groups.get(l);
            List<Tensor> grads = new ArrayList<>();
            for (int p = 0; p < LAYERS.get(l).size(); p++) {
              grads.add(Tensors.normal(allocator, DType.BF16, Device.CPU,
                  100_000L * step + 1000L * micro + 100L * comm.rank() + 10L * l + p, 0, 1,
                  LAYERS.get(l).get(p).shape().toArray()));
            }
            try {
              g.gather();
              g.reduceGradientsAsync(grads, g.averagingFactor() / 2);
            } finally {
              grads.forEach(Tensor::close); // the copy-in is done: the gradients may go
            }
            g.reshard();
          }
        }
        for (ShardGroup g : groups) {
          g.step(ADAMW, 1.0);
        }
      }
      List<float[]> shards = new ArrayList<>();
      for (ShardGroup g : groups) {
        shards.add(g.state()[0].toFloatArray());
      }
      return shards;
    } finally {
      groups.forEach(ShardGroup::close);
    }
  }

  @Test
  void aThreadedStreamRunsInOrderAndCountsBusyAndWaitedTime() throws Exception {
    try (CommStream stream = CommStream.create("order")) {
      List<Integer> seen = new ArrayList<>();
      CountDownLatch release = new CountDownLatch(1);
      Work first = stream.submit("first", () -> {
        try {
          assertTrue(release.await(30, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
        seen.add(1);
      });
      List<Work> rest = new ArrayList<>();
      for (int i = 2; i <= 50; i++) {
        int n = i;
        rest.add(stream.submit("task " + i, () -> seen.add(n)));
      }
      assertTrue(!first.isDone() && !rest.get(48).isDone(), "the caller returns before the tasks run");
      Thread releaser = new Thread(() -> {
        busyWait(20_000_000);
        release.countDown();
      });
      releaser.start();
      rest.get(48).await(); // blocks until the releaser lets the first task go
      releaser.join();
      assertTrue(first.isDone());
      List<Integer> expected = new ArrayList<>();
      for (int i = 1; i <= 50; i++) {
        expected.add(i);
      }
      assertEquals(expected, seen);
      assertTrue(stream.busyNanos() > 0);
      assertTrue(stream.waitedNanos() >= 5_000_000, "waited " + stream.waitedNanos() + " ns");
    }
  }

  @Test
  void workDoneBetweenSubmittingAndWaitingIsCountedAsHidden() {
    try (CommStream stream = CommStream.create("hidden")) {
      Work w = stream.submit("50 ms of communication", () -> busyWait(50_000_000));
      busyWait(100_000_000); // the caller computes meanwhile
      w.await();
      assertTrue(stream.busyNanos() >= 50_000_000, "busy " + stream.busyNanos());
      assertTrue(stream.waitedNanos() < stream.busyNanos() / 2,
          "waited " + stream.waitedNanos() + " of " + stream.busyNanos() + " ns");
    }
  }

  @Test
  void anInlineStreamRunsAtSubmissionAndCountsAllAsWaited() {
    try (CommStream stream = CommStream.inline("inline")) {
      AtomicInteger ran = new AtomicInteger();
      Work w = stream.submit("task", () -> {
        ran.incrementAndGet();
        busyWait(2_000_000);
      });
      assertTrue(w.isDone());
      assertEquals(1, ran.get());
      assertTrue(stream.waitedNanos() >= 2_000_000);
      assertTrue(stream.busyNanos() >= 2_000_000);
    }
  }

  @Test
  void aDeviceStreamRunsTasksAtOnceAndHasNoDeviceClockOnTheCpu() {
    try (CommStream stream = CommStream.onDevice("device")) {
      assertTrue(stream.onDevice());
      assertTrue(stream.overlaps());
      Stream cpu = Stream.defaultStream(Device.CPU);
      Event start = stream.deviceWorkStarts(cpu);
      stream.deviceWorkEnds(cpu, start);
      try (Event done = cpu.record()) {
        stream.computeWaitsFor(cpu, done);
      }
      // No device clock on the CPU: the spans count nothing.
      assertEquals(0, stream.busyNanos());
      assertEquals(0, stream.waitedNanos());
      AtomicInteger ran = new AtomicInteger();
      assertTrue(stream.submit("task", ran::incrementAndGet).isDone());
      assertEquals(1, ran.get());
      stream.close();
      assertTrue(stream.waitedNanos() >= stream.busyNanos() && stream.busyNanos() > 0);
    }
    try (CommStream threaded = CommStream.create("threaded")) {
      assertFalse(threaded.onDevice());
    }
  }

  @Test
  void afterAFailureLaterTasksFailNamingItAndCloseStillWorks() {
    CommStream stream = CommStream.create("failing");
    Work bad = stream.submit("bad", () -> {
      throw new IllegalArgumentException("boom");
    });
    Work later = stream.submit("later", () -> { });
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, bad::await);
    assertEquals("boom", e.getMessage());
    IllegalStateException l = assertThrows(IllegalStateException.class, later::await);
    assertTrue(l.getMessage().contains("an earlier task on comm stream 'failing' failed"), l.getMessage());
    stream.close();
    stream.close();
    IllegalStateException closed = assertThrows(IllegalStateException.class,
        () -> stream.submit("after close", () -> { }));
    assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
  }

  @Test
  void reshardAndCloseWaitForAPendingPrefetch() throws Exception {
    try (CommStream stream = CommStream.create("prefetch");
        Allocator a = allocator.newChild("prefetch", Long.MAX_VALUE)) {
      List<Communicator> comms = LocalGroup.create(1, Duration.ofSeconds(60));
      Communicator comm = comms.get(0);
      CountDownLatch release = new CountDownLatch(1);
      List<Tensor> init = List.of(Tensors.normal(a, DType.F32, Device.CPU, 3, 0, 1, 64, 8));
      try (ShardGroup group = ShardGroup.create(comm, List.of(ParamSpec.of("w", 64, 8)), MixedPrecision.FULL,
          Strategy.FULL_SHARD, 1, a, init, stream)) {
        float[] expected = init.get(0).toFloatArray();
        // Hold the stream so the prefetch is certainly pending when reshard comes.
        stream.submit("hold", () -> {
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        });
        Work gather = group.prefetch();
        assertTrue(!gather.isDone());
        Thread releaser = new Thread(() -> {
          busyWait(50_000_000);
          release.countDown();
        });
        releaser.start();
        group.reshard(); // waits for the gather, then frees the parameters
        assertTrue(gather.isDone());
        assertEquals(0, a.allocatedBytes() - group.memoryBytes() - 64 * 8 * 4,
            "the unsharded parameters are freed; only the group's buffers and the initial value remain");
        assertArrayEquals(expected, group.gather().get(0).toFloatArray());
        releaser.join();
      } finally {
        init.forEach(Tensor::close);
        comm.close();
      }
    }
  }

  /** Ranks that disagree while collectives are in flight: every rank fails fast, nothing leaks. */
  @Test
  void aMismatchInFlightFailsEveryRankAndCloseStillFreesEverything() throws Exception {
    int world = 2;
    List<Communicator> comms = LocalGroup.create(world, Duration.ofSeconds(60));
    ExecutorService pool = Executors.newFixedThreadPool(world);
    List<ParamSpec> specs = LAYERS.get(0);
    try (Allocator a = allocator.newChild("mismatch", Long.MAX_VALUE)) {
      List<Future<Throwable>> ranks = new ArrayList<>();
      for (Communicator comm : comms) {
        ranks.add(pool.submit(() -> {
          List<Tensor> init = new ArrayList<>();
          for (ParamSpec spec : specs) {
            init.add(Tensors.normal(a, DType.F32, Device.CPU, init.size(), 0, 1, spec.shape().toArray()));
          }
          try (CommStream stream = CommStream.create("rank" + comm.rank());
              ShardGroup group = ShardGroup.create(comm, specs, MixedPrecision.FULL, Strategy.FULL_SHARD, 1, a,
                  init, stream)) {
            if (comm.rank() == 0) {
              group.prefetch();
              group.gather(); // rank 1 reduces instead: a mismatch
            } else {
              group.reduceGradientsAsync(init, 0.5).await();
            }
            return null;
          } catch (Throwable t) {
            return t;
          } finally {
            init.forEach(Tensor::close);
            comm.close();
          }
        }));
      }
      for (Future<Throwable> f : ranks) {
        Throwable t = f.get(60, TimeUnit.SECONDS);
        assertTrue(t instanceof RuntimeException, "every rank fails: " + t);
        String all = String.valueOf(t.getMessage()) + (t.getCause() == null ? "" : " " + t.getCause().getMessage());
        assertTrue(all.contains("mismatch") || all.contains("abort"), all);
      }
      assertEquals(0, a.allocatedBytes(), "the groups freed every buffer although their work failed");
    } finally {
      pool.shutdownNow();
    }
  }

  private static void busyWait(long nanos) {
    long end = System.nanoTime() + nanos;
    while (System.nanoTime() < end) {
      Thread.onSpinWait();
    }
  }
}
