package dev.shard4j.fuzz;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The long fuzz run (scripts/fuzz-api.sh): several seeds, each for a number of calls, on a few
 * worker threads; prints calls per second, calls per operation and valid against invalid counts,
 * and exits with status 1 on any failure, naming its seed and call. A seed whose calls stop
 * advancing for {@link #HANG_SECONDS} is a hang: its worker's stack is printed and the run fails.
 *
 * <p>Arguments: {@code --seed S} (one seed) or {@code --seeds A..B}, {@code --calls N} (per seed,
 * default 200000), {@code --threads T} (default 2), {@code --trace} (every call to standard
 * error).
 */
public final class FuzzMain {
  static final long HANG_SECONDS = 300;

  private FuzzMain() {}

  /**
   * Runs the seeds.
   *
   * @param args see the class comment
   * @throws Exception if the pool cannot be waited for
   */
  public static void main(String[] args) throws Exception {
    long first = 1;
    long last = 1;
    long calls = 200_000;
    int threads = 2;
    boolean trace = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--seed" -> {
          first = Long.parseLong(args[++i]);
          last = first;
        }
        case "--seeds" -> {
          String[] range = args[++i].split("\\.\\.");
          first = Long.parseLong(range[0]);
          last = Long.parseLong(range[range.length - 1]);
        }
        case "--calls" -> calls = Long.parseLong(args[++i]);
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        case "--trace" -> trace = true;
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    List<FuzzOptions> runs = new ArrayList<>();
    for (long s = first; s <= last; s++) {
      runs.add(new FuzzOptions(s, calls, trace));
    }
    System.out.printf("fuzz: seeds %d..%d, %d calls each, %d threads%n", first, last, calls, threads);
    FuzzStats total = new FuzzStats();
    long start = System.nanoTime();
    List<String> failures = run(runs, threads, total);
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.print(total.table());
    System.out.printf("fuzz: %d calls (%d valid, %d invalid) in %.1f s: %.0f calls/s; %d seeds, %d failed, %d hung%n",
        total.calls(), total.calls() - total.invalid(), total.invalid(), seconds, total.calls() / seconds, runs.size(),
        failures.size(), failures.stream().filter(m -> m.contains("hung")).count());
    for (String f : failures) {
      System.out.println(f);
    }
    System.exit(failures.isEmpty() ? 0 : 1);
  }

  /** Runs each seed on the pool with a watchdog; returns the failures' reports. */
  static List<String> run(List<FuzzOptions> runs, int threads, FuzzStats total) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads, task -> {
      Thread t = new Thread(task, "fuzz-seed");
      t.setDaemon(true);
      return t;
    });
    List<String> failures = new ArrayList<>();
    List<Future<?>> futures = new ArrayList<>();
    for (FuzzOptions o : runs) {
      futures.add(pool.submit(() -> {
        String failure = runOne(o, total, HANG_SECONDS);
        if (failure != null) {
          synchronized (failures) {
            failures.add(failure);
          }
        }
      }));
    }
    for (Future<?> f : futures) {
      f.get();
    }
    pool.shutdown();
    pool.awaitTermination(1, TimeUnit.MINUTES);
    return failures;
  }

  /**
   * One seed on a thread of its own, watched: null when it passed, else the report of its failure,
   * or of a hang when its calls stopped advancing for hangSeconds.
   */
  static String runOne(FuzzOptions o, FuzzStats total, long hangSeconds) {
    ApiFuzzer fuzzer = new ApiFuzzer(o);
    AtomicReference<Throwable> error = new AtomicReference<>();
    Thread worker = new Thread(() -> {
      try {
        fuzzer.run();
      } catch (Throwable t) {
        error.set(t);
      }
    }, "fuzz-seed-" + o.seed());
    worker.setDaemon(true);
    long start = System.nanoTime();
    worker.start();
    while (worker.isAlive()) {
      try {
        worker.join(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "seed " + o.seed() + ": interrupted";
      }
      if (worker.isAlive() && System.nanoTime() - fuzzer.progressNanos() > TimeUnit.SECONDS.toNanos(hangSeconds)) {
        StringBuilder s = new StringBuilder("seed " + o.seed() + " hung at call #" + fuzzer.callIndex() + ": "
            + fuzzer.current());
        for (StackTraceElement frame : worker.getStackTrace()) {
          s.append("\n    at ").append(frame);
        }
        return s.toString();
      }
    }
    total.addAll(fuzzer.stats);
    double seconds = (System.nanoTime() - start) / 1e9;
    Throwable t = error.get();
    System.out.printf("fuzz: seed %d: %d calls in %.1f s%s%n", o.seed(), fuzzer.callIndex(), seconds,
        t == null ? "" : ", FAILED");
    if (t == null) {
      return null;
    }
    java.io.StringWriter w = new java.io.StringWriter();
    t.printStackTrace(new java.io.PrintWriter(w));
    return w.toString();
  }
}
