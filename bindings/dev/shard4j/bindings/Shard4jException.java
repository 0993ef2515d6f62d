package dev.shard4j.bindings;

/** Base of the exceptions that shard4j raises for failures of native code or devices. */
public class Shard4jException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what failed and why
   */
  public Shard4jException(String message) {
    super(message);
  }

  /**
   * Creates the exception with its cause.
   *
   * @param message what failed and why
   * @param cause the underlying failure
   */
  public Shard4jException(String message, Throwable cause) {
    super(message, cause);
  }
}
