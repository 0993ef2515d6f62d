package dev.shard4j.fuzz;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * One fuzz run: its seed, how many calls, and which cases of known bugs it may generate.
 *
 * @param seed every choice of the run follows from it
 * @param calls how many API calls to make
 * @param trace print every call to standard error (to follow a replay)
 * @param enabled cases of bugs being fixed elsewhere, off by default so that a run passes until
 *     the fix lands; each is enabled by name once it has
 */
record FuzzOptions(long seed, long calls, boolean trace, Set<Case> enabled) {
  /** Cases the fuzzer leaves out unless enabled. */
  enum Case {
    /**
     * Integer fill and Tensors.full with values outside the dtype's range: today they wrap
     * (full(I8, 1000) gives -24); the fix saturates them as cast does, which the model expects.
     */
    SATURATING_INTEGER_FILL,
    /** Tensors.fromBuffer from buffers in the non-native byte order, which the fix honours. */
    FROM_BUFFER_BYTE_ORDER,
    /**
     * A communicator called from two threads at once, which the fix refuses with an
     * IllegalStateException on one of them.
     */
    CONCURRENT_COMMUNICATOR_USE,
    /**
     * Tensor.view and reshape given sizes whose product overflows a long (with a -1 to infer):
     * today an ArithmeticException from inside, which the fix turns into an
     * IllegalArgumentException naming the shape.
     */
    VIEW_SHAPE_OVERFLOW,
    /**
     * Tensor.cast(null) and to(null): today a NullPointerException from inside the allocation
     * ("because dtype is null"), where the argument, target, should be named.
     */
    NULL_CAST_TARGET,
    /**
     * Communicator.split after a send and receive that only some ranks made: LocalCommunicator
     * keys the new group by each rank's own call count, so the members land in different groups
     * and their first collective times out.
     */
    SPLIT_AFTER_UNEVEN_SENDS;

    /** The case named, as --enable takes it: the constant's name in any case, '-' for '_'. */
    static Case parse(String name) {
      String n = name.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_');
      for (Case c : values()) {
        if (c.name().equals(n)) {
          return c;
        }
      }
      throw new IllegalArgumentException("no fuzz case '" + name + "'; known: " + Arrays.toString(values()));
    }
  }

  FuzzOptions {
    if (calls < 0) {
      throw new IllegalArgumentException("calls must be >= 0, got " + calls);
    }
    enabled = Set.copyOf(enabled);
  }

  /** A run of the seed with no known-bug cases. */
  static FuzzOptions of(long seed, long calls) {
    return new FuzzOptions(seed, calls, false, EnumSet.noneOf(Case.class));
  }

  boolean on(Case c) {
    return enabled.contains(c);
  }
}
