package dev.shard4j.cli.perf;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;

/**
 * Waits for the JIT compiler to go idle before a timed series. On a machine with few cores the
 * compiler threads take a core from the ranks while they work (seconds after start-up, and again
 * after each size's untimed fill and check loops), which a native peer such as nccl-tests never
 * pays; its time would be charged to the collective.
 */
final class JitSettle {
  /** The JIT counts as idle once its total compilation time has not moved for this long. */
  static final Duration QUIET = Duration.ofMillis(100);
  private static final long POLL_MILLIS = 5;

  private JitSettle() {}

  /**
   * Returns once the JIT has been idle for {@link #QUIET}, or after at most {@code limit}.
   *
   * @return whether the JIT went idle in time (true as well where the JVM does not report
   *     compilation time)
   */
  static boolean await(Duration limit) {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    if (jit == null || !jit.isCompilationTimeMonitoringSupported() || limit.isZero()) {
      return true;
    }
    long start = System.nanoTime();
    long last = jit.getTotalCompilationTime();
    long lastChange = start;
    while (System.nanoTime() - start < limit.toNanos()) {
      try {
        Thread.sleep(POLL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
      long now = System.nanoTime();
      long total = jit.getTotalCompilationTime();
      if (total != last) {
        last = total;
        lastChange = now;
      } else if (now - lastChange >= QUIET.toNanos()) {
        return true;
      }
    }
    return false;
  }
}
