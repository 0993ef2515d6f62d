package dev.shard4j.fuzz;

/**
 * One fuzz run: its seed and how many calls.
 *
 * @param seed every choice of the run follows from it
 * @param calls how many API calls to make
 * @param trace print every call to standard error (to follow a replay)
 */
record FuzzOptions(long seed, long calls, boolean trace) {
  FuzzOptions {
    if (calls < 0) {
      throw new IllegalArgumentException("calls must be >= 0, got " + calls);
    }
  }

  /** A run of the seed. */
  static FuzzOptions of(long seed, long calls) {
    return new FuzzOptions(seed, calls, false);
  }
}
