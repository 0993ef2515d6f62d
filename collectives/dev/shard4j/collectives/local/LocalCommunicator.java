package dev.shard4j.collectives.local;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.bindings.Setting;
import dev.shard4j.collectives.CollectiveArgs;
import dev.shard4j.collectives.CollectiveException;
import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.CompletableWork;
import dev.shard4j.collectives.RedOp;
import dev.shard4j.collectives.Work;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One rank of an in-process group ({@link LocalGroup}). Each collective meets the other ranks
 * twice: once all calls are posted, the ranks claim pieces of the work and reduce or copy them
 * straight between the peers' buffers (no staging copies), then all wait until every piece is done.
 *
 * <p>Blocking calls run on the calling thread when no async work is queued; async calls, and
 * blocking calls behind them, run in order on the rank's own thread. One thread at a time may
 * call a communicator (as with NCCL); a call from a second thread while one is under way is an
 * IllegalStateException naming both threads. Closing or aborting a rank, or a failure inside one
 * of its operations, fails every peer's pending and later operations at once with that cause.
 */
final class LocalCommunicator implements Communicator {
  private static final Logger LOG = LoggerFactory.getLogger(LocalCommunicator.class);

  private final GroupState group;
  private final int rank;
  private final RankWork work;
  private static final Work DONE = CompletableWork.done("a finished operation");

  private final AtomicInteger pending = new AtomicInteger();
  /** Read once: checked on every call otherwise. */
  private final boolean debug = Setting.DEBUG.has("collectives");
  private ExecutorService executor;
  /** The thread issuing a call right now, and the call: a communicator serves one at a time. */
  private final AtomicReference<Thread> caller = new AtomicReference<>();
  private volatile String callerOp;
  /** How many calls of the caller's are open (a call made of others nests); the caller's only. */
  private int depth;
  private long sequence;
  /** Collectives that met the group so far (run in order on one thread at a time). */
  private long meetings;
  private volatile boolean closed;

  LocalCommunicator(GroupState group, int rank) {
    this.group = group;
    this.rank = rank;
    this.work = new RankWork(group, rank);
  }

  @Override
  public int rank() {
    return rank;
  }

  @Override
  public int size() {
    return group.size;
  }

  @Override
  public Device device() {
    return Device.CPU;
  }

  // ---- the operations: check, describe, run ---------------------------------------------------

  @Override
  public Work allReduceAsync(Tensor send, Tensor recv, RedOp op) {
    return issuing("allReduce", () -> allReduce(send, recv, op, true));
  }

  @Override
  public void allReduce(Tensor send, Tensor recv, RedOp op) {
    blocking("allReduce", () -> allReduce(send, recv, op, false));
  }

  private Work allReduce(Tensor send, Tensor recv, RedOp op, boolean async) {
    buffers(send, "send", recv, "recv", send == null ? 0 : send.numel());
    CollectiveArgs.op(op, send.dtype());
    return submit(call(async, "allReduce", send.dtype(), send.numel(), -1, op, send, recv), async, work::allReduce,
        Staged.ALL_REDUCE);
  }

  @Override
  public Work allGatherAsync(Tensor send, Tensor recv) {
    return issuing("allGather", () -> allGather(send, recv, true));
  }

  @Override
  public void allGather(Tensor send, Tensor recv) {
    blocking("allGather", () -> allGather(send, recv, false));
  }

  private Work allGather(Tensor send, Tensor recv, boolean async) {
    buffers(send, "send", recv, "recv", send == null ? 0 : send.numel() * size());
    return submit(call(async, "allGather", send.dtype(), send.numel(), -1, null, send, recv), async, work::allGather,
        Staged.ALL_GATHER);
  }

  @Override
  public Work reduceScatterAsync(Tensor send, Tensor recv, RedOp op) {
    return issuing("reduceScatter", () -> reduceScatter(send, recv, op, true));
  }

  @Override
  public void reduceScatter(Tensor send, Tensor recv, RedOp op) {
    blocking("reduceScatter", () -> reduceScatter(send, recv, op, false));
  }

  private Work reduceScatter(Tensor send, Tensor recv, RedOp op, boolean async) {
    buffers(recv, "recv", send, "send", recv == null ? 0 : recv.numel() * size());
    CollectiveArgs.op(op, recv.dtype());
    return submit(call(async, "reduceScatter", recv.dtype(), recv.numel(), -1, op, send, recv), async,
        work::reduceScatter, Staged.REDUCE_SCATTER);
  }

  @Override
  public Work broadcastAsync(Tensor send, Tensor recv, int root) {
    return issuing("broadcast", () -> broadcast(send, recv, root, true));
  }

  @Override
  public void broadcast(Tensor send, Tensor recv, int root) {
    blocking("broadcast", () -> broadcast(send, recv, root, false));
  }

  private Work broadcast(Tensor send, Tensor recv, int root, boolean async) {
    CollectiveArgs.rank(root, "root", size());
    CollectiveArgs.buffer(recv, "recv", device());
    if (rank == root) {
      buffers(recv, "recv", send, "send", recv.numel());
    }
    return submit(call(async, "broadcast", recv.dtype(), recv.numel(), root, null, rank == root ? send : null, recv),
        async, work::broadcast, Staged.BROADCAST);
  }

  @Override
  public Work reduceAsync(Tensor send, Tensor recv, RedOp op, int root) {
    return issuing("reduce", () -> reduce(send, recv, op, root, true));
  }

  @Override
  public void reduce(Tensor send, Tensor recv, RedOp op, int root) {
    blocking("reduce", () -> reduce(send, recv, op, root, false));
  }

  private Work reduce(Tensor send, Tensor recv, RedOp op, int root, boolean async) {
    CollectiveArgs.rank(root, "root", size());
    CollectiveArgs.buffer(send, "send", device());
    CollectiveArgs.op(op, send.dtype());
    if (rank == root) {
      buffers(send, "send", recv, "recv", send.numel());
    }
    return submit(call(async, "reduce", send.dtype(), send.numel(), root, op, send, rank == root ? recv : null), async,
        work::reduce, Staged.REDUCE);
  }

  @Override
  public Work allToAllAsync(Tensor send, Tensor recv) {
    return issuing("allToAll", () -> allToAll(send, recv, true));
  }

  @Override
  public void allToAll(Tensor send, Tensor recv) {
    blocking("allToAll", () -> allToAll(send, recv, false));
  }

  private Work allToAll(Tensor send, Tensor recv, boolean async) {
    buffers(send, "send", recv, "recv", send == null ? 0 : send.numel());
    CollectiveArgs.divisible(send, "send", size());
    long a = send.dataAddress();
    long b = recv.dataAddress();
    if (a < b + RankWork.bytesOf(recv) && b < a + RankWork.bytesOf(send)) {
      throw new IllegalArgumentException("allToAll: send and recv must not overlap");
    }
    return submit(call(async, "allToAll", send.dtype(), send.numel(), -1, null, send, recv), async, work::allToAll);
  }

  @Override
  public Work sendAsync(Tensor tensor, int peer) {
    return issuing("send", () -> send(tensor, peer, true));
  }

  @Override
  public void send(Tensor tensor, int peer) {
    blocking("send", () -> send(tensor, peer, false));
  }

  private Work send(Tensor tensor, int peer, boolean async) {
    CollectiveArgs.buffer(tensor, "tensor", device());
    CollectiveArgs.rank(peer, "peer", size());
    Call c = call(async, "send", tensor.dtype(), tensor.numel(), peer, null, tensor, null);
    // The rank's thread only posts the letter; the receiver completes the work, so a rank may send
    // to itself and then receive.
    CompletableWork delivered = new CompletableWork("send #" + c.seq() + " on rank " + rank + " to rank " + peer);
    Work posted = submit(c, async, () -> group.mail.send(rank, c, peer, delivered));
    return CompletableWork.allOf(posted, delivered); // the blocking send awaits both
  }

  @Override
  public Work recvAsync(Tensor tensor, int peer) {
    return issuing("recv", () -> recv(tensor, peer, true));
  }

  @Override
  public void recv(Tensor tensor, int peer) {
    blocking("recv", () -> recv(tensor, peer, false));
  }

  private Work recv(Tensor tensor, int peer, boolean async) {
    CollectiveArgs.buffer(tensor, "tensor", device());
    CollectiveArgs.rank(peer, "peer", size());
    Call c = call(async, "recv", tensor.dtype(), tensor.numel(), peer, null, null, tensor);
    return submit(c, async, () -> group.mail.recv(rank, c, peer));
  }

  @Override
  public Work sendRecvAsync(Tensor send, int to, Tensor recv, int from) {
    return issuing("sendRecv", () -> {
      // The letter is posted before the receive starts, so a ring never waits on itself.
      Work sent = sendAsync(send, to);
      Work received = recvAsync(recv, from);
      return CompletableWork.allOf(received, sent);
    });
  }

  @Override
  public Work barrierAsync() {
    return issuing("barrier",
        () -> submit(call(true, "barrier", null, 0, -1, null, null, null), true, (c, parity) -> { }));
  }

  @Override
  public void barrier() {
    blocking("barrier",
        () -> submit(call(false, "barrier", null, 0, -1, null, null, null), false, (c, parity) -> { }));
  }

  @Override
  public Communicator split(int color, int key) {
    requireOpen();
    if (color < NO_COLOR) {
      throw new IllegalArgumentException("color must be >= 0 or NO_COLOR, got " + color);
    }
    enter("split");
    try {
      return splitOnce(color, key);
    } finally {
      exit();
    }
  }

  private Communicator splitOnce(int color, int key) {
    Call c = new Call("split", ++sequence, null, 0, -1, null, null, null, color, key, false);
    LocalCommunicator[] made = new LocalCommunicator[1];
    submit(c, false, () -> {
      long meeting = ++meetings;
      group.arrive(rank, c, meeting);
      made[0] = joinSplit(c, meeting);
      group.finish(rank, c, meeting);
      if (made[0] != null && made[0].rank == 0) {
        group.splits.remove(meeting + ":" + color);
      }
    }).await();
    return made[0];
  }

  private LocalCommunicator joinSplit(Call mine, long meeting) {
    int parity = (int) (meeting & 1);
    if (mine.color() == NO_COLOR) {
      return null;
    }
    List<Integer> members = new ArrayList<>();
    for (int q = 0; q < size(); q++) {
      if (group.call(parity, q).color() == mine.color()) {
        members.add(q);
      }
    }
    members.sort((x, y) -> group.call(parity, x).key() != group.call(parity, y).key()
        ? Integer.compare(group.call(parity, x).key(), group.call(parity, y).key()) : Integer.compare(x, y));
    GroupState sub = group.splits.computeIfAbsent(meeting + ":" + mine.color(),
        k -> new GroupState(members.size(), group.timeout));
    return new LocalCommunicator(sub, members.indexOf(rank));
  }

  @Override
  public void abort(Throwable cause) {
    group.abortWith(new CollectiveException("abort", sequence, List.of(), "rank " + rank + " aborted the group: "
        + cause, cause));
  }

  /**
   * Closes this rank: work it queued runs first (the peers expect it; bounded by the timeout), then
   * the group learns at once that this rank is gone, so that no peer waits for it.
   */
  @Override
  public void close() {
    ExecutorService queue;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      queue = executor;
    }
    if (queue != null) {
      queue.shutdown();
      try {
        if (!group.aborted()) {
          queue.awaitTermination(group.timeout.toNanos(), TimeUnit.NANOSECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    group.rankClosed(rank);
  }

  // ---- running ----------------------------------------------------------------------------------

  /** A collective's body on the sliced path, run after every rank has posted its call. */
  private interface Body {
    void run(Call mine, int parity);
  }

  private Call call(boolean async, String op, DType dtype, long count, int root, RedOp redOp, Tensor send,
      Tensor recv) {
    requireOpen();
    // Queued work holds its own references, so it outlives the caller's tensors safely; a call that
    // runs at once on the caller's thread uses the caller's.
    boolean owned = async || pending.get() > 0;
    Tensor s = send == null || !owned ? send : send.contiguous();
    Tensor r = recv == null || !owned ? recv : recv.contiguous();
    return new Call(op, ++sequence, dtype, count, root, redOp, s, r, 0, 0, owned);
  }

  /** Issues an async operation while holding the communicator for the calling thread. */
  private Work issuing(String op, Supplier<Work> issue) {
    enter(op);
    try {
      return issue.get();
    } finally {
      exit();
    }
  }

  /** Issues a blocking operation and waits for it, holding the communicator all the while. */
  private void blocking(String op, Supplier<Work> issue) {
    enter(op);
    try {
      issue.get().await();
    } finally {
      exit();
    }
  }

  /**
   * Claims the communicator for the calling thread (again, when it holds it already: a call made
   * of others); a second thread at the same time would interleave sequence numbers and meetings.
   */
  private void enter(String op) {
    Thread me = Thread.currentThread();
    if (caller.get() == me) {
      depth++;
      return;
    }
    if (!caller.compareAndSet(null, me)) {
      Thread other = caller.get();
      throw new IllegalStateException("communicator of rank " + rank + " is in use: thread '" + me.getName()
          + "' called " + op + " while thread '" + (other == null ? "?" : other.getName()) + "' is inside "
          + callerOp + "; a communicator serves one thread at a time (split it, or give each thread its own)");
    }
    callerOp = op;
    depth = 1;
  }

  private void exit() {
    if (--depth == 0) {
      caller.set(null);
    }
  }

  private Work submit(Call c, boolean async, Body body) {
    return submit(c, async, body, null);
  }

  private Work submit(Call c, boolean async, Body body, Staged small) {
    return submit(c, async, () -> {
      long meeting = ++meetings;
      int parity = (int) (meeting & 1);
      boolean quick = small != null && small.bytes(c) <= GroupState.SMALL_BYTES;
      if (quick) {
        small.stage(c, group.slot(rank, parity));
      }
      group.arrive(rank, c, meeting);
      verify(c, parity);
      // The ranks are the parallelism: each runs its pieces on its own thread, without the pool.
      // A staged collective is too small for the pool anyway (GroupState.SMALL_BYTES), which
      // spares it two native calls.
      boolean serial = size() > 1 && !quick;
      if (serial) {
        NativeApi.cpuSerial(true);
      }
      try {
        if (quick) {
          small.compute(work, c, parity);
        } else {
          body.run(c, parity);
        }
      } catch (CollectiveException e) {
        throw e;
      } catch (RuntimeException | Error e) {
        throw group.abortWith(new CollectiveException(c.op(), c.seq(), List.of(), c.op() + " #" + c.seq()
            + " failed on rank " + rank + ": " + e, e));
      } finally {
        if (serial) {
          NativeApi.cpuSerial(false);
        }
      }
      if (!quick) {
        group.finish(rank, c, meeting);
      }
    });
  }

  private Work submit(Call c, boolean async, Runnable task) {
    if (debug) {
      LOG.info("rank {}: {} #{}", rank, c.signature(), c.seq());
    }
    if (!async && !c.owned() && pending.get() == 0) {
      // Nothing queued ahead: run on the caller's thread and throw what fails.
      group.operationStarts();
      try {
        refuseIfHopeless(c);
        task.run();
      } finally {
        c.release();
        group.operationEnds();
      }
      return DONE;
    }
    ExecutorService queue;
    try {
      queue = executor();
    } catch (RuntimeException e) {
      c.release();
      throw e;
    }
    CompletableWork work = new CompletableWork(c.op() + " #" + c.seq() + " on rank " + rank);
    pending.incrementAndGet();
    queue.execute(() -> {
      Throwable failure = null;
      group.operationStarts();
      try {
        refuseIfHopeless(c);
        task.run();
      } catch (Throwable t) {
        failure = t;
      } finally {
        // Released before the work completes: whoever awaits it may close the tensors at once.
        c.release();
        pending.decrementAndGet();
        group.operationEnds();
      }
      if (failure == null) {
        work.complete();
      } else {
        work.fail(failure);
      }
    });
    return work;
  }

  /**
   * Fails an operation that cannot complete: any after an abort, a collective once a rank has
   * closed (a transfer with a closed peer fails in the mailboxes, others go on).
   */
  private void refuseIfHopeless(Call c) {
    boolean transfer = c.op().equals("send") || c.op().equals("recv");
    if (group.aborted() || (!transfer && !group.collectivesPossible())) {
      throw group.failure(rank, c.op(), c.seq());
    }
  }

  private synchronized ExecutorService executor() {
    requireOpen(); // closed since the call was checked: its queue is shut down
    if (executor == null) {
      executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "shard4j-local-rank-" + rank);
        t.setDaemon(true);
        return t;
      });
    }
    return executor;
  }

  /** Every rank checks every call against rank 0's, so all see the same first mismatch. */
  private void verify(Call mine, int parity) {
    for (int q = 1; q < size(); q++) {
      if (!group.matchesRankZero(parity, q)) {
        Call first = group.call(parity, 0);
        Call other = group.call(parity, q);
        throw group.abortWith(new CollectiveException(mine.op(), mine.seq(), List.of(), "collective mismatch at "
            + mine.op() + " #" + mine.seq() + " on rank " + rank + ": rank 0 called " + first.signature()
            + " but rank " + q + " called " + other.signature(), null));
      }
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("communicator of rank " + rank + " is closed");
    }
  }

  private void buffers(Tensor a, String aName, Tensor b, String bName, long bNumel) {
    requireOpen();
    CollectiveArgs.buffer(a, aName, device());
    CollectiveArgs.buffer(b, bName, device());
    CollectiveArgs.matches(a, b, bName, bNumel);
  }
}
