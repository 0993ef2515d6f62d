package dev.shard4j.jmh;

import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.RedOp;
import dev.shard4j.collectives.local.LocalGroup;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Collectives of the in-process backend, one thread per rank, with nccl-tests' meaning of size:
 * all_reduce of size bytes, all_gather into size bytes, reduce_scatter from size bytes. The
 * benchmark thread is rank 0; each invocation runs a batch of calls on every rank (enough for
 * about 16 MiB, so that starting the batch costs nothing measurable at 1 KiB). The secondary
 * results are the calls per second ({@code operations}) and the algorithm bandwidth
 * ({@code bytes}: size per call); {@link Summary} adds the bus bandwidth.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CollectiveBenchmark {
  private static final long TIMEOUT_SECONDS = 120;
  private static final long BATCH_BYTES = 16L << 20;

  /** all_reduce, all_gather or reduce_scatter. */
  @Param({"all_reduce", "all_gather", "reduce_scatter"})
  public String op;

  /** Ranks in the group. */
  @Param({"2", "4"})
  public int ranks;

  /** nccl-tests size in bytes (fp32 elements times 4). */
  @Param({"1024", "1048576", "67108864"})
  public long size;

  private Allocator allocator;
  private List<Communicator> group;
  private final List<Tensor> tensors = new ArrayList<>();
  private final List<Runnable> calls = new ArrayList<>();
  private final List<Thread> peers = new ArrayList<>();
  private CyclicBarrier start;
  private CyclicBarrier end;
  private int batch;
  private volatile boolean stopping;
  private volatile Throwable peerFailure;

  /** Makes the group, random buffers for every rank, and one thread for each rank but 0. */
  @Setup
  public void setUp() {
    if (size % (4L * ranks) != 0) {
      throw new IllegalArgumentException("size " + size + " is not a multiple of 4 * ranks");
    }
    long total = size / 4;
    long part = total / ranks;
    allocator = Allocator.root("jmh-collectives");
    group = LocalGroup.create(ranks);
    for (Communicator c : group) {
      Runnable call = switch (op) {
        case "all_reduce" -> {
          Tensor send = random(total, c.rank());
          Tensor recv = random(total, c.rank() + 100);
          yield () -> c.allReduce(send, recv, RedOp.SUM);
        }
        case "all_gather" -> {
          Tensor send = random(part, c.rank());
          Tensor recv = random(total, c.rank() + 100);
          yield () -> c.allGather(send, recv);
        }
        case "reduce_scatter" -> {
          Tensor send = random(total, c.rank());
          Tensor recv = random(part, c.rank() + 100);
          yield () -> c.reduceScatter(send, recv, RedOp.SUM);
        }
        default -> throw new IllegalArgumentException("unknown op '" + op + "'");
      };
      calls.add(call);
    }
    batch = (int) Math.max(1, BATCH_BYTES / size);
    start = new CyclicBarrier(ranks);
    end = new CyclicBarrier(ranks);
    for (int rank = 1; rank < ranks; rank++) {
      Runnable call = calls.get(rank);
      Thread peer = new Thread(() -> servePeer(call), "jmh-rank-" + rank);
      peer.setDaemon(true);
      peer.start();
      peers.add(peer);
    }
  }

  /** Stops the peers and frees the buffers and the group. */
  @TearDown
  public void tearDown() throws Exception {
    // Every peer has passed the last end barrier and is bound for the start barrier: meet it
    // there once more with the stop flag set, so that none can miss the signal.
    stopping = true;
    if (peerFailure == null) {
      await(start);
    } else {
      start.reset();
    }
    for (Thread peer : peers) {
      peer.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
    }
    for (Communicator c : group) {
      c.close();
    }
    for (Tensor t : tensors) {
      t.close();
    }
    allocator.close();
  }

  /**
   * A batch of calls on every rank.
   *
   * @param traffic counts the calls and their bytes
   * @throws Exception when a rank fails or a wait times out
   */
  @Benchmark
  public void collective(Traffic traffic) throws Exception {
    await(start);
    Runnable call = calls.get(0);
    for (int i = 0; i < batch; i++) {
      call.run();
    }
    await(end);
    if (peerFailure != null) {
      throw new IllegalStateException("a peer rank failed", peerFailure);
    }
    traffic.add(batch, size);
  }

  private void servePeer(Runnable call) {
    try {
      while (true) {
        await(start);
        if (stopping) {
          return;
        }
        for (int i = 0; i < batch; i++) {
          call.run();
        }
        await(end);
      }
    } catch (Throwable t) {
      peerFailure = t;
      end.reset();
    }
  }

  private static void await(CyclicBarrier barrier)
      throws InterruptedException, BrokenBarrierException, TimeoutException {
    barrier.await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  private Tensor random(long n, long seed) {
    Tensor t = Tensors.uniform(allocator, DType.F32, Device.CPU, seed, -1, 1, n);
    tensors.add(t);
    return t;
  }
}
