package dev.shard4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The host thread pool under a stream of short parallel jobs, as collectives and training issue
 * them: a worker waking late from one job must never take or count a piece of the next (that once
 * left the caller waiting for ever).
 */
class HostThreadPoolTest {
  static volatile long sink;

  @Test
  void manyShortParallelJobsNeitherHangNorLosePieces() {
    try (Allocator a = Allocator.root("pool")) {
      List<Tensor> sources = new ArrayList<>();
      // Just above the size below which a plan runs on one thread: sixteen tiles, so every run is
      // split among the threads.
      for (int s = 0; s < 16; s++) {
        sources.add(Tensors.uniform(a, DType.F32, Device.CPU, s, -1, 1, 4100 + s));
      }
      long total = sources.stream().mapToLong(Tensor::numel).sum();
      try (Tensor flat = Tensors.empty(a, DType.BF16, Device.CPU, total);
          Tensor expected = Tensors.empty(a, DType.BF16, Device.CPU, total);
          CopyPlan reference = PackKernel.plan(sources, expected);
          CopyPlan pack = PackKernel.plan(sources, flat)) {
        reference.run();
        // Busy threads beside the pool's preempt its workers at arbitrary points, as a loaded
        // machine does: what makes a worker late.
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> noise = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
          Thread spinner = new Thread(() -> {
            long x = 0;
            while (!stop.get()) {
              x += System.nanoTime() & 1;
            }
            sink = x;
          });
          spinner.setDaemon(true);
          spinner.start();
          noise.add(spinner);
        }
        try {
          assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
          long deadline = System.nanoTime() + 3_000_000_000L;
          for (int i = 0; i < 2_000_000 && System.nanoTime() < deadline; i++) {
            if (i % 1000 == 0) {
              flat.fill(0.0);
            }
            pack.run();
            if (i % 1000 == 0) {
              assertArrayEquals(expected.toShortArray(), flat.toShortArray(), "run " + i);
            }
          }
          }, "a parallel job never finished: the host thread pool lost a piece");
        } finally {
          stop.set(true);
        }
      } finally {
        sources.forEach(Tensor::close);
      }
    }
  }
}
