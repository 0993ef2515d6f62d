package dev.shard4j.bindings;

/** CUDA was asked for but cannot be used here: not built in, no driver, or no such device. */
public class CudaUnavailableException extends Shard4jException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message why CUDA cannot be used
   */
  public CudaUnavailableException(String message) {
    super(message);
  }
}
