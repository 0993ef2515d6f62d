package dev.shard4j.parallel.fsdp;

import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.RedOp;
import dev.shard4j.collectives.Work;
import dev.shard4j.kernels.AccumulateKernel;
import dev.shard4j.kernels.AdamW;
import dev.shard4j.kernels.ChunkCatKernel;
import dev.shard4j.kernels.CopyPlan;
import dev.shard4j.kernels.Gemm;
import dev.shard4j.kernels.ShardLayout;
import dev.shard4j.kernels.UnpackKernel;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Event;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The parameters of one FSDP unit, fully sharded over a communicator (ZeRO-3): each rank keeps the
 * fp32 master shard of every parameter (dim 0 cut in padded chunks, {@link ShardLayout}), its AdamW
 * moments and its gradient shard, all in one flat buffer each, accounted in a child allocator.
 *
 * <ul>
 *   <li>{@link #gather()}: all-gather the low-precision copy of every shard (written by the last
 *       step in the same pass, straight into this rank's slice of the all-gather buffer) and unpack
 *       it into the unsharded parameters the trainer computes with;
 *   <li>{@link #reduceGradients}: chunk-cat the unsharded gradients with the cast to the reduce
 *       dtype and the 1/world pre-scale, reduce-scatter in place, accumulate into the fp32
 *       gradient shard (micro-batches accumulate until the step);
 *   <li>{@link #step}: the fused AdamW over the shard;
 *   <li>{@link #reshard()}: free the unsharded parameters.
 * </ul>
 *
 * <p>Overlap: {@link #prefetch()} issues the all-gather at once (asynchronously, in the rank's
 * order of calls: on a GPU, ordered after the kernels queued so far) and queues its completion and
 * the copy-out on the group's {@link CommStream}; {@link #reduceGradientsAsync} does the copy-in
 * at once, so the gradients may be freed on return, issues the reduce-scatter, and queues its
 * completion, the replicas' all-reduce and the accumulation on the stream. The trainer computes
 * meanwhile; the groups of one rank share one stream, so the follow-up collectives of every rank
 * run in the same order.
 * The group keeps its buffers alive until that work is over: {@link #gather()} waits for a
 * prefetch, {@link #step}, {@link #reshard()} and close wait for whatever of the group's work is
 * pending, and a new reduce waits for the previous one before it reuses its buffer. Without a
 * stream of the trainer's, the group runs everything at once on the caller's thread.
 *
 * <p>With a {@linkplain CommStream#onDevice device} stream nothing waits on the host: the
 * collective is issued at once, the copy-out (or the replicas' all-reduce and the accumulation)
 * is queued behind it on the communicator's stream, and where the trainer needs the result the
 * compute stream waits for an event. The buffers are then reused, and the unsharded parameters
 * freed, in stream order behind those waits.
 *
 * <p>Every rank must make the same calls in the same order. Used from the rank's thread; the
 * creator closes it.
 */
public final class ShardGroup implements AutoCloseable {
  /** The ranks the parameters are sharded over (a size-1 group for NO_SHARD). */
  private final Communicator comm;
  /** The ranks holding replicas of the same shards, whose gradients are all-reduced; or null. */
  private final Communicator replicas;
  /** Sub-communicators this group made and closes. */
  private final List<Communicator> owned;
  private final Strategy strategy;
  private final List<ParamSpec> specs;
  private final MixedPrecision precision;
  private final ShardLayout layout;
  private final Allocator memory;
  private final Device device;
  private final Tensor master;
  private final Tensor expAvg;
  private final Tensor expAvgSq;
  private final Tensor gradShard;
  private final Tensor gathered;
  private final Tensor myCopy;
  private final Tensor reduceBuffer;
  private final Tensor reducedShard;
  private final CommStream stream;
  /** Where the trainer computes: the device's default stream. */
  private final Stream compute;
  /** With a device stream: recorded after the latest gather's copy-out, and reduce's accumulation. */
  private Event gatherDone;
  private Event reduceDone;
  /**
   * With a device stream: the latest gather and reduce, which close waits for on the host. Work
   * followed only on the device is never awaited there; awaiting the last one also releases what
   * the communicators hold for the earlier ones.
   */
  private Work lastGather;
  private Work lastReduce;
  /** The inline stream made when none was given; closed with the group. */
  private final CommStream ownStream;
  private List<Tensor> params;
  private CopyPlan unpack;
  /** A gather started by {@link #prefetch} and not yet taken by {@link #gather()}; or null. */
  private Work pendingGather;
  /** The last reduce queued by {@link #reduceGradientsAsync}, until something waited for it. */
  private Work pendingReduce;
  /** A reduce was started since the last step (the step may need to wait for it). */
  private boolean hasGradient;
  /** The gradient shard holds a reduced micro-batch to add to; touched on the reducing thread. */
  private boolean accumulating;
  private long steps;
  private boolean closed;

  private ShardGroup(Communicator comm, Communicator replicas, List<Communicator> owned, Strategy strategy,
      List<ParamSpec> specs, MixedPrecision precision, Allocator parent, CommStream stream) {
    this.ownStream = stream == null ? CommStream.inline("shard-group") : null;
    this.stream = stream == null ? ownStream : stream;
    this.comm = comm;
    this.replicas = replicas;
    this.owned = owned;
    this.strategy = strategy;
    this.specs = List.copyOf(specs);
    this.precision = precision;
    this.device = comm.device();
    this.compute = Stream.defaultStream(device);
    this.layout = new ShardLayout(specs.stream().map(ParamSpec::shape).toList(), comm.size());
    this.memory = parent.newChild("shard-group-rank" + comm.rank() + "-" + System.identityHashCode(this),
        Long.MAX_VALUE);
    long s = Math.max(1, layout.shardNumel());
    long all = s * comm.size();
    List<Tensor> made = new ArrayList<>();
    try {
      master = keep(made, Tensors.zeros(memory, DType.F32, device, s));
      expAvg = keep(made, Tensors.zeros(memory, DType.F32, device, s));
      expAvgSq = keep(made, Tensors.zeros(memory, DType.F32, device, s));
      gradShard = keep(made, Tensors.zeros(memory, DType.F32, device, s));
      gathered = keep(made, Tensors.zeros(memory, precision.paramDtype(), device, all));
      myCopy = keep(made, gathered.narrow(0, comm.rank() * s, s));
      reduceBuffer = keep(made, Tensors.zeros(memory, precision.reduceDtype(), device, all));
      reducedShard = keep(made, reduceBuffer.narrow(0, comm.rank() * s, s));
    } catch (RuntimeException e) {
      made.forEach(Tensor::close);
      memory.close();
      throw e;
    }
  }

  private static <T> T keep(List<? super T> made, T t) {
    made.add(t);
    return t;
  }

  /**
   * Shards the given parameters over the communicator. Every rank passes the same specs; the
   * initial values that count are rank 0's, which it broadcasts to the others at creation (as
   * PyTorch's DDP does), so every rank starts from the same model even where the ranks initialised
   * differently. Each rank keeps only its own shards.
   *
   * @param comm the ranks to shard over
   * @param specs the parameters, in order
   * @param precision the param and reduce dtypes
   * @param allocator the parent of the group's child allocator
   * @param initial the unsharded initial values (any float dtype), one per spec, on the
   *     communicator's device (rank 0's are broadcast to every rank)
   * @return the group, owned by the caller
   * @throws IllegalArgumentException when the specs or initial values are inconsistent, or the
   *     ranks passed different specs (reported on every rank)
   */
  public static ShardGroup create(Communicator comm, List<ParamSpec> specs, MixedPrecision precision,
      Allocator allocator, List<Tensor> initial) {
    return create(comm, specs, precision, Strategy.FULL_SHARD, comm.size(), allocator, initial);
  }

  /**
   * Shards the given parameters with a strategy. Every rank passes the same arguments.
   *
   * @param comm all the ranks
   * @param specs the parameters, in order
   * @param precision the param and reduce dtypes
   * @param strategy how to shard
   * @param shardSize for HYBRID_SHARD, the ranks of one sharding group (a divisor of the world
   *     size; ranks r and r + shardSize hold the same shards); ignored otherwise
   * @param allocator the parent of the group's child allocator
   * @param initial the unsharded initial values, one per spec, on the communicator's device (rank
   *     0's are broadcast to every rank)
   * @return the group, owned by the caller
   */
  public static ShardGroup create(Communicator comm, List<ParamSpec> specs, MixedPrecision precision,
      Strategy strategy, int shardSize, Allocator allocator, List<Tensor> initial) {
    return create(comm, specs, precision, strategy, shardSize, allocator, initial, null);
  }

  /**
   * Shards the given parameters with a strategy, running the group's collectives on a comm stream
   * that this rank's other groups share. Every rank passes the same arguments.
   *
   * @param comm all the ranks
   * @param specs the parameters, in order
   * @param precision the param and reduce dtypes
   * @param strategy how to shard
   * @param shardSize for HYBRID_SHARD, the ranks of one sharding group; ignored otherwise
   * @param allocator the parent of the group's child allocator
   * @param initial the unsharded initial values, one per spec, on the communicator's device (rank
   *     0's are broadcast to every rank)
   * @param stream where the group's collectives run, owned by the caller and closed after the
   *     group; null runs them at once on the caller's thread
   * @return the group, owned by the caller
   */
  public static ShardGroup create(Communicator comm, List<ParamSpec> specs, MixedPrecision precision,
      Strategy strategy, int shardSize, Allocator allocator, List<Tensor> initial, CommStream stream) {
    Objects.requireNonNull(comm, "comm");
    Objects.requireNonNull(strategy, "strategy");
    Objects.requireNonNull(specs, "specs");
    Objects.requireNonNull(precision, "precision");
    Objects.requireNonNull(allocator, "allocator");
    Objects.requireNonNull(initial, "initial");
    checkSpecs(specs, initial);
    agreeAcrossRanks(comm, specs, allocator);
    List<Communicator> owned = new ArrayList<>();
    Communicator shards;
    Communicator replicas;
    switch (strategy) {
      case NO_SHARD -> {
        shards = keep(owned, comm.split(comm.rank(), 0)); // every rank alone holds everything
        replicas = comm.size() > 1 ? comm : null;
      }
      case HYBRID_SHARD -> {
        if (shardSize < 1 || comm.size() % shardSize != 0) {
          throw new IllegalArgumentException("shardSize " + shardSize + " must divide the world size " + comm.size());
        }
        shards = keep(owned, comm.split(comm.rank() / shardSize, comm.rank()));
        replicas = keep(owned, comm.split(comm.rank() % shardSize, comm.rank()));
        if (replicas.size() == 1) {
          replicas = null;
        }
      }
      default -> {
        shards = comm;
        replicas = null;
      }
    }
    ShardGroup g;
    try {
      g = new ShardGroup(shards, replicas, owned, strategy, specs, precision, allocator, stream);
    } catch (RuntimeException e) {
      owned.forEach(Communicator::close);
      throw e;
    }
    try {
      g.load(initial, comm);
      return g;
    } catch (RuntimeException e) {
      g.close();
      throw e;
    }
  }

  private static void checkSpecs(List<ParamSpec> specs, List<Tensor> initial) {
    if (specs.isEmpty()) {
      throw new IllegalArgumentException("a shard group needs at least one parameter");
    }
    if (initial.size() != specs.size()) {
      throw new IllegalArgumentException(specs.size() + " parameters but " + initial.size() + " initial values");
    }
    Set<String> names = new HashSet<>();
    for (int p = 0; p < specs.size(); p++) {
      ParamSpec spec = Objects.requireNonNull(specs.get(p), "specs[" + p + "]");
      if (!names.add(spec.name())) {
        throw new IllegalArgumentException("parameter name '" + spec.name() + "' appears twice");
      }
      Tensor t = Objects.requireNonNull(initial.get(p), "initial[" + p + "]");
      if (!t.shape().equals(spec.shape())) {
        throw new IllegalArgumentException("initial value of '" + spec.name() + "' has shape " + t.shape()
            + ", the spec " + spec.shape());
      }
    }
  }

  /** Every rank checks that all ranks passed the same parameter list, before any rank relies on it. */
  private static void agreeAcrossRanks(Communicator comm, List<ParamSpec> specs, Allocator allocator) {
    long hash = specs.hashCode();
    try (Tensor mine = Tensors.fromArray(allocator, new long[] {hash, specs.size()}, DType.I64, comm.device(), 2);
        Tensor all = Tensors.zeros(allocator, DType.I64, comm.device(), 2L * comm.size())) {
      comm.allGather(mine, all);
      long[] got = all.toLongArray();
      for (int q = 0; q < comm.size(); q++) {
        if (got[2 * q] != hash || got[2 * q + 1] != specs.size()) {
          throw new IllegalArgumentException("rank " + q + " passed a different parameter list (" + got[2 * q + 1]
              + " parameters) than rank " + comm.rank() + " (" + specs.size() + ": " + names(specs) + ")");
        }
      }
    }
  }

  private static String names(List<ParamSpec> specs) {
    return specs.stream().map(ParamSpec::name).toList().toString();
  }

  /**
   * Takes this rank's padded chunks of rank 0's initial values into the master shard. Every rank
   * lays out the same padded chunks, so rank 0's copy is broadcast over the whole world first (as
   * DDP does): ranks that initialised differently still start from one model, never a mix.
   */
  private void load(List<Tensor> initial, Communicator world) {
    long s = master.numel();
    try (Tensor all = Tensors.zeros(memory, DType.F32, device, s * comm.size());
        CopyPlan chunks = ChunkCatKernel.plan(initial, comm.size(), all);
        Tensor mine = all.narrow(0, comm.rank() * s, s)) {
      chunks.run();
      if (world.size() > 1) {
        world.broadcast(all, all, 0);
      }
      master.copyFrom(mine);
      myCopy.copyFrom(master);
    }
  }

  /**
   * Returns the parameters unsharded in the param dtype, in spec order: the ones a pending
   * {@link #prefetch} gathers, once it is done, or else gathered now on the caller's thread. The
   * group owns them; they stay valid until {@link #reshard()} or close, and are refreshed by the
   * next gather after a step.
   *
   * @return the unsharded parameters
   */
  public List<Tensor> gather() {
    requireOpen();
    Work w = prefetch();
    pendingGather = null;
    w.awaitOn(compute);
    return params;
  }

  /**
   * Starts gathering the parameters on the group's comm stream, for a later {@link #gather()} to
   * return: the all-gather of the next group overlaps the compute of this one. Returns the pending
   * work when a prefetch is already under way.
   *
   * @return completes when the parameters are unsharded
   */
  public Work prefetch() {
    requireOpen();
    if (pendingGather == null) {
      allocateParams(); // here, on the rank's thread, where the accounting expects it
      // On a GPU the all-gather runs right after the step's kernels, beside those queued after
      // this call. In place: the copy that the step wrote is this rank's slice of the buffer.
      CopyPlan copyOut = unpack;
      if (stream.onDevice()) {
        gatherDone = gatherDone != null ? gatherDone : Event.create(device, false);
        pendingGather = onDevice(() -> comm.allGatherAsync(myCopy, gathered), s -> {
          copyOut.run(1.0, s);
          return null;
        }, gatherDone);
        lastGather = pendingGather;
      } else {
        pendingGather = collective("gather of " + names(specs), () -> comm.allGatherAsync(myCopy, gathered),
            () -> comm.allGather(myCopy, gathered), copyOut::run);
      }
    }
    return pendingGather;
  }

  private void allocateParams() {
    if (params != null) {
      return;
    }
    List<Tensor> made = new ArrayList<>();
    try {
      for (ParamSpec spec : specs) {
        made.add(Tensors.empty(memory, precision.paramDtype(), device, spec.shape().toArray()));
      }
      unpack = UnpackKernel.plan(gathered, comm.size(), made);
    } catch (RuntimeException e) {
      made.forEach(Tensor::close);
      throw e;
    }
    params = List.copyOf(made);
  }

  /**
   * Reduces the unsharded gradients of this rank's micro-batch: averaged over all ranks, added to
   * the fp32 gradient shard (so several micro-batches accumulate until {@link #step}).
   *
   * @param grads one per parameter, in spec order, with its shape, any float dtype, on the
   *     communicator's device
   */
  public void reduceGradients(List<Tensor> grads) {
    reduceGradients(grads, averagingFactor());
  }

  /**
   * Reduces the unsharded gradients with a factor of one's own: the shard receives the sum over all
   * ranks of factor times each rank's gradient (PREMUL_SUM; the factor 1 / world size is the
   * average).
   *
   * @param grads one per parameter, in spec order, with its shape, any float dtype, on the
   *     communicator's device
   * @param factor the finite factor applied to every rank's gradient before summing
   */
  public void reduceGradients(List<Tensor> grads, double factor) {
    reduceGradientsAsync(grads, factor).await();
  }

  /**
   * Queues the reduction of this micro-batch's gradients on the group's comm stream, like
   * {@link #reduceGradients(List, double)}: the copy-in (chunk-cat with cast and factor) runs now on
   * the caller's thread, so the gradients may be closed on return; the reduce-scatter, the replicas'
   * all-reduce and the accumulation into the gradient shard run on the stream.
   *
   * @param grads one per parameter, in spec order, with its shape, any float dtype, on the
   *     communicator's device
   * @param factor the finite factor applied to every rank's gradient before summing (1 / world
   *     size for the average, {@link #averagingFactor()})
   * @return completes when the gradient shard holds the result
   */
  public Work reduceGradientsAsync(List<Tensor> grads, double factor) {
    copyIn(grads, factor);
    if (stream.onDevice()) {
      reduceDone = reduceDone != null ? reduceDone : Event.create(device, false);
      pendingReduce = onDevice(() -> comm.reduceScatterAsync(reduceBuffer, reducedShard, RedOp.SUM), s -> {
        Work summed = null;
        if (replicas != null) {
          // The replicas' stream follows the reduce-scatter; this one follows their sum.
          try (Event scattered = s.record()) {
            replicas.stream().waitFor(scattered);
          }
          summed = replicas.allReduceAsync(reducedShard, reducedShard, RedOp.SUM);
          summed.awaitOn(s);
        }
        accumulate(s);
        return summed;
      }, reduceDone);
      lastReduce = pendingReduce;
      return pendingReduce;
    }
    pendingReduce = collective("reduce of " + names(specs),
        () -> comm.reduceScatterAsync(reduceBuffer, reducedShard, RedOp.SUM),
        () -> comm.reduceScatter(reduceBuffer, reducedShard, RedOp.SUM), () -> {
          if (replicas != null) {
            replicas.allReduce(reducedShard, reducedShard, RedOp.SUM); // the replicas' shards of the same rows
          }
          accumulate(null);
        });
    return pendingReduce;
  }

  /**
   * The factor that {@link #reduceGradients(List)} applies: one over the number of ranks of the
   * job, so that the reduced gradient is the average.
   *
   * @return 1 / world size
   */
  public double averagingFactor() {
    return 1.0 / worldSize();
  }

  /** Checks the gradients and chunk-cats them into the reduce buffer, once it is free. */
  private void copyIn(List<Tensor> grads, double factor) {
    requireOpen();
    Objects.requireNonNull(grads, "grads");
    if (!Double.isFinite(factor)) {
      throw new IllegalArgumentException("factor must be finite, got " + factor);
    }
    if (grads.size() != specs.size()) {
      throw new IllegalArgumentException(specs.size() + " parameters but " + grads.size() + " gradients");
    }
    for (int p = 0; p < grads.size(); p++) {
      Tensor g = Objects.requireNonNull(grads.get(p), "grads[" + p + "]");
      if (!g.shape().equals(specs.get(p).shape())) {
        throw new IllegalArgumentException("gradient of '" + specs.get(p).name() + "' has shape " + g.shape()
            + ", the parameter " + specs.get(p).shape());
      }
    }
    order(pendingReduce); // the previous reduce still reads the buffer
    pendingReduce = null;
    try (CopyPlan chunks = ChunkCatKernel.plan(grads, comm.size(), reduceBuffer)) {
      chunks.run(factor, null); // applied before the sum, as FSDP pre-divides, so sums stay in range
    }
    hasGradient = true;
  }

  private void accumulate(Stream on) {
    if (accumulating) {
      AccumulateKernel.accumulate(gradShard, reducedShard, 1.0, on);
    } else {
      gradShard.copyFrom(reducedShard, on);
      accumulating = true;
    }
  }

  /**
   * Issues a collective and queues what follows it on the communicator's stream, ending at the
   * event: the device schedule, where nothing waits on the host. On the CPU backend, whose
   * streams run each kernel at its call, following the collective means waiting for it.
   */
  private Work onDevice(Supplier<Work> collective, Function<Stream, Work> then, Event done) {
    Stream s = comm.stream();
    Event start = stream.deviceWorkStarts(s);
    Work started = collective.get();
    started.awaitOn(s);
    Work followUp = then.apply(s);
    done.record(s);
    stream.deviceWorkEnds(s, start);
    return new DeviceWork(started, followUp, done, stream, () -> closed);
  }

  /**
   * Queues a collective and what follows it on the comm stream. When the stream overlaps, the
   * collective is issued at once, asynchronously, in the rank's order of calls (on a GPU, after the
   * kernels queued so far), and the task waits for it; else the task runs it to the end on the
   * caller's thread, the backends' shortest path.
   */
  private Work collective(String what, Supplier<Work> async, Runnable blocking, Runnable then) {
    if (stream.overlaps()) {
      Work started = async.get();
      return stream.submit(what, () -> {
        started.await();
        then.run();
      });
    }
    return stream.submit(what, () -> {
      blocking.run();
      then.run();
    });
  }

  /** Waits on the host for the work: its buffers may then be read or freed. */
  private static void settle(Work work) {
    if (work != null) {
      work.await();
    }
  }

  /** Orders the compute stream after the work (on the CPU: waits for it). */
  private void order(Work work) {
    if (work != null) {
      work.awaitOn(compute);
    }
  }

  /** Every rank of the job: the shard group times its replicas. */
  private int worldSize() {
    return comm.size() * (replicas == null ? 1 : replicas.size());
  }

  /**
   * One AdamW step over this rank's shard, which also writes the param-dtype copy that the next
   * {@link #gather()} sends.
   *
   * @param optimizer the hyperparameters
   * @param gradScale factor applied to the gradient first (a clipping factor; 1 for none)
   * @throws IllegalStateException when no gradient was reduced since the last step
   */
  public void step(AdamW optimizer, double gradScale) {
    step(optimizer, gradScale, spec -> true);
  }

  /**
   * One AdamW step over this rank's shard with weight decay on some parameters only (GPT-2 and
   * nanoGPT decay the matrices, not the biases and LayerNorm gains): the optimizer's weight decay
   * applies to the parameters that {@code decays} accepts, none to the others. Runs of parameters
   * alike take one fused pass each.
   *
   * @param optimizer the hyperparameters
   * @param gradScale factor applied to the gradient first (a clipping factor; 1 for none)
   * @param decays which parameters get the optimizer's weight decay
   * @throws IllegalStateException when no gradient was reduced since the last step
   */
  public void step(AdamW optimizer, double gradScale, Predicate<ParamSpec> decays) {
    requireOpen();
    Objects.requireNonNull(optimizer, "optimizer");
    Objects.requireNonNull(decays, "decays");
    if (!hasGradient) {
      throw new IllegalStateException("step before reduceGradients: no gradient was reduced since the last step");
    }
    order(pendingReduce);
    pendingReduce = null;
    order(pendingGather); // it sends myCopy, which the step rewrites
    steps++;
    AdamW undecayed = new AdamW(optimizer.lr(), optimizer.beta1(), optimizer.beta2(), optimizer.eps(), 0);
    int p = 0;
    while (p < specs.size()) {
      boolean decayed = decays.test(specs.get(p));
      int end = p + 1;
      while (end < specs.size() && decays.test(specs.get(end)) == decayed) {
        end++;
      }
      // A run's padded chunks are adjacent in the shard; padding has zero gradient and stays zero.
      long from = layout.shardOffset(p);
      long to = end < specs.size() ? layout.shardOffset(end) : master.numel();
      stepRange(decayed ? optimizer : undecayed, from, to - from, gradScale);
      p = end;
    }
    hasGradient = false;
    accumulating = false;
  }

  private void stepRange(AdamW optimizer, long from, long length, double gradScale) {
    if (length == 0) {
      return;
    }
    try (Tensor m = master.narrow(0, from, length); Tensor g = gradShard.narrow(0, from, length);
        Tensor a = expAvg.narrow(0, from, length); Tensor a2 = expAvgSq.narrow(0, from, length);
        Tensor copy = myCopy.narrow(0, from, length)) {
      optimizer.step(m, g, a, a2, copy, steps, gradScale, null);
    }
  }

  /**
   * Adds this rank's share of the reduced gradient's squared L2 norm to {@code sum}, once the
   * pending reduce is over, so that the sum over every rank of the job (and over every group) is
   * the squared norm of the whole gradient: replicas of a shard each add their part of it. With
   * one all-reduce of the sum the ranks clip by the global norm, as torch's clip_grad_norm_ does.
   *
   * @param sum F32 [1, 1] on the group's device, added to in fp32 on the compute stream
   */
  public void addGradientSquares(Tensor sum) {
    requireOpen();
    Objects.requireNonNull(sum, "sum");
    if (sum.dtype() != DType.F32 || sum.numel() != 1 || !sum.device().equals(device)) {
      throw new IllegalArgumentException("sum must be F32 [1, 1] on " + device + ", got " + sum);
    }
    order(pendingReduce);
    pendingReduce = null;
    try (Tensor row = gradShard.view(1, gradShard.numel()); Tensor column = gradShard.view(gradShard.numel(), 1);
        Tensor out = sum.view(1, 1)) {
      Gemm.matmul(row, column, out, false, false, (double) comm.size() / worldSize(), 1.0, null);
    }
  }

  /** Frees the unsharded parameters (FULL_SHARD does so after each forward and backward). */
  public void reshard() {
    if (pendingGather != null) {
      Work w = pendingGather;
      pendingGather = null;
      w.awaitOn(compute); // the gather writes into the parameters: they are freed behind it
    }
    if (params != null) {
      params.forEach(Tensor::close);
      unpack.close();
      params = null;
      unpack = null;
    }
  }

  /**
   * This rank's fp32 master shard of one parameter: its rows, padding excluded, as a new tensor.
   *
   * @param index the parameter's position in the specs
   * @return a copy, owned by the caller
   */
  public Tensor masterShard(int index) {
    requireOpen();
    long rows = layout.rowsOnRank(index, comm.rank());
    try (Tensor view = master.narrow(0, layout.shardOffset(index), rows * layout.rowNumel(index))) {
      return view.copy();
    }
  }

  /**
   * Bytes this rank holds for the model states: parameters (master and copies, unsharded ones
   * included while gathered), gradients and optimizer state.
   *
   * @return the current bytes of the group's allocator
   */
  public long memoryBytes() {
    return memory.allocatedBytes();
  }

  /**
   * The most bytes this rank held at once.
   *
   * @return the peak of the group's allocator
   */
  public long peakMemoryBytes() {
    return memory.peakBytes();
  }

  /**
   * The strategy.
   *
   * @return how the group shards
   */
  public Strategy strategy() {
    return strategy;
  }

  /**
   * The sharding layout.
   *
   * @return the layout over this communicator's size
   */
  public ShardLayout layout() {
    return layout;
  }

  // ---- for ShardCheckpoint -----------------------------------------------------------------------

  List<ParamSpec> specs() {
    return specs;
  }

  int shardRank() {
    return comm.rank();
  }

  /** Whether this rank writes checkpoints: the first replica of each shard. */
  boolean writesCheckpoints() {
    return replicas == null || replicas.rank() == 0;
  }

  long steps() {
    return steps;
  }

  /** The fp32 gradient shard (for tests), once a pending reduce is over. */
  Tensor gradient() {
    settle(pendingReduce);
    pendingReduce = null;
    return gradShard;
  }

  /** The fp32 state buffers: master, first and second moments, once pending work is over. */
  Tensor[] state() {
    requireOpen();
    settle(pendingReduce);
    pendingReduce = null;
    settle(pendingGather);
    return new Tensor[] {master, expAvg, expAvgSq};
  }

  /** After the state was loaded: the step count, and the param-dtype copy the next gather sends. */
  void restored(long stepCount) {
    steps = stepCount;
    hasGradient = false;
    accumulating = false;
    myCopy.copyFrom(master);
  }

  /** Fails the group's communicators on every rank: this rank cannot go on. */
  void abort(Throwable cause) {
    comm.abort(cause);
    if (replicas != null) {
      replicas.abort(cause);
    }
  }

  /** Waits for every rank of the group (and its replicas). */
  void barrier() {
    comm.barrier();
    if (replicas != null) {
      replicas.barrier();
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("shard group is closed");
    }
  }

  /** Frees every buffer of the group; idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    // The group's pending work writes into its buffers: let it end before they are freed. Its
    // failures were (or will never be) reported where it was awaited; closing frees regardless.
    for (Work w : new Work[] {pendingReduce, pendingGather, lastReduce, lastGather}) {
      try {
        settle(w);
      } catch (RuntimeException ignored) {
        // see above
      }
    }
    pendingReduce = null;
    pendingGather = null;
    lastReduce = null;
    lastGather = null;
    Event[] deviceEvents = {gatherDone, reduceDone};
    for (Event e : deviceEvents) {
      if (e != null) {
        e.synchronize(); // and the kernels queued behind the collectives
      }
    }
    reshard();
    for (Event e : deviceEvents) {
      if (e != null) {
        e.close();
      }
    }
    for (Tensor t : new Tensor[] {reducedShard, reduceBuffer, myCopy, gathered, gradShard, expAvgSq, expAvg, master}) {
      t.close();
    }
    try {
      owned.forEach(Communicator::close); // they hand back what their finished works still hold
    } finally {
      memory.close();
    }
    if (ownStream != null) {
      ownStream.close();
    }
  }
}
