package dev.shard4j.collectives.nccl;

import dev.shard4j.bindings.Nccl;
import dev.shard4j.bindings.NcclException;
import dev.shard4j.bindings.Setting;
import dev.shard4j.bindings.WaitTimeoutException;
import dev.shard4j.collectives.CollectiveArgs;
import dev.shard4j.collectives.CollectiveException;
import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.RedOp;
import dev.shard4j.collectives.Work;
import dev.shard4j.collectives.rendezvous.ProgressReport;
import dev.shard4j.collectives.rendezvous.Rendezvous;
import dev.shard4j.collectives.rendezvous.TcpStore;
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
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;

/**
 * The NCCL backend: one rank on one GPU, its operations enqueued on the communicator's own stream
 * and returned as work that carries an event. The communicator is nonblocking (ncclConfig_t
 * blocking = 0), so no call can hang the caller: every wait polls with SHARD4J_TIMEOUT and aborts
 * the communicator (ncclCommAbort) when it runs out or NCCL reports an asynchronous error.
 *
 * <p>With SHARD4J_DEBUG=collectives every collective is preceded by an exchange of what each rank
 * called, and a mismatch fails every rank naming the first differing one.
 *
 * <p>Buffers are contiguous tensors on the communicator's device; the work keeps them alive until
 * it is seen done. Each call first makes the communicator's stream wait for the work queued so far
 * on the device's default stream (where tensor operations without a stream run), as PyTorch's
 * ProcessGroupNCCL waits for the current stream; work on other streams must be ordered before a
 * call with an event ({@link #stream()}). One thread at a time per communicator.
 */
public final class NcclCommunicator implements Communicator {
  /** Accounts for the one-element buffers of barriers. */
  private static final Allocator BARRIER_ALLOCATOR = Allocator.root("nccl-barrier");

  /** Enqueues between two looks for unawaited finished work (it holds tensors until then). */
  private static final int RELEASE_EVERY = 16;
  /** How long a rank that timed out waits for the others' progress reports. */
  private static final Duration PROGRESS_WAIT = Duration.ofSeconds(10);
  /** Spare events kept: enough for bursts of unawaited operations (an event is a few hundred bytes). */
  private static final int MAX_SPARE_EVENTS = 1024;

  // The operations issued in this thread's open group(...), completed when it ends.
  private static final ThreadLocal<List<Runnable>> GROUP = new ThreadLocal<>();

  private final long comm;
  private final Device device;
  private final Stream stream;
  /** Recorded on the default stream before each call, for the communicator's stream to wait on. */
  private final Event handOff;
  private final Stream defaultStream;
  private final int rank;
  private final int size;
  private final Duration timeout;
  private final AtomicReference<CollectiveException> aborted = new AtomicReference<>();
  /** SHARD4J_DEBUG=collectives, read once. */
  private final boolean debug = Setting.DEBUG.has("collectives");
  /**
   * Events of finished work, for the next operations: creating one costs about a microsecond,
   * destroying one half that. Guarded by itself (a concurrent deque counts its size by walking it).
   */
  private final java.util.ArrayDeque<Event> spareEvents = new java.util.ArrayDeque<>();
  /** Work not yet seen done, oldest first: release passes and awaits take the finished ones out. */
  private final java.util.ArrayDeque<NcclWork> outstanding = new java.util.ArrayDeque<>();
  private long sequence;
  /** The last operation issued; written after sequence, so that reading it first sees both. */
  private volatile String lastOp = "nothing";
  private int enqueuesUntilRelease = RELEASE_EVERY;
  /** The newest outstanding work at the last release pass, queried at the next. Under outstanding's lock. */
  private NcclWork checkpoint;
  private volatile boolean closed;
  /**
   * The launch's store and this communicator's name in it, where a rank that times out compares
   * its progress with the others' ({@link ProgressReport}); null when made without a rendezvous.
   */
  private volatile TcpStore progressStore;
  private volatile String progressScope;

  private NcclCommunicator(long comm, Device device, Duration timeout) {
    this.comm = comm;
    this.device = device;
    this.timeout = timeout;
    this.stream = Stream.create(device);
    this.handOff = Event.create(device, false);
    this.defaultStream = Stream.defaultStream(device);
    int[] rs = Nccl.rankAndSize(comm);
    this.rank = rs[0];
    this.size = rs[1];
  }

  /**
   * Joins a communicator from rank 0's unique id (one process per GPU).
   *
   * @param device this rank's GPU
   * @param uniqueId rank 0's {@link Nccl#uniqueId()}, shared with every rank
   * @param worldSize ranks in the communicator
   * @param rank this rank
   * @return the communicator, owned by the caller
   */
  public static NcclCommunicator create(Device device, byte[] uniqueId, int worldSize, int rank) {
    if (!device.isCuda()) {
      throw new IllegalArgumentException("NCCL needs a CUDA device, got " + device);
    }
    CollectiveArgs.rank(rank, "rank", worldSize);
    if (uniqueId == null || uniqueId.length != Nccl.UNIQUE_ID_BYTES) {
      throw new IllegalArgumentException("uniqueId must hold " + Nccl.UNIQUE_ID_BYTES + " bytes");
    }
    Duration timeout = Setting.TIMEOUT.asSeconds();
    long comm = Nccl.initRank(device.index(), uniqueId, worldSize, rank);
    awaitReady(comm, timeout, "ncclCommInitRankConfig");
    return new NcclCommunicator(comm, device, timeout);
  }

  /**
   * Joins through the rendezvous: rank 0 makes the unique id and publishes it in the store.
   *
   * @param rendezvous this process's joined launch
   * @param device this rank's GPU (usually cuda:LOCAL_RANK)
   * @return the communicator, owned by the caller
   */
  public static NcclCommunicator create(Rendezvous rendezvous, Device device) {
    byte[] id = rendezvous.shareFromRankZero("nccl-unique-id", Nccl::uniqueId);
    NcclCommunicator c = create(device, id, rendezvous.env().worldSize(), rendezvous.env().rank());
    c.progressStore = rendezvous.store();
    c.progressScope = UUID.nameUUIDFromBytes(id).toString();
    return c;
  }

  /**
   * Why op #seq did not finish in time: with the launch's store, which ranks had not issued it
   * (each rank that times out publishes its last issued operation and compares); without one, that
   * NCCL cannot tell. The others' reports are awaited at most as long as the caller waited, and at
   * most 10 s.
   */
  ProgressReport.Result timeoutReport(Duration waited) {
    TcpStore store = progressStore;
    if (store == null) {
      return new ProgressReport.Result(List.of(), "NCCL does not tell which ranks did not arrive, and this "
          + "communicator was made without a rendezvous to compare progress through");
    }
    Duration wait = waited.compareTo(PROGRESS_WAIT) < 0 ? waited : PROGRESS_WAIT;
    String op = lastOp;
    return ProgressReport.compare(store, progressScope, rank, size, op, sequence, wait);
  }

  /**
   * One communicator per device of this process, initialised together (a group of
   * ncclCommInitRankConfig calls, as ncclCommInitAll does).
   *
   * @param devices the GPUs, rank i on devices[i]
   * @return the communicators, each owned by the caller
   */
  public static List<NcclCommunicator> createAll(List<Device> devices) {
    byte[] id = Nccl.uniqueId();
    long[] comms = new long[devices.size()];
    Nccl.groupStart();
    for (int i = 0; i < comms.length; i++) {
      comms[i] = Nccl.initRank(devices.get(i).index(), id, comms.length, i);
    }
    Nccl.groupEnd();
    Duration timeout = Setting.TIMEOUT.asSeconds();
    List<NcclCommunicator> out = new ArrayList<>();
    for (int i = 0; i < comms.length; i++) {
      awaitReady(comms[i], timeout, "ncclCommInitRankConfig");
      out.add(new NcclCommunicator(comms[i], devices.get(i), timeout));
    }
    return out;
  }

  /**
   * Runs body as one NCCL group (ncclGroupStart ... ncclGroupEnd): how one thread drives the
   * communicators of several GPUs of this process in one collective, and how NCCL fuses
   * operations. The works that body's calls return are waited for after this returns (waiting
   * inside body throws). A group inside body is part of this one.
   *
   * @param body the calls of the group
   */
  public static void group(Runnable body) {
    if (GROUP.get() != null) {
      body.run();
      return;
    }
    List<Runnable> pending = new ArrayList<>();
    GROUP.set(pending);
    Nccl.groupStart();
    try {
      body.run();
    } finally {
      GROUP.remove();
      try {
        Nccl.groupEnd();
      } finally {
        pending.forEach(Runnable::run);
      }
    }
  }

  /** Polls a nonblocking communicator until its pending call is done. */
  private static void awaitReady(long comm, Duration timeout, String call) {
    long deadline = System.nanoTime() + timeout.toNanos();
    int status;
    while ((status = Nccl.asyncError(comm)) == Nccl.IN_PROGRESS) {
      if (System.nanoTime() - deadline > 0) {
        Nccl.abort(comm);
        throw new WaitTimeoutException(call + " did not finish within " + timeout.toMillis()
            + " ms (are all ranks starting?); the communicator was aborted");
      }
      Thread.onSpinWait();
    }
    if (status != Nccl.SUCCESS) {
      Nccl.abort(comm);
      throw new NcclException(call + " failed: " + Nccl.errorString(status), status);
    }
  }

  @Override
  public int rank() {
    return rank;
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public Device device() {
    return device;
  }

  /**
   * The stream every operation of this communicator runs on.
   *
   * @return the communication stream
   */
  @Override
  public Stream stream() {
    return stream;
  }

  @Override
  public Work allReduceAsync(Tensor send, Tensor recv, RedOp op) {
    buffers(send, "send", recv, "recv", send == null ? 0 : send.numel());
    CollectiveArgs.op(op, send.dtype());
    agree("allReduce", send.dtype(), send.numel(), -1, op);
    return enqueue("allReduce", List.of(send, recv), () -> withOp(op, send, redOp ->
        Nccl.allReduce(send.dataAddress(), recv.dataAddress(), send.numel(), send.dtype().nativeCode(), redOp, comm,
            stream.nativeHandle())));
  }

  @Override
  public Work allGatherAsync(Tensor send, Tensor recv) {
    buffers(send, "send", recv, "recv", send == null ? 0 : send.numel() * size);
    agree("allGather", send.dtype(), send.numel(), -1, null);
    return enqueue("allGather", List.of(send, recv), () -> Nccl.allGather(send.dataAddress(), recv.dataAddress(),
        send.numel(), send.dtype().nativeCode(), comm, stream.nativeHandle()));
  }

  @Override
  public Work reduceScatterAsync(Tensor send, Tensor recv, RedOp op) {
    buffers(recv, "recv", send, "send", recv == null ? 0 : recv.numel() * size);
    CollectiveArgs.op(op, recv.dtype());
    agree("reduceScatter", recv.dtype(), recv.numel(), -1, op);
    return enqueue("reduceScatter", List.of(send, recv), () -> withOp(op, recv, redOp ->
        Nccl.reduceScatter(send.dataAddress(), recv.dataAddress(), recv.numel(), recv.dtype().nativeCode(), redOp,
            comm, stream.nativeHandle())));
  }

  @Override
  public Work broadcastAsync(Tensor send, Tensor recv, int root) {
    CollectiveArgs.rank(root, "root", size);
    CollectiveArgs.buffer(recv, "recv", device);
    if (rank == root) {
      buffers(recv, "recv", send, "send", recv.numel());
    }
    Tensor from = rank == root ? send : recv;
    agree("broadcast", recv.dtype(), recv.numel(), root, null);
    return enqueue("broadcast", List.of(from, recv), () -> Nccl.broadcast(from.dataAddress(), recv.dataAddress(),
        recv.numel(), recv.dtype().nativeCode(), root, comm, stream.nativeHandle()));
  }

  @Override
  public Work reduceAsync(Tensor send, Tensor recv, RedOp op, int root) {
    CollectiveArgs.rank(root, "root", size);
    CollectiveArgs.buffer(send, "send", device);
    CollectiveArgs.op(op, send.dtype());
    if (rank == root) {
      buffers(send, "send", recv, "recv", send.numel());
    }
    Tensor to = rank == root ? recv : send;
    agree("reduce", send.dtype(), send.numel(), root, op);
    return enqueue("reduce", List.of(send, to), () -> withOp(op, send, redOp -> Nccl.reduce(send.dataAddress(),
        to.dataAddress(), send.numel(), send.dtype().nativeCode(), redOp, root, comm, stream.nativeHandle())));
  }

  @Override
  public Work allToAllAsync(Tensor send, Tensor recv) {
    buffers(send, "send", recv, "recv", send == null ? 0 : send.numel());
    CollectiveArgs.divisible(send, "send", size);
    long block = send.numel() / size;
    int dtype = send.dtype().nativeCode();
    long bytes = block * send.dtype().byteSize();
    agree("allToAll", send.dtype(), send.numel(), -1, null);
    // All-to-all as one group of sends and receives, as NCCL's own ncclAlltoAll does.
    return enqueue("allToAll", List.of(send, recv), () -> {
      Nccl.groupStart();
      for (int q = 0; q < size; q++) {
        Nccl.send(send.dataAddress() + q * bytes, block, dtype, q, comm, stream.nativeHandle());
        Nccl.recv(recv.dataAddress() + q * bytes, block, dtype, q, comm, stream.nativeHandle());
      }
      return Nccl.groupEnd();
    });
  }

  @Override
  public Work sendAsync(Tensor tensor, int peer) {
    CollectiveArgs.buffer(tensor, "tensor", device);
    CollectiveArgs.rank(peer, "peer", size);
    return enqueue("send", List.of(tensor), () -> Nccl.send(tensor.dataAddress(), tensor.numel(),
        tensor.dtype().nativeCode(), peer, comm, stream.nativeHandle()));
  }

  @Override
  public Work recvAsync(Tensor tensor, int peer) {
    CollectiveArgs.buffer(tensor, "tensor", device);
    CollectiveArgs.rank(peer, "peer", size);
    return enqueue("recv", List.of(tensor), () -> Nccl.recv(tensor.dataAddress(), tensor.numel(),
        tensor.dtype().nativeCode(), peer, comm, stream.nativeHandle()));
  }

  @Override
  public Work sendRecvAsync(Tensor send, int to, Tensor recv, int from) {
    CollectiveArgs.buffer(send, "send", device);
    CollectiveArgs.buffer(recv, "recv", device);
    CollectiveArgs.rank(to, "to", size);
    CollectiveArgs.rank(from, "from", size);
    return enqueue("sendRecv", List.of(send, recv), () -> {
      Nccl.groupStart();
      Nccl.send(send.dataAddress(), send.numel(), send.dtype().nativeCode(), to, comm, stream.nativeHandle());
      Nccl.recv(recv.dataAddress(), recv.numel(), recv.dtype().nativeCode(), from, comm, stream.nativeHandle());
      return Nccl.groupEnd();
    });
  }

  @Override
  public Work barrierAsync() {
    // An all-reduce of one element, as NCCL users do for a barrier.
    Tensor one = Tensors.zeros(BARRIER_ALLOCATOR, DType.F32, device, 1);
    Work w = allReduceAsync(one, one, RedOp.SUM);
    one.close(); // the work holds its own reference
    return w;
  }

  @Override
  public Communicator split(int color, int key) {
    requireUsable();
    if (color < NO_COLOR) {
      throw new IllegalArgumentException("color must be >= 0 or NO_COLOR, got " + color);
    }
    long child = Nccl.split(comm, color, key, () -> awaitReady(comm, timeout, "ncclCommSplit"));
    if (child == 0) {
      if (color == NO_COLOR) {
        return null;
      }
      throw new IllegalStateException("ncclCommSplit(color " + color + ") completed without a communicator");
    }
    awaitReady(child, timeout, "ncclCommSplit");
    return new NcclCommunicator(child, device, timeout);
  }

  @Override
  public void abort(Throwable cause) {
    abortWith(new CollectiveException("abort", sequence, List.of(), "rank " + rank + " aborted the communicator: "
        + cause, cause));
  }

  void abortWith(CollectiveException cause) {
    if (aborted.compareAndSet(null, cause)) {
      Nccl.abort(comm);
    }
  }

  /** The failure of a pending operation: an abort, or an asynchronous NCCL error (which aborts). */
  CollectiveException failure(String op, long seq) {
    CollectiveException cause = aborted.get();
    if (cause == null) {
      int status = Nccl.asyncError(comm);
      if (status != Nccl.SUCCESS && status != Nccl.IN_PROGRESS) {
        abortWith(new CollectiveException(op, seq, List.of(), "NCCL reported " + Nccl.errorString(status)
            + " on rank " + rank, null));
        cause = aborted.get();
      }
    }
    return cause == null ? null : failedBecause(op, seq, cause);
  }

  /** The failure of operation op #seq, caused by the communicator's. */
  private CollectiveException failedBecause(String op, long seq, CollectiveException cause) {
    return new CollectiveException(op, seq, cause.missingRanks(), op + " #" + seq + " on rank " + rank + " failed: "
        + cause.getMessage(), cause);
  }

  /**
   * Finalizes (waiting at most the timeout) and destroys the communicator; idempotent. An
   * {@link #abort} after it does nothing.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      List<NcclWork> pending;
      synchronized (outstanding) {
        pending = new ArrayList<>(outstanding);
        outstanding.clear();
      }
      for (NcclWork w : pending) {
        try {
          w.await(timeout); // releases its event and tensors, or aborts on a timeout
        } catch (RuntimeException e) {
          // reported to whoever awaits it; closing goes on
        }
      }
      // Claimed before the communicator is destroyed, so that a later abort() is a no-op instead of
      // a call on a freed ncclComm; a communicator that was aborted is gone already.
      CollectiveException closing = new CollectiveException("close", sequence, List.of(), "rank " + rank
          + " closed its communicator", null);
      if (aborted.compareAndSet(null, closing)) {
        Nccl.finalizeComm(comm);
        awaitReady(comm, timeout, "ncclCommFinalize");
        Nccl.destroy(comm);
      }
    } finally {
      synchronized (spareEvents) {
        spareEvents.forEach(Event::close);
        spareEvents.clear();
      }
      handOff.close();
      stream.close();
    }
  }

  /** Takes back the event of finished work for reuse, or closes it. */
  void recycle(Event event, boolean reusable) {
    synchronized (spareEvents) {
      if (reusable && !closed && spareEvents.size() < MAX_SPARE_EVENTS) {
        spareEvents.addFirst(event);
        return;
      }
    }
    event.close();
  }

  // ---- SHARD4J_DEBUG=collectives: every rank checks that all call the same collective ------------

  private static final List<String> OPS = List.of("allReduce", "allGather", "reduceScatter", "broadcast", "reduce",
      "allToAll");

  /**
   * In debug mode, all-gathers (operation, dtype, count, root, reduction) from every rank before
   * the call, and fails every rank with the first mismatch by rank. The exchange itself always
   * matches, so a mismatch is reported instead of hanging or corrupting memory.
   */
  private void agree(String op, DType dtype, long count, int root, RedOp redOp) {
    if (!debug) {
      return;
    }
    long seq = sequence + 1;
    long[] mine = {OPS.indexOf(op), dtype.nativeCode(), count, root, redOp == null ? -1 : redOp.hashCode()};
    int n = mine.length;
    try (Tensor local = Tensors.fromArray(BARRIER_ALLOCATOR, mine, DType.I64, device, n);
        Tensor all = Tensors.zeros(BARRIER_ALLOCATOR, DType.I64, device, (long) n * size)) {
      if (Nccl.allGather(local.dataAddress(), all.dataAddress(), n, DType.I64.nativeCode(), comm,
          stream.nativeHandle()) == Nccl.IN_PROGRESS) {
        awaitReady(comm, timeout, "debug check of " + op);
      }
      try {
        stream.synchronize(timeout);
      } catch (WaitTimeoutException e) {
        abortWith(new CollectiveException(op, seq, List.of(), op + " #" + seq + " on rank " + rank
            + ": the debug check did not complete: " + e.getMessage(), e));
        throw failure(op, seq);
      }
      long[] got = all.toLongArray();
      for (int q = 1; q < size; q++) {
        for (int k = 0; k < n; k++) {
          if (got[q * n + k] != got[k]) {
            CollectiveException e = new CollectiveException(op, seq, List.of(), "collective mismatch at " + op + " #"
                + seq + " on rank " + rank + ": rank 0 called " + describe(got, 0, n) + " but rank " + q + " called "
                + describe(got, q, n), null);
            abortWith(e);
            throw e;
          }
        }
      }
    }
  }

  private static String describe(long[] all, int rank, int n) {
    long[] d = java.util.Arrays.copyOfRange(all, rank * n, rank * n + n);
    String name = d[0] >= 0 && d[0] < OPS.size() ? OPS.get((int) d[0]) : "op " + d[0];
    return name + "(dtype code " + d[1] + ", " + d[2] + " elements" + (d[3] >= 0 ? ", root " + d[3] : "") + ")";
  }

  // ---- enqueueing -------------------------------------------------------------------------------

  private void buffers(Tensor a, String aName, Tensor b, String bName, long bNumel) {
    requireUsable();
    CollectiveArgs.buffer(a, aName, device);
    CollectiveArgs.buffer(b, bName, device);
    CollectiveArgs.matches(a, b, bName, bNumel);
  }

  private void requireUsable() {
    if (closed) {
      throw new IllegalStateException("communicator of rank " + rank + " is closed");
    }
  }

  /** An ncclRedOp_t for the call; PREMUL_SUM ones are created for it and destroyed after. */
  private interface WithRedOp {
    int run(int redOp);
  }

  private int withOp(RedOp op, Tensor like, WithRedOp call) {
    if (!op.isPremulSum()) {
      return call.run(op == RedOp.AVG ? 4 /* ncclAvg */ : op.kernelOp().nativeCode());
    }
    int custom = Nccl.premulSum(op.premul(), like.dtype().nativeCode(), comm);
    try {
      return call.run(custom);
    } finally {
      Nccl.redOpDestroy(custom, comm); // legal once the last call using it is enqueued
    }
  }

  /**
   * Releases the events and tensors of the works that have finished and that nobody awaited,
   * every {@link #RELEASE_EVERY} enqueues, with one event query: that of the newest work of the
   * previous pass (the checkpoint), which has had the enqueues since to run. They ran in order on
   * one stream, so once it is done, so is every work before it. An event query costs about as
   * much as a whole enqueue (1.4-1.6 us on an H200), so one per pass, not one per work or per
   * step of a search. An awaited work releases its own at once.
   */
  private void releaseFinished() {
    if (--enqueuesUntilRelease > 0) {
      return;
    }
    enqueuesUntilRelease = RELEASE_EVERY;
    synchronized (outstanding) {
      NcclWork reached = checkpoint;
      if (reached != null && !reached.eventReached()) {
        return; // the device is behind: ask again at the next pass
      }
      if (reached != null) {
        releaseUpTo(reached);
      }
      checkpoint = outstanding.peekLast();
    }
  }

  /** Completes the outstanding works up to and including done, which is done. Under the lock. */
  private void releaseUpTo(NcclWork done) {
    for (NcclWork w; (w = outstanding.peekFirst()) != null && w.seq() <= done.seq(); ) {
      outstanding.pollFirst().finishedBefore(done);
    }
  }

  /**
   * Once a work was seen done, so were those issued before it on the stream: releases them too,
   * so that work nobody awaited (followed on the device through {@link Work#awaitOn}) does not
   * hold its tensors until the next release pass.
   */
  void releaseThrough(NcclWork done) {
    synchronized (outstanding) {
      if (done.isDoneWithoutError()) {
        releaseUpTo(done);
      }
    }
  }

  /** The NCCL handle, for tests that time the bare NCCL call beside ours. */
  long handle() {
    return comm;
  }

  /**
   * Orders this communicator's stream after the work queued so far on the default stream. One
   * event serves every call: a stream wait takes the event's state when it is queued, so
   * recording the event again for the next call changes nothing for this one.
   */
  private void waitForDefaultStream() {
    handOff.record(defaultStream);
    stream.waitFor(handOff);
  }

  private Work enqueue(String op, List<Tensor> tensors, IntSupplier call) {
    requireUsable();
    long seq = ++sequence;
    lastOp = op;
    // Only an abort is checked before the call: an asynchronous error is polled right after it,
    // as every nonblocking call needs anyway, which saves a driver call per operation.
    CollectiveException aborted = this.aborted.get();
    if (aborted != null) {
      throw failedBecause(op, seq, aborted);
    }
    List<Tensor> held = new ArrayList<>();
    for (Tensor t : tensors) {
      held.add(t.contiguous()); // the work keeps the memory alive until it is seen done
    }
    try {
      waitForDefaultStream();
      call.getAsInt();
      Event spare;
      synchronized (spareEvents) {
        spare = spareEvents.pollFirst();
      }
      Event event = spare != null ? spare : Event.create(device, false);
      NcclWork work = new NcclWork(this, op, seq, event, held);
      // A nonblocking communicator may return before its kernels are on the stream, with
      // ncclInProgress or even ncclSuccess, and in a group NCCL launches them at its end: only
      // once ncclCommGetAsyncError answers after that does the work's event follow them.
      Runnable issue = () -> {
        awaitReady(comm, timeout, op);
        work.issue(stream);
      };
      List<Runnable> group = GROUP.get();
      if (group == null) {
        issue.run();
      } else {
        group.add(issue);
      }
      releaseFinished();
      synchronized (outstanding) {
        outstanding.addLast(work);
      }
      return work;
    } catch (RuntimeException e) {
      held.forEach(Tensor::close);
      throw e;
    }
  }
}
