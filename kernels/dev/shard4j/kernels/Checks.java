package dev.shard4j.kernels;

import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/** Argument checks shared by the kernel entry points; each message names the argument. */
final class Checks {
  static final Set<DType> FLOATS = EnumSet.of(DType.F32, DType.F64, DType.F16, DType.BF16);

  private Checks() {}

  static Tensor open(Tensor t, String name) {
    Objects.requireNonNull(t, name);
    if (t.isClosed()) {
      throw new IllegalStateException(name + " is closed");
    }
    return t;
  }

  static void contiguous(Tensor t, String name) {
    open(t, name);
    if (!t.isContiguous()) {
      throw new IllegalArgumentException(name + " must be contiguous: " + t);
    }
  }

  static void dtype(Tensor t, String name, Set<DType> allowed) {
    if (!allowed.contains(t.dtype())) {
      throw new IllegalArgumentException(name + " has dtype " + t.dtype() + ", expected one of " + allowed);
    }
  }

  static void sameDevice(Tensor t, Device device, String name) {
    if (!t.device().equals(device)) {
      throw new IllegalArgumentException(name + " is on " + t.device() + ", expected " + device);
    }
  }

  static void numel(Tensor t, long expected, String name) {
    if (t.numel() != expected) {
      throw new IllegalArgumentException(name + " has " + t.numel() + " elements, expected " + expected);
    }
  }

  /** The native handle of a stream on the device, or the default stream's (0) when null. */
  static long stream(Stream stream, Device device) {
    if (stream == null) {
      return 0;
    }
    if (!stream.device().equals(device)) {
      throw new IllegalArgumentException("stream is on " + stream.device() + ", the tensors on " + device);
    }
    return stream.nativeHandle();
  }

  /** Element byte range [start, end) of a contiguous tensor, for overlap tests. */
  static long[] span(Tensor t) {
    long start = t.dataAddress();
    return new long[] {start, start + t.numel() * t.dtype().byteSize()};
  }

  static boolean overlap(long[] a, long[] b) {
    return a[0] < b[1] && b[0] < a[1];
  }
}
