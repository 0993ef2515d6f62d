package dev.shard4j.bindings;

import org.bytedeco.javacpp.Loader;

/**
 * Loads libshard4j and its JNI glue once per JVM and remembers the outcome, so that a missing
 * library is a clear exception at every call instead of an {@link UnsatisfiedLinkError} once and
 * {@link NoClassDefFoundError} after. Thread-safe.
 */
public final class NativeLibrary {
  private static volatile boolean loaded;
  private static volatile Throwable failure;

  private NativeLibrary() {}

  /**
   * Loads the library if needed.
   *
   * @throws NativeLibraryException if it cannot be loaded (now or at an earlier try)
   */
  public static void ensureLoaded() {
    if (loaded) {
      return;
    }
    load();
  }

  /**
   * Whether the library is usable, loading it if needed; never throws.
   *
   * @return true when loaded
   */
  public static boolean isLoaded() {
    try {
      ensureLoaded();
      return true;
    } catch (NativeLibraryException e) {
      return false;
    }
  }

  /**
   * Why loading failed.
   *
   * @return the loader's message, or null when loaded or not yet tried
   */
  public static String failureReason() {
    Throwable f = failure;
    return f == null ? null : describe(f);
  }

  private static synchronized void load() {
    if (loaded) {
      return;
    }
    if (failure == null) {
      try {
        Loader.load(Shard4jNative.class);
        int abi = Shard4jNative.s4j_abi_version();
        if (abi != Shard4jNative.S4J_ABI_VERSION) {
          throw new UnsatisfiedLinkError("libshard4j has ABI version " + abi + ", this jar needs "
              + Shard4jNative.S4J_ABI_VERSION + ": the library is from another build");
        }
        loaded = true;
        return;
      } catch (Throwable t) {
        failure = t;
      }
    }
    throw new NativeLibraryException(
        "libshard4j could not be loaded for platform " + Loader.getPlatform() + ": "
            + describe(failure) + " (build it with `mvn package`)", failure);
  }

  private static String describe(Throwable t) {
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }
}
