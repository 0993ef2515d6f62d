package dev.shard4j.models.ranks;

import dev.shard4j.collectives.Communicator;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;

/**
 * Figures of every rank, gathered: the ranks may live in other processes, and every rank gets
 * them all (peak memory, communication times).
 */
public final class RankFigures {
  private RankFigures() {}

  /**
   * Every rank's values, rank by rank (a collective: every rank calls it with as many values).
   *
   * @param comm the ranks
   * @param a where the staging tensors live
   * @param mine this rank's values
   * @return comm.size() * mine.length values, rank 0's first
   */
  public static long[] allGather(Communicator comm, Allocator a, long... mine) {
    try (Tensor send = Tensors.fromArray(a, mine, DType.I64, comm.device(), mine.length);
        Tensor all = Tensors.zeros(a, DType.I64, comm.device(), (long) mine.length * comm.size())) {
      comm.allGather(send, all);
      return all.toLongArray();
    }
  }
}
