package dev.shard4j.kernels;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Time spent in each kernel, summed over every thread while switched on: where a training step
 * goes, so that the slowest kernel is visible. Off by default, when it costs one volatile read per
 * kernel call. Host kernels run on the caller's thread, so on the CPU the sums are the kernels'
 * own time; on a GPU they are the launches' (synchronise first for anything else). Thread-safe.
 */
public final class KernelProfile {
  private static volatile boolean on;
  private static final Map<String, LongAdder> NANOS = new ConcurrentHashMap<>();
  private static final Map<String, LongAdder> CALLS = new ConcurrentHashMap<>();

  private KernelProfile() {}

  /**
   * Switches the profile on or off (the sums are kept: see {@link #reset}).
   *
   * @param enabled whether kernel calls are timed
   */
  public static void enable(boolean enabled) {
    on = enabled;
  }

  /** Forgets every sum. */
  public static void reset() {
    NANOS.clear();
    CALLS.clear();
  }

  /**
   * The nanoseconds of each kernel since the last reset, by name ("gemm", "layernorm.backward", ...).
   *
   * @return a sorted copy
   */
  public static Map<String, Long> nanos() {
    Map<String, Long> copy = new TreeMap<>();
    NANOS.forEach((k, v) -> copy.put(k, v.sum()));
    return copy;
  }

  /**
   * The calls of each kernel since the last reset.
   *
   * @return a sorted copy
   */
  public static Map<String, Long> calls() {
    Map<String, Long> copy = new TreeMap<>();
    CALLS.forEach((k, v) -> copy.put(k, v.sum()));
    return copy;
  }

  /** The start of a timed call: 0 when off. */
  static long start() {
    return on ? System.nanoTime() : 0;
  }

  /** Ends a call started at {@code t0} (nothing when the profile was off at its start). */
  static void stop(String kernel, long t0) {
    if (t0 != 0) {
      NANOS.computeIfAbsent(kernel, k -> new LongAdder()).add(System.nanoTime() - t0);
      CALLS.computeIfAbsent(kernel, k -> new LongAdder()).increment();
    }
  }
}
