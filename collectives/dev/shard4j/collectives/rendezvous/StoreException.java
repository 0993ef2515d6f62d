package dev.shard4j.collectives.rendezvous;

import dev.shard4j.bindings.Shard4jException;

/** A key-value store call failed: the server is gone, unreachable, or answered with an error. */
public class StoreException extends Shard4jException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message the call, the server and what went wrong
   * @param cause the underlying failure, or null
   */
  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
