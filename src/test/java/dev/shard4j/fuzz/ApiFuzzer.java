package dev.shard4j.fuzz;

import dev.shard4j.bindings.Cuda;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * Drives random sequences of public API calls from a seed: tensor factories, views, copies, casts,
 * fills, reads back to Java, allocators, copy plans, kernels and (in episodes of their own,
 * {@link CollectiveEpisode}) collectives over an in-process group. Each call is valid or carries
 * one deliberate defect. A valid call must give what the plain Java model gives, bit for bit (AdamW
 * and GEMM within the tolerances their ops state); an invalid one must throw the documented
 * exception naming the argument and leave everything usable. The memory of every live storage and
 * the accounting of every allocator are compared with the model after each call that touches them
 * and all of them every {@value #SWEEP_EVERY} calls; at the end every tensor is closed and every
 * allocator must hold 0 bytes. Anything else throws a {@link FuzzFailure} naming the seed and the
 * call index. The run is a function of its seed: replaying it stops at the same call.
 *
 * <p>Single-threaded, but for the rank threads of the collective episodes.
 */
final class ApiFuzzer {
  static final int SWEEP_EVERY = 50;
  private static final int RECENT = 16;

  final FuzzOptions options;
  final Gen gen;
  final Pool pool;
  final FuzzStats stats = new FuzzStats();
  /** Whether a CUDA device is here (then the defects that need its absence are left out). */
  final boolean cuda = Cuda.available();
  private final ArrayDeque<String> recent = new ArrayDeque<>();
  final FactoryOps factories;
  private final ViewOps views;
  private final CopyOps copies;
  private final AllocatorOps allocatorOps;
  private final PlanOps plans;
  private final ElementwiseOps elementwise;
  private final DenseOps dense;
  private long callIndex;
  /** What runs now and since when, for the watchdog. */
  private volatile String current = "starting";
  private volatile long progressNanos = System.nanoTime();

  ApiFuzzer(FuzzOptions options) {
    if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
      throw new IllegalStateException("the model reads memory as little-endian");
    }
    this.options = options;
    this.gen = new Gen(new SplittableRandom(options.seed()));
    this.pool = new Pool(gen.r);
    this.factories = new FactoryOps(this);
    this.views = new ViewOps(this);
    this.copies = new CopyOps(this);
    this.allocatorOps = new AllocatorOps(this);
    this.plans = new PlanOps(this);
    this.elementwise = new ElementwiseOps(this);
    this.dense = new DenseOps(this);
  }

  /** Runs the calls, then closes everything and checks that nothing is left; throws on failure. */
  void run() {
    long episodes = 0;
    while (callIndex < options.calls()) {
      int k = gen.r.nextInt(1000);
      if (k < 3) {
        new CollectiveEpisode(this, gen.r.nextLong(), episodes++).run();
      } else if (k < 200) {
        factories.step();
      } else if (k < 400) {
        views.step();
      } else if (k < 620) {
        copies.step();
      } else if (k < 690) {
        allocatorOps.step();
      } else if (k < 800) {
        plans.step();
      } else if (k < 920) {
        elementwise.step();
      } else {
        dense.step();
      }
      // Most operands made for one call go again; the pool stays small enough for matches.
      for (ModelTensor t : new ArrayList<>(pool.scratch)) {
        if (!t.closed && gen.chance(75)) {
          copies.close(t);
        }
      }
      pool.scratch.clear();
      while (pool.live.size() > Pool.MAX_LIVE) {
        copies.closeOne();
      }
      if (callIndex / SWEEP_EVERY != (callIndex - 1) / SWEEP_EVERY) {
        check(pool.verifyAll());
      }
    }
    current = "shutdown";
    allocatorOps.shutdown();
  }

  /**
   * Makes one API call and judges how it ended against the expected outcome.
   *
   * @param op the operation's name, for the statistics
   * @param what the call and its arguments, for traces and failures
   * @param expected what it must do
   * @param body the call
   * @return its result, or the allowed exception it threw
   */
  <T> Outcome.Result<T> call(String op, String what, Outcome expected, Callable<T> body) {
    String line = "#" + callIndex + " " + what + " -> " + expected;
    current = line;
    progressNanos = System.nanoTime();
    if (options.trace()) {
      System.err.println(line);
    }
    recent.addLast(line);
    if (recent.size() > RECENT) {
      recent.removeFirst();
    }
    T value;
    try {
      value = body.call();
    } catch (Throwable t) {
      String why = expected.judge(t);
      if (why != null) {
        throw failure(what + ": " + why, t);
      }
      stats.count(op, true);
      callIndex++;
      return new Outcome.Result<>(null, t);
    }
    if (!expected.successAllowed()) {
      if (value instanceof AutoCloseable c) {
        try {
          c.close();
        } catch (Exception ignored) {
          // the failure below is what counts
        }
      }
      throw failure(what + ": expected " + expected + ", but the call succeeded", null);
    }
    stats.count(op, false);
    callIndex++;
    return new Outcome.Result<>(value, null);
  }

  /** At the end of a run: closes the copy plans and the streams of the copy ops. */
  void closePlansAndStreams() {
    plans.closeAll();
    copies.closeStreams();
  }

  /** Counts calls made elsewhere (the ranks of a collective episode). */
  void countExternal(long calls) {
    callIndex += calls;
    progressNanos = System.nanoTime();
  }

  /** Fails the run when why is not null. */
  void check(String why) {
    if (why != null) {
      throw failure(why, null);
    }
  }

  FuzzFailure failure(String what, Throwable cause) {
    return new FuzzFailure(options, callIndex, what, new ArrayList<>(recent), cause);
  }

  void note(String what) {
    current = what;
    progressNanos = System.nanoTime();
  }

  long callIndex() {
    return callIndex;
  }

  String current() {
    return current;
  }

  long progressNanos() {
    return progressNanos;
  }
}
