package dev.shard4j.bindings;

/** A CUDA runtime call failed; the message names the call and CUDA's error. */
public class CudaException extends Shard4jException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what failed, with CUDA's error name and code
   */
  public CudaException(String message) {
    super(message);
  }
}
