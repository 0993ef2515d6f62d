package dev.shard4j.tensor;

/**
 * Hears about the allocations of one allocator. Called on the allocating or releasing thread,
 * after the accounting changed; implementations must be quick and thread-safe and must not
 * allocate from the same allocator.
 */
public interface AllocationListener {
  /**
   * Memory was taken from the allocator.
   *
   * @param allocator the allocator it was taken from
   * @param bytes the size
   */
  default void onAllocation(Allocator allocator, long bytes) {}

  /**
   * Memory was given back.
   *
   * @param allocator the allocator it went back to
   * @param bytes the size
   */
  default void onRelease(Allocator allocator, long bytes) {}

  /**
   * An allocation was refused because a limit would be exceeded.
   *
   * @param allocator the allocator that was asked
   * @param bytes the size asked for
   */
  default void onLimitExceeded(Allocator allocator, long bytes) {}
}
