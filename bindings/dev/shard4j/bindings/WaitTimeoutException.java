package dev.shard4j.bindings;

/** A blocking wait (stream, event, collective, rendezvous) ran past its timeout. */
public class WaitTimeoutException extends Shard4jException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what was waited for, and for how long
   */
  public WaitTimeoutException(String message) {
    super(message);
  }
}
