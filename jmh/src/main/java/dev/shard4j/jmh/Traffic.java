package dev.shard4j.jmh;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Secondary results of the bandwidth benchmarks: JMH reports each field as a rate per second next
 * to the primary score, so {@code bytes} reads as bytes per second and {@code operations} as
 * operations per second.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Traffic {
  /** Bytes moved (kernels: each input read once and each output written once). */
  public long bytes;
  /** Kernel runs or collective calls completed. */
  public long operations;

  /** Starts each iteration from zero. */
  @Setup(org.openjdk.jmh.annotations.Level.Iteration)
  public void reset() {
    bytes = 0;
    operations = 0;
  }

  void add(long count, long bytesEach) {
    operations += count;
    bytes += count * bytesEach;
  }
}
