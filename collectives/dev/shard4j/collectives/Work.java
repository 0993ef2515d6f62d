package dev.shard4j.collectives;

import dev.shard4j.bindings.Setting;
import dev.shard4j.bindings.WaitTimeoutException;
import dev.shard4j.tensor.Stream;
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
  default void await() {
    await(Setting.TIMEOUT.asSeconds());
  }

  /**
   * Waits for the operation.
   *
   * @param timeout the longest wait
   * @throws CollectiveException if the operation failed
   * @throws WaitTimeoutException if it did not finish in time
   */
  void await(Duration timeout);

  /**
   * Orders the later work of a stream after the operation, as PyTorch's Work.wait() does for
   * NCCL: on a GPU the stream waits for the operation's event on the device and the caller goes
   * on at once (a failure then shows in a later {@link #await()} or call on the communicator).
   * Elsewhere, where work runs on the caller's thread, this is {@link #await()}.
   *
   * @param stream the stream whose later work needs the operation's result
   * @throws CollectiveException if the operation has already failed
   */
  default void awaitOn(Stream stream) {
    await();
  }

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
