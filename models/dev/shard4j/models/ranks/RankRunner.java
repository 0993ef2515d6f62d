package dev.shard4j.models.ranks;

import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.local.LocalGroup;
import dev.shard4j.collectives.nccl.NcclCommunicator;
import dev.shard4j.collectives.rendezvous.LaunchEnv;
import dev.shard4j.collectives.rendezvous.Rendezvous;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.Device;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a training function on every rank of this process, each on a thread of its own with its
 * communicator, its device and a child allocator of its own: in-process CPU ranks (threads of one
 * {@link LocalGroup}), one NCCL rank per GPU of this process, or this process's one rank of a
 * {@code shard4j launch} (joined through its rendezvous). A rank that fails fails its
 * communicator, so the others are told at once instead of waiting for it; the first failure is
 * thrown. Closes every communicator.
 *
 * @param ranks ranks in this process when not launched
 * @param gpu one rank per GPU (cuda:rank, or cuda:LOCAL_RANK of a launch) instead of the CPU
 * @param launch this process's place in a launch, or null
 */
public record RankRunner(int ranks, boolean gpu, LaunchEnv launch) {
  /** The work of one rank. */
  @FunctionalInterface
  public interface RankBody {
    /**
     * Trains on one rank.
     *
     * @param comm the rank's communicator, over every rank of the job
     * @param device the rank's device
     * @param memory the rank's allocator, closed after the body returns
     * @throws Exception to fail the run
     */
    void run(Communicator comm, Device device, Allocator memory) throws Exception;
  }

  /**
   * Checks the ranks.
   *
   * @param ranks ranks in this process when not launched, 1 or more
   * @param gpu one rank per GPU
   * @param launch this process's place in a launch, or null
   */
  public RankRunner {
    if (launch == null && ranks < 1) {
      throw new IllegalArgumentException("ranks must be at least 1, got " + ranks);
    }
  }

  /**
   * The ranks of the whole job.
   *
   * @return the world size
   */
  public int worldSize() {
    return launch == null ? ranks : launch.worldSize();
  }

  /**
   * Rank r's device: on GPUs cuda:r (every rank in this process) or cuda:LOCAL_RANK (this
   * process's one rank of a launch), else the CPU.
   *
   * @param rank a rank of this process
   * @return its device
   */
  public Device device(int rank) {
    return gpu ? Device.cuda(launch == null ? rank : launch.localRank()) : Device.CPU;
  }

  /**
   * Runs the body on every rank of this process and waits for them all.
   *
   * @param name names the allocators ("train" gives "train/rank0", ...)
   * @param body the work of each rank
   * @throws Exception the first rank's failure
   */
  public void run(String name, RankBody body) throws Exception {
    Objects.requireNonNull(body, "body");
    Rendezvous rendezvous = launch == null ? null : launch.join();
    List<Communicator> comms;
    try {
      comms = communicators(rendezvous);
    } catch (RuntimeException e) {
      if (rendezvous != null) {
        rendezvous.abort();
      }
      throw e;
    }
    ExecutorService pool = Executors.newFixedThreadPool(comms.size());
    boolean finished = false;
    try (Allocator root = Allocator.caching(name)) { // a step allocates the same blocks as the last
      AtomicReference<Throwable> firstFailure = new AtomicReference<>();
      List<Future<?>> futures = new ArrayList<>();
      for (Communicator comm : comms) {
        futures.add(pool.submit(() -> {
          try (Allocator mine = root.newChild("rank" + comm.rank(), Long.MAX_VALUE)) {
            body.run(comm, device(comm.rank()), mine);
          } catch (Throwable t) {
            firstFailure.compareAndSet(null, t); // before the abort: the others then fail because of it
            comm.abort(t); // the other ranks' calls fail now, not at their timeout
            throw t;
          } finally {
            comm.close();
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        try {
          f.get();
        } catch (ExecutionException e) {
          // waits for every rank; the one that failed first is the cause
        }
      }
      Throwable first = firstFailure.get();
      if (first instanceof Exception e) {
        throw e;
      } else if (first instanceof Error e) {
        throw e;
      } else if (first != null) {
        throw new IllegalStateException(first);
      }
      finished = true;
    } finally {
      pool.shutdownNow();
      if (rendezvous != null) {
        if (finished) {
          rendezvous.close();
        } else {
          rendezvous.abort();
        }
      }
    }
  }

  private List<Communicator> communicators(Rendezvous rendezvous) {
    if (!gpu) {
      return LocalGroup.create(ranks);
    }
    if (rendezvous != null) {
      return List.of(NcclCommunicator.create(rendezvous, device(launch.rank())));
    }
    List<Device> devices = new ArrayList<>();
    for (int r = 0; r < ranks; r++) {
      devices.add(device(r));
    }
    return new ArrayList<>(NcclCommunicator.createAll(devices));
  }
}
