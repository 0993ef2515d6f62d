package dev.shard4j.collectives.nccl;

import dev.shard4j.bindings.WaitTimeoutException;
import dev.shard4j.collectives.CollectiveBattery;
import dev.shard4j.collectives.RedOp;
import dev.shard4j.collectives.Work;
import dev.shard4j.collectives.rendezvous.LaunchEnv;
import dev.shard4j.collectives.rendezvous.Rendezvous;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.time.Duration;
import java.util.List;

/**
 * One rank of {@link NcclProcessesTest}: a JVM launched with torchrun's variables that joins an
 * NCCL communicator through the rendezvous, runs the {@link CollectiveBattery}, and then leaves
 * one all-reduce to the others: the last rank never calls it, and every other rank must fail
 * within the timeout with an exception naming the operation, its sequence number and the rank that
 * did not arrive (compared through the rendezvous store). Prints
 * "rank R battery ok" and "rank R fault ok: MESSAGE"; exits nonzero on any failure.
 */
public final class NcclRankChild {
  /** How long the ranks that called the all-reduce wait for the one that does not. */
  static final Duration FAULT_TIMEOUT = Duration.ofSeconds(5);

  private NcclRankChild() {}

  public static void main(String[] args) {
    LaunchEnv env = LaunchEnv.fromEnv();
    Device device = Device.cuda(env.localRank());
    int status = 1;
    try (Rendezvous rv = env.join(Duration.ofSeconds(120));
        Allocator allocator = Allocator.root("nccl-rank-" + env.rank());
        NcclCommunicator comm = NcclCommunicator.create(rv, device)) {
      try {
        CollectiveBattery.run(comm, allocator);
        System.out.println("rank " + env.rank() + " battery ok");
        leaveOneAllReduceUnmatched(rv, comm, allocator);
      } catch (Throwable t) {
        comm.abort(t); // the others then time out rather than wait on this rank forever
        throw t;
      }
      status = 0; // and closing (the allocator's leak check among it) must succeed too
    } catch (Throwable t) {
      status = 1;
      System.out.println("rank " + env.rank() + " FAILED: " + t);
      t.printStackTrace(System.out);
    }
    System.out.flush();
    System.exit(status); // the CUDA runtime's own threads must not keep the JVM alive
  }

  private static void leaveOneAllReduceUnmatched(Rendezvous rv, NcclCommunicator comm, Allocator allocator) {
    int last = comm.size() - 1;
    String failedKey = "shard4j-test/fault-seen";
    if (comm.rank() == last) {
      // Waits until the others have seen their call fail, then leaves without a word.
      rv.store().waitFor(failedKeys(failedKey, last), Duration.ofSeconds(120));
      comm.abort(new IllegalStateException("the test is over"));
      System.out.println("rank " + comm.rank() + " fault ok: stayed out");
      return;
    }
    try (Tensor t = Tensors.full(allocator, DType.F32, comm.device(), 1, 1000)) {
      Work work = comm.allReduceAsync(t, t, RedOp.SUM);
      long started = System.nanoTime();
      try {
        work.await(FAULT_TIMEOUT);
        throw new AssertionError("an all-reduce without rank " + last + " completed");
      } catch (WaitTimeoutException e) {
        double seconds = (System.nanoTime() - started) / 1e9;
        String message = e.getMessage();
        // The timeout, then at most as long again for the other ranks' progress reports.
        if (!message.contains("allReduce #") || !message.contains("ranks [" + last + "] did not arrive")
            || seconds > 2 * FAULT_TIMEOUT.toSeconds() + 5) {
          throw new AssertionError("unclear or late failure (" + seconds + " s): " + message, e);
        }
        try {
          comm.allReduceAsync(t, t, RedOp.SUM);
          throw new AssertionError("an aborted communicator took another call");
        } catch (RuntimeException expected) {
          if (!String.valueOf(expected.getMessage()).contains("allReduce #")) {
            throw new AssertionError("unclear failure after the abort: " + expected, expected);
          }
        }
        rv.store().set(failedKey + "/" + comm.rank(), new byte[0]);
        System.out.println("rank " + comm.rank() + " fault ok: " + message);
      }
    }
  }

  private static List<String> failedKeys(String prefix, int ranks) {
    return java.util.stream.IntStream.range(0, ranks).mapToObj(r -> prefix + "/" + r).toList();
  }
}
