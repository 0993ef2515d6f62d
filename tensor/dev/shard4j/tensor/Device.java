package dev.shard4j.tensor;

import dev.shard4j.bindings.Cuda;
import dev.shard4j.bindings.NativeApi;
import java.util.Objects;

/** Where a tensor's memory lives: the host ({@link #CPU}) or one CUDA device. Immutable. */
public final class Device {
  /** Host memory. */
  public static final Device CPU = new Device(-1);

  private final int index;

  private Device(int index) {
    this.index = index;
  }

  /**
   * A CUDA device. Whether it exists is checked when memory is first placed on it.
   *
   * @param index CUDA ordinal, 0 or more
   * @return the device
   * @throws IllegalArgumentException if index is negative
   */
  public static Device cuda(int index) {
    if (index < 0) {
      throw new IllegalArgumentException("cuda device index must be >= 0, got " + index);
    }
    return new Device(index);
  }

  /**
   * Parses "cpu", "cuda" (device 0) or "cuda:N".
   *
   * @param text the device name
   * @return the device
   * @throws IllegalArgumentException if the text names no device
   */
  public static Device parse(String text) {
    String t = text.trim().toLowerCase(java.util.Locale.ROOT);
    if (t.equals("cpu")) {
      return CPU;
    }
    if (t.equals("cuda")) {
      return cuda(0);
    }
    if (t.startsWith("cuda:")) {
      try {
        return cuda(Integer.parseInt(t.substring(5)));
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    throw new IllegalArgumentException("device '" + text + "' is not cpu, cuda or cuda:N");
  }

  /**
   * Whether this is a CUDA device.
   *
   * @return true for cuda:N
   */
  public boolean isCuda() {
    return index >= 0;
  }

  /**
   * The CUDA ordinal.
   *
   * @return N of cuda:N
   * @throws IllegalStateException on the CPU
   */
  public int index() {
    if (!isCuda()) {
      throw new IllegalStateException("the CPU has no CUDA index");
    }
    return index;
  }

  /**
   * The device number that the native library takes: -1 for the host, else the CUDA ordinal.
   *
   * @return the native device number
   */
  public int nativeOrdinal() {
    return isCuda() ? index : NativeApi.HOST;
  }

  /**
   * Returns the idle memory of this device's stream-ordered pool to the driver, after waiting for
   * the work queued on the device, as PyTorch's {@code empty_cache} does. Freed device memory
   * otherwise stays in the pool for the next allocation. Nothing to do on the CPU, whose idle
   * blocks belong to a caching allocator ({@link Allocator#emptyCache()}).
   *
   * @throws dev.shard4j.bindings.CudaUnavailableException when the CUDA device is not here
   */
  public void emptyCache() {
    if (isCuda()) {
      Cuda.requireDevice(index);
      NativeApi.deviceEmptyCache(index);
    }
  }

  /** Throws unless memory can be placed on this device here. */
  void requireAvailable() {
    if (isCuda()) {
      Cuda.requireDevice(index);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Device && ((Device) o).index == index;
  }

  @Override
  public int hashCode() {
    return Objects.hashCode(index);
  }

  @Override
  public String toString() {
    return isCuda() ? "cuda:" + index : "cpu";
  }
}
