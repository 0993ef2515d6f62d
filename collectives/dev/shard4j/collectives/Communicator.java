package dev.shard4j.collectives;

import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;

/**
 * One rank's handle on a group of ranks that run collectives together, with NCCL's semantics and
 * names. Every rank of the group must call the same collectives in the same order with matching
 * dtypes and counts; a rank that does not arrive makes the others fail after SHARD4J_TIMEOUT with a
 * {@link CollectiveException} naming it, never hang.
 *
 * <p>Buffers are contiguous tensors on the communicator's device. Out-of-place calls take a send and
 * a receive tensor; in-place calls pass the same tensor (or, for allGather and reduceScatter, the
 * rank's slice of the larger buffer, as NCCL does). Each operation has a blocking form and an async
 * form returning a {@link Work}; both run in the order called. The tensors of an async call must
 * stay unchanged until its work is done (the communicator keeps their memory alive meanwhile).
 *
 * <p>One thread at a time may call a communicator; each rank usually has its own thread. The
 * creator owns it and closes it; close is idempotent and never blocks for other ranks.
 */
public interface Communicator extends AutoCloseable {
  /** The color that takes a rank out of a {@link #split}. */
  int NO_COLOR = -1;

  /**
   * This rank's number.
   *
   * @return 0 .. size - 1
   */
  int rank();

  /**
   * The number of ranks.
   *
   * @return the world size of this group
   */
  int size();

  /**
   * Where the buffers must live.
   *
   * @return the device
   */
  Device device();

  /**
   * The stream the operations run on, for work that must follow them on the device without the
   * host waiting ({@link Work#awaitOn}). On the CPU, where operations run on the ranks' threads,
   * the device's default stream (a stream of the CPU runs each kernel at its call).
   *
   * @return the communicator's stream
   */
  default Stream stream() {
    return Stream.defaultStream(device());
  }

  /**
   * recv = op over every rank's send (count = send.numel()).
   *
   * @param send this rank's input
   * @param recv the result, as many elements; may be send itself
   * @param op the reduction
   * @return the work
   */
  Work allReduceAsync(Tensor send, Tensor recv, RedOp op);

  /**
   * recv = every rank's send, in rank order (recv holds size * send.numel() elements).
   *
   * @param send this rank's input; may be recv's slice number rank (in place)
   * @param recv the gathered result
   * @return the work
   */
  Work allGatherAsync(Tensor send, Tensor recv);

  /**
   * recv = slice number rank of op over every rank's send (send holds size * recv.numel()).
   *
   * @param send this rank's input
   * @param recv this rank's slice of the result; may be send's slice number rank (in place)
   * @param op the reduction
   * @return the work
   */
  Work reduceScatterAsync(Tensor send, Tensor recv, RedOp op);

  /**
   * recv = root's send, on every rank.
   *
   * @param send the data on root (ignored elsewhere, may be null there)
   * @param recv the result, as many elements; may be send itself on root
   * @param root the rank that sends
   * @return the work
   */
  Work broadcastAsync(Tensor send, Tensor recv, int root);

  /**
   * recv on root = op over every rank's send.
   *
   * @param send this rank's input
   * @param recv the result on root (ignored elsewhere, may be null there); may be send itself
   * @param op the reduction
   * @param root the rank that receives
   * @return the work
   */
  Work reduceAsync(Tensor send, Tensor recv, RedOp op, int root);

  /**
   * Block j of send (send.numel() / size elements) goes to rank j's recv block number rank.
   *
   * @param send size blocks of input
   * @param recv size blocks of output, as many elements; must not overlap send
   * @return the work
   */
  Work allToAllAsync(Tensor send, Tensor recv);

  /**
   * Sends a tensor to a peer, which receives it with {@link #recvAsync} (matched in call order).
   *
   * @param tensor the data
   * @param peer the receiving rank
   * @return the work, done once the peer has the data
   */
  Work sendAsync(Tensor tensor, int peer);

  /**
   * Receives a tensor sent by a peer with {@link #sendAsync}.
   *
   * @param tensor receives the data; the same dtype and size as the peer's
   * @param peer the sending rank
   * @return the work
   */
  Work recvAsync(Tensor tensor, int peer);

  /**
   * Sends to one peer and receives from another as one grouped operation (ncclGroupStart/End on
   * NCCL), so that rings and pipelines cannot deadlock the way separate blocking calls would.
   *
   * @param send the data to send
   * @param to the receiving rank
   * @param recv receives the data
   * @param from the sending rank
   * @return the work, done when both transfers are
   */
  Work sendRecvAsync(Tensor send, int to, Tensor recv, int from);

  /**
   * Waits until every rank has reached the barrier.
   *
   * @return the work
   */
  Work barrierAsync();

  /**
   * A collective that makes sub-communicators: ranks passing the same color form a new group,
   * numbered by key (ties by rank).
   *
   * @param color the group to join, or {@link #NO_COLOR} to join none
   * @param key the order within the new group
   * @return this rank's new communicator, owned by the caller; null for {@link #NO_COLOR}
   */
  Communicator split(int color, int key);

  /**
   * Fails this group: every rank's pending and later operations throw a
   * {@link CollectiveException} carrying the cause. For a rank that cannot go on.
   *
   * @param cause why
   */
  void abort(Throwable cause);

  /** Releases this rank's resources; idempotent. Later calls throw IllegalStateException. */
  @Override
  void close();

  /**
   * Blocking {@link #allReduceAsync}.
   *
   * @param send this rank's input
   * @param recv the result; may be send itself
   * @param op the reduction
   */
  default void allReduce(Tensor send, Tensor recv, RedOp op) {
    allReduceAsync(send, recv, op).await();
  }

  /**
   * Blocking {@link #allGatherAsync}.
   *
   * @param send this rank's input
   * @param recv the gathered result
   */
  default void allGather(Tensor send, Tensor recv) {
    allGatherAsync(send, recv).await();
  }

  /**
   * Blocking {@link #reduceScatterAsync}.
   *
   * @param send this rank's input
   * @param recv this rank's slice of the result
   * @param op the reduction
   */
  default void reduceScatter(Tensor send, Tensor recv, RedOp op) {
    reduceScatterAsync(send, recv, op).await();
  }

  /**
   * Blocking {@link #broadcastAsync}.
   *
   * @param send the data on root
   * @param recv the result
   * @param root the rank that sends
   */
  default void broadcast(Tensor send, Tensor recv, int root) {
    broadcastAsync(send, recv, root).await();
  }

  /**
   * Blocking {@link #reduceAsync}.
   *
   * @param send this rank's input
   * @param recv the result on root
   * @param op the reduction
   * @param root the rank that receives
   */
  default void reduce(Tensor send, Tensor recv, RedOp op, int root) {
    reduceAsync(send, recv, op, root).await();
  }

  /**
   * Blocking {@link #allToAllAsync}.
   *
   * @param send size blocks of input
   * @param recv size blocks of output
   */
  default void allToAll(Tensor send, Tensor recv) {
    allToAllAsync(send, recv).await();
  }

  /**
   * Blocking {@link #sendAsync}.
   *
   * @param tensor the data
   * @param peer the receiving rank
   */
  default void send(Tensor tensor, int peer) {
    sendAsync(tensor, peer).await();
  }

  /**
   * Blocking {@link #recvAsync}.
   *
   * @param tensor receives the data
   * @param peer the sending rank
   */
  default void recv(Tensor tensor, int peer) {
    recvAsync(tensor, peer).await();
  }

  /**
   * Blocking {@link #sendRecvAsync}.
   *
   * @param send the data to send
   * @param to the receiving rank
   * @param recv receives the data
   * @param from the sending rank
   */
  default void sendRecv(Tensor send, int to, Tensor recv, int from) {
    sendRecvAsync(send, to, recv, from).await();
  }

  /** Blocking {@link #barrierAsync}. */
  default void barrier() {
    barrierAsync().await();
  }
}
