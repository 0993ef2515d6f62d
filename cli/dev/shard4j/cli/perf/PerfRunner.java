package dev.shard4j.cli.perf;

import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.RedOp;
import dev.shard4j.collectives.Work;
import dev.shard4j.kernels.CopyPlan;
import dev.shard4j.kernels.PackKernel;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs one collective over a range of sizes, the way nccl-tests does: warm-up, timed iterations,
 * out of place then in place, and an exact check of the results with inputs that every summation
 * order adds up the same. Rank 0 prints the table.
 */
final class PerfRunner {
  /** One printed line. */
  record Row(long bytes, long count, DType dtype, String redop, int root, double[] micros, double[] algbw,
      double[] busbw, long[] wrong, double[] memoryGbps) {}

  /** Calls between the ranks' agreements on whether the JIT warm-up is over. */
  private static final int JIT_WARMUP_BATCH = 2000;
  /** At most this many timed copies (and a fifth of it untimed): small-message runs ask for 50,000 calls. */
  private static final int MAX_COPIES = 100;

  private final PerfOptions o;
  private final PrintStream out;
  private final List<Row> rows = new ArrayList<>();
  private double copyGbps = Double.NaN;
  private volatile boolean firstSeries = true;
  /** Timed series (and copies) that started while the JIT was still compiling after --jit-settle. */
  private final AtomicInteger unsettled = new AtomicInteger();

  PerfRunner(PerfOptions options, PrintStream out) {
    this.o = options;
    this.out = out;
  }

  List<Row> rows() {
    return rows;
  }

  double copyGbps() {
    return copyGbps;
  }

  /**
   * Runs every size, dtype, op and root; returns the number of wrong elements, counted over every
   * rank of the world.
   */
  long run() throws Exception {
    int w = o.ranks();
    if (o.memory()) {
      copyGbps = measureCopy(Math.max(o.maxBytes(), 64L << 20));
    }
    printHeader(w);
    long wrong = 0;
    try (Ranks ranks = Ranks.join(o)) {
      try {
        for (DType dtype : o.dtypes()) {
          for (RedOp op : o.collective().reduces ? o.ops() : List.of(RedOp.SUM)) {
            if (op.floatOnly() && !dtype.isFloatingPoint()) {
              continue;
            }
            for (int root : o.collective().rooted ? o.roots() : List.of(-1)) {
              wrong += runSeries(ranks.communicators(), w, dtype, op, root);
            }
          }
        }
      } catch (Exception | Error e) {
        ranks.abort(e);
        throw e;
      }
    }
    if (o.memory()) {
      copyGbps = Math.max(copyGbps, measureCopy(Math.max(o.maxBytes(), 64L << 20)));
      rows.forEach(this::printRow);
    }
    if (unsettled.get() > 0) {
      out.printf("# JIT still compiling  : %d timed series started after --jit-settle ran out%n", unsettled.get());
    }
    out.printf("# Out of bounds values : 0 OK%n");
    out.printf("# Avg bus bandwidth    : %.4f %n", rows.stream().mapToDouble(r -> r.busbw()[0]).average().orElse(0));
    if (o.memory()) {
      out.printf("# Copy bandwidth       : %.2f GB/s (f32 copy, read + written bytes, timed like the collectives; the "
          + "higher of the start and the end)%n",
          copyGbps);
    }
    out.println("#");
    return wrong;
  }

  private long runSeries(List<Communicator> comms, int w, DType dtype, RedOp op, int root) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(comms.size());
    long maxCount = elements(o.maxBytes(), dtype, w);
    long[] sizes = o.sizes();
    AtomicLong[][] wrong = new AtomicLong[sizes.length][2];
    double[][] micros = new double[sizes.length][2];
    for (AtomicLong[] a : wrong) {
      a[0] = new AtomicLong();
      a[1] = new AtomicLong();
    }
    try (Allocator allocator = Allocator.root("perf")) {
      List<Future<?>> ranks = new ArrayList<>();
      for (Communicator comm : comms) {
        ranks.add(pool.submit(() -> {
          rank(comm, allocator, dtype, op, root, maxCount, sizes, micros, wrong);
          return null;
        }));
      }
      for (Future<?> f : ranks) {
        f.get();
      }
      firstSeries = false;
    } finally {
      pool.shutdownNow();
    }
    long total = 0;
    for (int s = 0; s < sizes.length; s++) {
      long count = elements(sizes[s], dtype, w);
      long bytes = count * dtype.byteSize();
      double[] algbw = new double[2];
      double[] busbw = new double[2];
      double[] mem = new double[2];
      for (int p = 0; p < 2; p++) {
        double seconds = micros[s][p] / 1e6;
        algbw[p] = seconds > 0 ? bytes / seconds / 1e9 : 0;
        busbw[p] = algbw[p] * o.collective().busFactor(w);
        mem[p] = seconds > 0 ? o.collective().minimalBytes(bytes, w) / seconds / 1e9 : 0;
      }
      long[] bad = {wrong[s][0].get(), wrong[s][1].get()};
      total += bad[0] + bad[1];
      Row row = new Row(bytes, count, dtype, o.collective().reduces ? PerfOptions.opName(op) : "none", root,
          micros[s].clone(), algbw, busbw, bad, mem);
      rows.add(row);
      if (!o.memory()) {
        printRow(row); // with --memory the rows wait for the ceiling measured after them too
      }
    }
    return total;
  }

  /** Elements for a size: whole elements, a multiple of the ranks where the count is split. */
  private long elements(long bytes, DType dtype, int w) {
    long count = Math.max(1, bytes / dtype.byteSize());
    if (o.collective().splitsCount()) {
      count = Math.max(w, count / w * w);
    }
    return count;
  }

  private void rank(Communicator comm, Allocator allocator, DType dtype, RedOp op, int root, long maxCount,
      long[] sizes, double[][] micros, AtomicLong[][] wrong) {
    int w = comm.size();
    Collective c = o.collective();
    long maxSend = c.sendCount(maxCount, w);
    long maxRecv = c.recvCount(maxCount, w);
    try (Tensor sendBuf = Tensors.zeros(allocator, dtype, comm.device(), maxSend);
        Tensor recvBuf = Tensors.zeros(allocator, dtype, comm.device(), maxRecv)) {
      for (int s = 0; s < sizes.length; s++) {
        long count = elements(sizes[s], dtype, w);
        for (int p = 0; p < 2; p++) {
          boolean inPlace = p == 1;
          if (inPlace && !c.inPlace()) {
            continue;
          }
          try (Buffers b = Buffers.of(c, comm, sendBuf, recvBuf, count, inPlace, root)) {
            // The first small size of the run also warms the JIT up, so small sizes are not timed
            // interpreted.
            if (firstSeries && s == 0 && count * dtype.byteSize() <= (1 << 20) && !o.jitWarmup().isZero()) {
              warmUpTheJit(comm, allocator, c, b, op, root);
            }
            // The first timed series of a run came out slower than the same series run again right
            // after (1 KiB all_reduce, 2 ranks: 1.8-4.2 us against 0.4-1.6), whatever warm-up came
            // before it; so it runs once untimed first.
            if (firstSeries && s == 0 && p == 0) {
              time(comm, c, b, op, root, o.warmup());
            }
            double us = time(comm, c, b, op, root, o.warmup());
            if (comm.rank() == 0) {
              micros[s][p] = us;
            }
            if (o.check()) {
              b.fillInputs(comm.rank(), op, c);
              c.start(comm, b.send, b.recv, op, root).await();
              // Every rank learns the world's count (ranks may be other processes).
              wrong[s][p].set(sumOverRanks(comm, allocator, b.countWrong(comm.rank(), w, op, c, root)));
            }
          }
          comm.barrier();
        }
      }
    }
  }

  private static long sumOverRanks(Communicator comm, Allocator allocator, long mine) {
    try (Tensor t = Tensors.fromArray(allocator, new long[] {mine}, DType.I64, comm.device(), 1)) {
      comm.allReduce(t, t, RedOp.SUM);
      return t.toLongArray()[0];
    }
  }

  /**
   * Runs untimed batches until every rank has spent the JIT warm-up time: the JIT compiles the
   * path after some thousands of calls, but on a busy 2-core machine its compiler threads were
   * still at work after 40,000 (the first series then took 3-4 us a call, later ones 0.6-0.9),
   * taking a core from the ranks. The ranks agree after each batch (an all-reduce of "more to do"
   * flags), so all run the same operations.
   */
  private void warmUpTheJit(Communicator comm, Allocator allocator, Collective c, Buffers b, RedOp op, int root) {
    long start = System.nanoTime();
    long limit = o.jitWarmup().toNanos();
    boolean more = true;
    while (more) {
      launch(comm, c, b, op, root, JIT_WARMUP_BATCH);
      double mine = System.nanoTime() - start < limit ? 1 : 0;
      try (Tensor flag = Tensors.full(allocator, DType.F32, comm.device(), mine, 1)) {
        comm.allReduce(flag, flag, RedOp.MAX);
        more = flag.toDoubleArray()[0] > 0;
      }
    }
  }

  private double time(Communicator comm, Collective c, Buffers b, RedOp op, int root, int warmup) {
    // Warm up the way the timed iterations run: the asynchronous path has code of its own to compile.
    launch(comm, c, b, op, root, warmup);
    settleJit(comm.rank() == 0);
    comm.barrier();
    long t0 = System.nanoTime();
    launch(comm, c, b, op, root, o.iters());
    comm.barrier();
    return (System.nanoTime() - t0) / 1e3 / o.iters();
  }

  /** Runs count operations, each waited for (-z 1) or all started and then waited for (-z 0). */
  private void launch(Communicator comm, Collective c, Buffers b, RedOp op, int root, int count) {
    List<Work> works = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      if (o.blocking()) {
        c.run(comm, b.send, b.recv, op, root);
      } else {
        works.add(c.start(comm, b.send, b.recv, op, root));
      }
    }
    works.forEach(Work::await);
  }

  /**
   * GB/s of a plain f32 copy through the host thread pool, counting read + written bytes, timed
   * the way a collective is: -w untimed copies, the JIT settled, then the mean of -n copies run
   * back to back (both capped by MAX_COPIES): the collectives' statistic, under their conditions.
   * Held against the fastest single copy instead, a collective's mean read 0.60-0.77 of the copy
   * where the two means compared read 0.83-0.92 (reduce_scatter, 2 and 4 ranks, 64 MiB, the
   * 2-core build machine, copies and collectives alternating in one JVM).
   */
  private double measureCopy(long bytes) {
    long n = Math.max(1 << 20, bytes / 4);
    try (Allocator a = Allocator.root("perf-copy");
        Tensor src = Tensors.zeros(a, DType.F32, Device.CPU, n);
        Tensor dst = Tensors.zeros(a, DType.F32, Device.CPU, n);
        CopyPlan copy = PackKernel.plan(List.of(src), dst)) {
      for (int i = 0; i < Math.max(1, Math.min(o.warmup(), MAX_COPIES / 5)); i++) {
        copy.run();
      }
      settleJit(true);
      int copies = Math.min(o.iters(), MAX_COPIES);
      long t0 = System.nanoTime();
      for (int i = 0; i < copies; i++) {
        copy.run();
      }
      double seconds = (System.nanoTime() - t0) / 1e9 / copies;
      return copy.bytesMoved() / seconds / 1e9;
    }
  }

  /** Waits for the JIT to go idle (--jit-settle); counts a wait that ran out when asked to. */
  private void settleJit(boolean count) {
    if (!JitSettle.await(o.jitSettle()) && count) {
      unsettled.incrementAndGet();
    }
  }

  private void printHeader(int w) {
    out.printf("# shard4j perf %s (" + o.backend() + "): nThread %d minBytes %d maxBytes %d step: %s warmup iters: %d "
            + "iters: %d validation: %d blocking: %d%n", o.collective().perfName, w, o.minBytes(), o.maxBytes(),
        o.stepFactor() > 1 ? o.stepFactor() + "(factor)" : o.stepBytes() + "(bytes)", o.warmup(), o.iters(),
        o.check() ? 1 : 0, o.blocking() ? 1 : 0);
    out.println("#");
    out.printf("# %10s %12s %8s %6s %6s %8s %7s %7s %6s %8s %7s %7s %6s%s%n", "", "", "", "", "", "", "out-of-place",
        "", "", "", "in-place", "", "", "");
    out.printf("# %10s %12s %8s %6s %6s %8s %7s %7s %6s %8s %7s %7s %6s%s%n", "size", "count", "type", "redop",
        "root", "time", "algbw", "busbw", "#wrong", "time", "algbw", "busbw", "#wrong",
        o.memory() ? String.format("  %8s %6s", "memGB/s", "ofcopy") : "");
    out.printf("# %10s %12s %8s %6s %6s %8s %7s %7s %6s %8s %7s %7s %6s%n", "(B)", "(elements)", "", "", "", "(us)",
        "(GB/s)", "(GB/s)", "", "(us)", "(GB/s)", "(GB/s)", "");
  }

  private void printRow(Row r) {
    StringBuilder line = new StringBuilder(String.format("  %10d %12d %8s %6s %6d", r.bytes(), r.count(),
        PerfOptions.typeName(r.dtype()), r.redop(), r.root()));
    for (int p = 0; p < 2; p++) {
      if (p == 1 && !o.collective().inPlace()) {
        line.append(String.format(" %8s %7s %7s %6s", "N/A", "N/A", "N/A", "N/A"));
      } else {
        line.append(String.format(" %8.2f %7.2f %7.2f %6s", r.micros()[p], r.algbw()[p], r.busbw()[p],
            o.check() ? Long.toString(r.wrong()[p]) : "N/A"));
      }
    }
    if (o.memory()) {
      line.append(String.format("  %8.2f %6.2f", r.memoryGbps()[0], r.memoryGbps()[0] / copyGbps));
    }
    out.println(line);
  }
}
