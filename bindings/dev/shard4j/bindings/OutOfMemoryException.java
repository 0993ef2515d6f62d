package dev.shard4j.bindings;

/**
 * An allocation could not be satisfied: an allocator's limit would be exceeded, or the host or
 * device has no memory left. The message names the allocator or device and the sizes involved.
 */
public class OutOfMemoryException extends Shard4jException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what was asked for and what was available
   */
  public OutOfMemoryException(String message) {
    super(message);
  }
}
