package dev.shard4j.bindings;

import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.nccl;
import org.bytedeco.cuda.nccl.ncclComm;
import org.bytedeco.cuda.nccl.ncclConfig_t;
import org.bytedeco.cuda.nccl.ncclUniqueId;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * NCCL through the Bytedeco preset, with communicators, buffers and streams as raw {@code long}
 * handles so that no JavaCPP type leaves this layer. Every call checks its ncclResult_t in one
 * place ({@link #check}); {@code ncclInProgress} is returned, not thrown, where a nonblocking
 * communicator may answer it. Use only when {@link Cuda#probe()} reports NCCL loaded. Thread-safe
 * as NCCL is: one thread at a time per communicator.
 */
public final class Nccl {
  /** ncclSuccess. */
  public static final int SUCCESS = 0;
  /** ncclInProgress: a nonblocking communicator is still working on the call. */
  public static final int IN_PROGRESS = 7;
  /** Bytes of an ncclUniqueId. */
  public static final int UNIQUE_ID_BYTES = 128;
  /** NCCL_CONFIG_UNDEF_INT: the field keeps NCCL's default. */
  private static final int UNDEF_INT = Integer.MIN_VALUE;

  private Nccl() {}


  private static void requireLoaded() {
    if (!Cuda.probe().nccl().loaded()) {
      throw new CudaUnavailableException("NCCL is not loaded: " + Cuda.probe().nccl().detail());
    }
  }

  /**
   * The library's version code, e.g. 22903 for 2.29.3.
   *
   * @return ncclGetVersion's value
   */
  public static int version() {
    requireLoaded();
    int[] v = new int[1];
    check(nccl.ncclGetVersion(v), "ncclGetVersion", 0);
    return v[0];
  }

  /**
   * A new unique id for a communicator, to share with every rank.
   *
   * @return its 128 bytes
   */
  public static byte[] uniqueId() {
    requireLoaded();
    try (ncclUniqueId id = new ncclUniqueId()) {
      check(nccl.ncclGetUniqueId(id), "ncclGetUniqueId", 0);
      byte[] bytes = new byte[UNIQUE_ID_BYTES];
      id.internal().get(bytes);
      return bytes;
    }
  }

  /**
   * ncclCommInitRankConfig with a nonblocking configuration on the current device; poll
   * {@link #asyncError} until it is no longer {@link #IN_PROGRESS}.
   *
   * @param device CUDA ordinal to make current first
   * @param uniqueId rank 0's id
   * @param worldSize ranks in the communicator
   * @param rank this rank
   * @return the communicator handle
   */
  public static long initRank(int device, byte[] uniqueId, int worldSize, int rank) {
    requireLoaded();
    NativeApi.cudaDeviceProperties(device); // checks the device and makes it current
    try (ncclUniqueId id = new ncclUniqueId(); ncclConfig_t config = nonblockingConfig()) {
      id.internal().put(uniqueId, 0, UNIQUE_ID_BYTES);
      ncclComm comm = new ncclComm();
      int status = nccl.ncclCommInitRankConfig(comm, worldSize, id, rank, config);
      check(status, "ncclCommInitRankConfig(rank " + rank + " of " + worldSize + ")", 0);
      return comm.address();
    }
  }

  /**
   * ncclCommSplit into a nonblocking child. A nonblocking split writes the child's handle only
   * when it completes, from NCCL's own thread, so the handle lands in native memory that outlives
   * this call; {@code awaitParent} polls the parent until the split is done (or throws).
   *
   * @param comm the parent
   * @param color the child group, or -1 for none
   * @param key the order in the child
   * @param awaitParent waits until {@link #asyncError} of the parent is no longer in progress
   * @return the child's handle (poll its {@link #asyncError} too), 0 for no color
   */
  public static long split(long comm, int color, int key, Runnable awaitParent) {
    PointerPointer<ncclComm> slot = new PointerPointer<>(1);
    boolean complete = false;
    try (ncclConfig_t config = nonblockingConfig()) {
      check(nccl.ncclCommSplit(comm(comm), color < 0 ? nccl.NCCL_SPLIT_NOCOLOR : color, key, slot, config),
          "ncclCommSplit", comm);
      awaitParent.run();
      complete = true;
      Pointer child = slot.get(0);
      return child == null ? 0 : child.address();
    } finally {
      if (complete) {
        slot.close();
      } else {
        // An unfinished split may still write into the slot: leave its 8 bytes allocated.
        slot.deallocate(false);
      }
    }
  }

  /** A config set as NCCL_CONFIG_INITIALIZER does, but nonblocking. */
  private static ncclConfig_t nonblockingConfig() {
    ncclConfig_t c = new ncclConfig_t();
    c.size(c.sizeof()).magic(nccl.NCCL_API_MAGIC).version(nccl.NCCL_VERSION_CODE);
    c.cgaClusterSize(UNDEF_INT).minCTAs(UNDEF_INT).maxCTAs(UNDEF_INT).splitShare(UNDEF_INT)
        .trafficClass(UNDEF_INT).collnetEnable(UNDEF_INT).CTAPolicy(UNDEF_INT).shrinkShare(UNDEF_INT)
        .nvlsCTAs(UNDEF_INT).nChannelsPerNetPeer(UNDEF_INT).nvlinkCentricSched(UNDEF_INT)
        .graphUsageMode(UNDEF_INT).numRmaCtx(UNDEF_INT);
    c.commName(null).netName(null);
    c.blocking(0);
    return c;
  }

  /**
   * The communicator's pending error, or {@link #IN_PROGRESS} while a nonblocking call runs.
   *
   * @param comm the communicator
   * @return the ncclResult_t code
   */
  public static int asyncError(long comm) {
    int[] result = new int[1];
    int status = nccl.ncclCommGetAsyncError(comm(comm), result);
    return status != SUCCESS ? status : result[0];
  }

  /**
   * Rank and size of a communicator.
   *
   * @param comm the communicator
   * @return {rank, size}
   */
  public static int[] rankAndSize(long comm) {
    int[] rank = new int[1];
    int[] size = new int[1];
    check(nccl.ncclCommUserRank(comm(comm), rank), "ncclCommUserRank", comm);
    check(nccl.ncclCommCount(comm(comm), size), "ncclCommCount", comm);
    return new int[] {rank[0], size[0]};
  }

  /**
   * Enqueues ncclAllReduce.
   *
   * @param send send buffer address
   * @param recv receive buffer address
   * @param count elements
   * @param dtype ncclDataType_t (the tensor dtype code)
   * @param op ncclRedOp_t
   * @param comm the communicator
   * @param stream the CUDA stream handle
   * @return SUCCESS or IN_PROGRESS
   */
  public static int allReduce(long send, long recv, long count, int dtype, int op, long comm, long stream) {
    return check(nccl.ncclAllReduce(new RawPointer(send), new RawPointer(recv), count, dtype, op, comm(comm), stream(stream)),
        "ncclAllReduce", comm);
  }

  /**
   * Enqueues ncclAllGather.
   *
   * @param send send buffer address
   * @param recv receive buffer address
   * @param sendCount elements each rank sends
   * @param dtype ncclDataType_t
   * @param comm the communicator
   * @param stream the CUDA stream handle
   * @return SUCCESS or IN_PROGRESS
   */
  public static int allGather(long send, long recv, long sendCount, int dtype, long comm, long stream) {
    return check(nccl.ncclAllGather(new RawPointer(send), new RawPointer(recv), sendCount, dtype, comm(comm), stream(stream)),
        "ncclAllGather", comm);
  }

  /**
   * Enqueues ncclReduceScatter.
   *
   * @param send send buffer address
   * @param recv receive buffer address
   * @param recvCount elements each rank receives
   * @param dtype ncclDataType_t
   * @param op ncclRedOp_t
   * @param comm the communicator
   * @param stream the CUDA stream handle
   * @return SUCCESS or IN_PROGRESS
   */
  public static int reduceScatter(long send, long recv, long recvCount, int dtype, int op, long comm, long stream) {
    return check(nccl.ncclReduceScatter(new RawPointer(send), new RawPointer(recv), recvCount, dtype, op, comm(comm),
        stream(stream)), "ncclReduceScatter", comm);
  }

  /**
   * Enqueues ncclBroadcast.
   *
   * @param send send buffer address (root only)
   * @param recv receive buffer address
   * @param count elements
   * @param dtype ncclDataType_t
   * @param root the root rank
   * @param comm the communicator
   * @param stream the CUDA stream handle
   * @return SUCCESS or IN_PROGRESS
   */
  public static int broadcast(long send, long recv, long count, int dtype, int root, long comm, long stream) {
    return check(nccl.ncclBroadcast(new RawPointer(send), new RawPointer(recv), count, dtype, root, comm(comm), stream(stream)),
        "ncclBroadcast", comm);
  }

  /**
   * Enqueues ncclReduce.
   *
   * @param send send buffer address
   * @param recv receive buffer address (root only)
   * @param count elements
   * @param dtype ncclDataType_t
   * @param op ncclRedOp_t
   * @param root the root rank
   * @param comm the communicator
   * @param stream the CUDA stream handle
   * @return SUCCESS or IN_PROGRESS
   */
  public static int reduce(long send, long recv, long count, int dtype, int op, int root, long comm, long stream) {
    return check(nccl.ncclReduce(new RawPointer(send), new RawPointer(recv), count, dtype, op, root, comm(comm), stream(stream)),
        "ncclReduce", comm);
  }

  /**
   * Enqueues ncclSend.
   *
   * @param send buffer address
   * @param count elements
   * @param dtype ncclDataType_t
   * @param peer the receiving rank
   * @param comm the communicator
   * @param stream the CUDA stream handle
   * @return SUCCESS or IN_PROGRESS
   */
  public static int send(long send, long count, int dtype, int peer, long comm, long stream) {
    return check(nccl.ncclSend(new RawPointer(send), count, dtype, peer, comm(comm), stream(stream)), "ncclSend", comm);
  }

  /**
   * Enqueues ncclRecv.
   *
   * @param recv buffer address
   * @param count elements
   * @param dtype ncclDataType_t
   * @param peer the sending rank
   * @param comm the communicator
   * @param stream the CUDA stream handle
   * @return SUCCESS or IN_PROGRESS
   */
  public static int recv(long recv, long count, int dtype, int peer, long comm, long stream) {
    return check(nccl.ncclRecv(new RawPointer(recv), count, dtype, peer, comm(comm), stream(stream)), "ncclRecv", comm);
  }

  /** ncclGroupStart. */
  public static void groupStart() {
    check(nccl.ncclGroupStart(), "ncclGroupStart", 0);
  }

  /**
   * ncclGroupEnd.
   *
   * @return SUCCESS or IN_PROGRESS
   */
  public static int groupEnd() {
    return check(nccl.ncclGroupEnd(), "ncclGroupEnd", 0);
  }

  /**
   * ncclRedOpCreatePreMulSum with a host scalar.
   *
   * @param scalar the factor
   * @param dtype ncclDataType_t of the buffers (the scalar is converted to it)
   * @param comm the communicator
   * @return the new ncclRedOp_t, to destroy with {@link #redOpDestroy}
   */
  public static int premulSum(double scalar, int dtype, long comm) {
    int[] op = new int[1];
    // NCCL reads the scalar in the buffers' own type: convert it with the library's own rounding.
    long staging = NativeApi.hostAlloc(16, 16);
    try {
      HostMemory.put(staging, new double[] {scalar}, 0, 1);
      long[] one = {1};
      NativeApi.copyStrided(NativeApi.HOST, 0, one, staging + 8, dtype, one, staging, 8 /* F64 */, one);
      check(nccl.ncclRedOpCreatePreMulSum(op, new RawPointer(staging + 8), dtype, nccl.ncclScalarHostImmediate, comm(comm)),
          "ncclRedOpCreatePreMulSum", comm);
    } finally {
      NativeApi.hostFree(staging);
    }
    return op[0];
  }

  /**
   * ncclRedOpDestroy.
   *
   * @param op the operator
   * @param comm its communicator
   */
  public static void redOpDestroy(int op, long comm) {
    check(nccl.ncclRedOpDestroy(op, comm(comm)), "ncclRedOpDestroy", comm);
  }

  /**
   * ncclCommAbort: stops every pending operation; the handle is gone afterwards.
   *
   * @param comm the communicator
   */
  public static void abort(long comm) {
    nccl.ncclCommAbort(comm(comm)); // best effort: nothing more can be done with an aborted communicator
  }

  /**
   * ncclCommFinalize (nonblocking: poll asyncError) then, once done, {@link #destroy}.
   *
   * @param comm the communicator
   * @return SUCCESS or IN_PROGRESS
   */
  public static int finalizeComm(long comm) {
    return check(nccl.ncclCommFinalize(comm(comm)), "ncclCommFinalize", comm);
  }

  /**
   * ncclCommDestroy.
   *
   * @param comm the communicator
   */
  public static void destroy(long comm) {
    check(nccl.ncclCommDestroy(comm(comm)), "ncclCommDestroy", comm);
  }

  /**
   * The text of a result code.
   *
   * @param result ncclResult_t
   * @return NCCL's description
   */
  public static String errorString(int result) {
    return nccl.ncclGetErrorString(result).getString();
  }

  /** The one place where ncclResult_t becomes an exception; IN_PROGRESS passes through. */
  private static int check(int result, String call, long comm) {
    if (result == SUCCESS || result == IN_PROGRESS) {
      return result;
    }
    String last = comm == 0 ? "" : ": " + nccl.ncclGetLastError(comm(comm)).getString();
    throw new NcclException(call + " failed: " + errorString(result) + " (ncclResult_t " + result + ")" + last,
        result);
  }

  private static ncclComm comm(long handle) {
    return new ncclComm(new RawPointer(handle));
  }

  private static CUstream_st stream(long handle) {
    return new CUstream_st(new RawPointer(handle));
  }
}
