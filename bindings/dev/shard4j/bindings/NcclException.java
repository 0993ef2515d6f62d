package dev.shard4j.bindings;

/** An NCCL call failed; the message names the call and NCCL's error. */
public class NcclException extends Shard4jException {
  private static final long serialVersionUID = 1L;

  /** The ncclResult_t code. */
  private final int result;

  /**
   * Creates the exception.
   *
   * @param message the call and NCCL's description
   * @param result the ncclResult_t code
   */
  public NcclException(String message, int result) {
    super(message);
    this.result = result;
  }

  /**
   * NCCL's result code.
   *
   * @return the ncclResult_t value
   */
  public int result() {
    return result;
  }
}
