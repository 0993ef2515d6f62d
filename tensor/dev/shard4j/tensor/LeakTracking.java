package dev.shard4j.tensor;

import dev.shard4j.bindings.Setting;
import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports tensors that became garbage without {@code close()}, when SHARD4J_LEAK_TRACKING is on
 * (it costs a {@link Cleaner} registration per tensor). It only reports: memory is never freed by
 * the garbage collector, so the allocator's leak report still names the storage. Thread-safe.
 */
public final class LeakTracking {
  private static final Logger LOG = LoggerFactory.getLogger(LeakTracking.class);
  private static final Cleaner CLEANER = Cleaner.create();
  private static final List<String> REPORTED = new ArrayList<>();

  private LeakTracking() {}

  /**
   * Whether tracking is on now.
   *
   * @return the value of SHARD4J_LEAK_TRACKING
   */
  public static boolean enabled() {
    return Setting.LEAK_TRACKING.asBoolean();
  }

  /**
   * The tensors reported so far, one description each.
   *
   * @return a copy of the list
   */
  public static List<String> reported() {
    synchronized (REPORTED) {
      return List.copyOf(REPORTED);
    }
  }

  /** Forgets the reports so far (for tests). */
  public static void clearReported() {
    synchronized (REPORTED) {
      REPORTED.clear();
    }
  }

  /** Watches a tensor; `closed` must not reference it. */
  static void track(Object tensor, AtomicBoolean closed, String description) {
    CLEANER.register(tensor, () -> {
      if (!closed.get()) {
        String message = description + " was garbage-collected without close()";
        LOG.warn(message);
        synchronized (REPORTED) {
          REPORTED.add(message);
        }
      }
    });
  }
}
