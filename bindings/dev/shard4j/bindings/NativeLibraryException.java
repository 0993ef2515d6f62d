package dev.shard4j.bindings;

/** libshard4j or its JNI glue could not be loaded; the message says why and what was tried. */
public class NativeLibraryException extends Shard4jException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message why loading failed
   * @param cause the loader's error
   */
  public NativeLibraryException(String message, Throwable cause) {
    super(message, cause);
  }
}
