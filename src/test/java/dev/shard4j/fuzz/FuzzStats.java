package dev.shard4j.fuzz;

import java.util.Map;
import java.util.TreeMap;

/** Calls per operation, split into valid ones and ones that ended in an expected exception. */
final class FuzzStats {
  private final Map<String, long[]> perOp = new TreeMap<>();
  private long calls;
  private long invalid;

  /** Counts one call; thread-safe (the ranks of a collective episode count together). */
  synchronized void count(String op, boolean failedAsExpected) {
    long[] c = perOp.computeIfAbsent(op, k -> new long[2]);
    c[failedAsExpected ? 1 : 0]++;
    calls++;
    if (failedAsExpected) {
      invalid++;
    }
  }

  synchronized long calls() {
    return calls;
  }

  synchronized long invalid() {
    return invalid;
  }

  synchronized void addAll(FuzzStats other) {
    synchronized (other) {
      for (Map.Entry<String, long[]> e : other.perOp.entrySet()) {
        long[] c = perOp.computeIfAbsent(e.getKey(), k -> new long[2]);
        c[0] += e.getValue()[0];
        c[1] += e.getValue()[1];
      }
      calls += other.calls;
      invalid += other.invalid;
    }
  }

  /** One line per operation: valid and invalid calls. */
  synchronized String table() {
    StringBuilder s = new StringBuilder(String.format("%-28s %12s %12s%n", "operation", "valid", "invalid"));
    for (Map.Entry<String, long[]> e : perOp.entrySet()) {
      s.append(String.format("%-28s %12d %12d%n", e.getKey(), e.getValue()[0], e.getValue()[1]));
    }
    s.append(String.format("%-28s %12d %12d%n", "total", calls - invalid, invalid));
    return s.toString();
  }
}
