package dev.shard4j.collectives.local;

import static org.junit.jupiter.api.Assertions.fail;

import dev.shard4j.collectives.Communicator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Runs one body per rank, each on its own thread, and fails the test instead of hanging. */
final class Ranks {
  interface Body {
    Object run(Communicator comm) throws Exception;
  }

  private Ranks() {}

  /** Runs the bodies and returns what each rank returned or threw (an exception is a result). */
  static List<Object> run(List<Communicator> comms, Duration limit, Body body) {
    ExecutorService pool = Executors.newFixedThreadPool(comms.size());
    try {
      List<Future<Object>> futures = new ArrayList<>();
      for (Communicator c : comms) {
        futures.add(pool.submit(() -> {
          try {
            return body.run(c);
          } catch (Throwable t) {
            return t;
          }
        }));
      }
      List<Object> results = new ArrayList<>();
      long deadline = System.nanoTime() + limit.toNanos();
      for (Future<Object> f : futures) {
        try {
          results.add(f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
          fail("a rank hung for more than " + limit.toSeconds() + " s");
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Runs the bodies and rethrows the first rank's failure. */
  static void runAll(List<Communicator> comms, Body body) {
    for (Object r : run(comms, Duration.ofSeconds(120), body)) {
      if (r instanceof Throwable) {
        throw new AssertionError("a rank failed: " + r, (Throwable) r);
      }
    }
  }
}
