package dev.shard4j.cli.perf;

import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.RedOp;
import dev.shard4j.collectives.Work;
import dev.shard4j.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One collective under test, as nccl-tests describes it: how buffer sizes follow from the
 * reported size, the bus-bandwidth factor, the fewest bytes it must move, and how to start it.
 */
enum Collective {
  ALL_REDUCE("all_reduce", true, false) {
    @Override
    Work start(Communicator c, Tensor send, Tensor recv, RedOp op, int root) {
      return c.allReduceAsync(send, recv, op);
    }

    @Override
    double busFactor(int w) {
      return 2.0 * (w - 1) / w;
    }

    @Override
    double minimalBytes(long bytes, int w) {
      return 2.0 * w * bytes;
    }
  },
  ALL_GATHER("all_gather", false, false) {
    @Override
    Work start(Communicator c, Tensor send, Tensor recv, RedOp op, int root) {
      return c.allGatherAsync(send, recv);
    }

    @Override
    long sendCount(long count, int w) {
      return count / w;
    }

    @Override
    double minimalBytes(long bytes, int w) {
      return bytes + (double) w * bytes;
    }
  },
  REDUCE_SCATTER("reduce_scatter", true, false) {
    @Override
    Work start(Communicator c, Tensor send, Tensor recv, RedOp op, int root) {
      return c.reduceScatterAsync(send, recv, op);
    }

    @Override
    long recvCount(long count, int w) {
      return count / w;
    }

    @Override
    double minimalBytes(long bytes, int w) {
      return (double) w * bytes + bytes;
    }
  },
  BROADCAST("broadcast", false, true) {
    @Override
    Work start(Communicator c, Tensor send, Tensor recv, RedOp op, int root) {
      return c.broadcastAsync(send, recv, root);
    }

    @Override
    double busFactor(int w) {
      return 1;
    }

    @Override
    double minimalBytes(long bytes, int w) {
      return bytes + (double) w * bytes;
    }
  },
  REDUCE("reduce", true, true) {
    @Override
    Work start(Communicator c, Tensor send, Tensor recv, RedOp op, int root) {
      return c.reduceAsync(send, recv, op, root);
    }

    @Override
    double busFactor(int w) {
      return 1;
    }

    @Override
    double minimalBytes(long bytes, int w) {
      return (double) w * bytes + bytes;
    }
  },
  ALLTOALL("alltoall", false, false) {
    @Override
    Work start(Communicator c, Tensor send, Tensor recv, RedOp op, int root) {
      return c.allToAllAsync(send, recv);
    }

    @Override
    double minimalBytes(long bytes, int w) {
      return 2.0 * w * bytes;
    }

    @Override
    boolean inPlace() {
      return false;
    }
  },
  SENDRECV("sendrecv", false, false) {
    @Override
    Work start(Communicator c, Tensor send, Tensor recv, RedOp op, int root) {
      int w = c.size();
      return c.sendRecvAsync(send, (c.rank() + 1) % w, recv, (c.rank() + w - 1) % w);
    }

    @Override
    double busFactor(int w) {
      return 1;
    }

    @Override
    double minimalBytes(long bytes, int w) {
      return 2.0 * w * bytes;
    }

    @Override
    boolean inPlace() {
      return false;
    }
  };

  final String perfName;
  final boolean reduces;
  final boolean rooted;

  Collective(String perfName, boolean reduces, boolean rooted) {
    this.perfName = perfName;
    this.reduces = reduces;
    this.rooted = rooted;
  }

  /** Starts the operation on one rank. */
  abstract Work start(Communicator c, Tensor send, Tensor recv, RedOp op, int root);

  /** Runs the operation to completion through the blocking call (-z 1). */
  void run(Communicator c, Tensor send, Tensor recv, RedOp op, int root) {
    switch (this) {
      case ALL_REDUCE -> c.allReduce(send, recv, op);
      case ALL_GATHER -> c.allGather(send, recv);
      case REDUCE_SCATTER -> c.reduceScatter(send, recv, op);
      case BROADCAST -> c.broadcast(send, recv, root);
      case REDUCE -> c.reduce(send, recv, op, root);
      case ALLTOALL -> c.allToAll(send, recv);
      case SENDRECV -> start(c, send, recv, op, root).await();
    }
  }

  /** busbw = algbw * this (nccl-tests' factors). */
  double busFactor(int w) {
    return (w - 1) / (double) w;
  }

  /**
   * The fewest bytes moved over all ranks, each input read once and each output written once, for
   * the reported size (the whole array for all_gather, reduce_scatter and alltoall; one rank's
   * buffer for the others).
   */
  abstract double minimalBytes(long bytes, int w);

  /** Elements of a rank's send buffer for a reported count. */
  long sendCount(long count, int w) {
    return count;
  }

  /** Elements of a rank's receive buffer for a reported count. */
  long recvCount(long count, int w) {
    return count;
  }

  /** Whether nccl-tests also times it in place. */
  boolean inPlace() {
    return true;
  }

  /** Reported counts must split evenly over the ranks for these. */
  boolean splitsCount() {
    return this == ALL_GATHER || this == REDUCE_SCATTER || this == ALLTOALL;
  }

  /** The operations by their nccl-tests names (all_reduce for all_reduce_perf), in nccl-tests' order. */
  static Map<String, Collective> byName() {
    Map<String, Collective> names = new LinkedHashMap<>();
    for (Collective c : values()) {
      names.put(c.perfName, c);
    }
    return names;
  }
}
