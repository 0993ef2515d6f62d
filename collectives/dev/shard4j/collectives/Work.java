package dev.shard4j.collectives;

import dev.shard4j.bindings.WaitTimeoutException;
import java.time.Duration;
import java.util.Optional;

/**
 * The handle of an operation started by an async collective call. Thread-safe.
 */
public interface Work {
  /**
   * Waits for the operation, at most SHARD4J_TIMEOUT.
   *
   * @throws CollectiveException if the operation failed
   * @throws WaitTimeoutException if it did not finish in time
   */
  void await();

  /**
   * Waits for the operation.
   *
   * @param timeout the longest wait
   * @throws CollectiveException if the operation failed
   * @throws WaitTimeoutException if it did not finish in time
   */
  void await(Duration timeout);

  /**
   * Whether the operation has finished, successfully or not; never blocks.
   *
   * @return true when finished
   */
  boolean isDone();

  /**
   * Why the operation failed.
   *
   * @return the failure, empty while running or after success
   */
  Optional<Throwable> error();
}
