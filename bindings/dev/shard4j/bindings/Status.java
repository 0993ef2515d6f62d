package dev.shard4j.bindings;

/** The one place where native status codes become exceptions. */
final class Status {
  private Status() {}

  /**
   * Returns normally on S4J_OK; otherwise throws the exception that fits the status.
   *
   * @param status the native status
   * @param operation what was being done, for the message
   */
  static void check(int status, String operation) {
    if (status == Shard4jNative.S4J_OK) {
      return;
    }
    throw exception(status, operation);
  }

  /**
   * Turns a query's status into "done" (true) or "pending" (false), throwing on failures.
   *
   * @param status the native status of a stream or event query
   * @param operation what was queried
   * @return whether the work is done
   */
  static boolean checkQuery(int status, String operation) {
    if (status == Shard4jNative.S4J_NOT_READY) {
      return false;
    }
    check(status, operation);
    return true;
  }

  private static RuntimeException exception(int status, String operation) {
    String message = operation + ": " + Shard4jNative.s4j_last_error();
    switch (status) {
      case Shard4jNative.S4J_ERR_INVALID_ARGUMENT:
        return new IllegalArgumentException(message);
      case Shard4jNative.S4J_ERR_OUT_OF_MEMORY:
        return new OutOfMemoryException(message);
      case Shard4jNative.S4J_ERR_CUDA:
        return new CudaException(message);
      case Shard4jNative.S4J_ERR_NO_CUDA:
        return new CudaUnavailableException(message);
      default:
        return new Shard4jException(message + " (status " + status + ")");
    }
  }
}
