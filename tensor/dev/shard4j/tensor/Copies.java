package dev.shard4j.tensor;

import dev.shard4j.bindings.NativeApi;
import java.util.Objects;

/** Copies between tensors: one strided kernel on a shared device, staged copies across devices. */
final class Copies {
  private Copies() {}

  static void copy(Tensor dst, Tensor src, Stream stream) {
    Objects.requireNonNull(src, "src");
    dst.requireOpen();
    src.requireOpen();
    if (!dst.shape().equals(src.shape())) {
      throw new IllegalArgumentException("copyFrom: src " + src.describe() + " and dst "
          + dst.describe() + " differ in shape");
    }
    if (stream != null && (!stream.device().equals(dst.device()) || !stream.device().equals(src.device()))) {
      throw new IllegalArgumentException("copyFrom: " + stream + " is not the device of src ("
          + src.device() + ") and dst (" + dst.device() + ")");
    }
    if (dst.numel() == 0 || sameElements(dst, src)) {
      return;
    }
    if (overlap(dst, src)) {
      throw new IllegalArgumentException("copyFrom: src " + src.describe() + " and dst "
          + dst.describe() + " overlap in memory");
    }
    if (dst.device().equals(src.device())) {
      long handle = stream == null ? 0 : stream.nativeHandle();
      NativeApi.copyStrided(dst.device().nativeOrdinal(), handle, dst.shape().toArray(),
          dst.dataAddress(), dst.dtype().nativeCode(), dst.strides(), src.dataAddress(),
          src.dtype().nativeCode(), src.strides());
    } else {
      copyAcrossDevices(dst, src);
    }
  }

  /**
   * Converts and packs on the source's device, moves the bytes with one memcpy, and scatters on the
   * destination's device only when it is strided. Waits for the copy, so temporaries can go.
   */
  private static void copyAcrossDevices(Tensor dst, Tensor src) {
    Tensor packed = src.isContiguous() && src.dtype() == dst.dtype() ? src.contiguous()
        : Tensor.allocateCopy(src.allocator(), dst.dtype(), src.device(), src);
    Tensor landing = null;
    try {
      landing = dst.isContiguous() ? null
          : Tensor.allocate(dst.allocator(), dst.dtype(), dst.device(), dst.shape());
      Tensor target = landing == null ? dst : landing;
      long bytes = dst.numel() * dst.dtype().byteSize();
      NativeApi.memcpy(target.dataAddress(), dst.device().nativeOrdinal(), packed.dataAddress(),
          src.device().nativeOrdinal(), bytes, 0);
      if (landing != null) {
        dst.copyFrom(landing);
      }
      synchronize(dst.device());
      synchronize(src.device());
    } finally {
      packed.close();
      if (landing != null) {
        landing.close();
      }
    }
  }

  private static void synchronize(Device device) {
    if (device.isCuda()) {
      Stream.defaultStream(device).synchronize();
    }
  }

  private static boolean sameElements(Tensor a, Tensor b) {
    return a.sharesStorageWith(b) && a.dtype() == b.dtype() && a.storageOffset() == b.storageOffset()
        && java.util.Arrays.equals(a.strides(), b.strides());
  }

  /** Whether the byte spans of two views of one storage intersect (a conservative test). */
  private static boolean overlap(Tensor a, Tensor b) {
    if (!a.sharesStorageWith(b)) {
      return false;
    }
    long[] spanA = span(a);
    long[] spanB = span(b);
    return spanA[0] < spanB[1] && spanB[0] < spanA[1];
  }

  private static long[] span(Tensor t) {
    long last = 0;
    long[] strides = t.strides();
    for (int d = 0; d < t.rank(); d++) {
      last += (t.shape().dim(d) - 1) * strides[d];
    }
    long start = t.storageOffset() * t.dtype().byteSize();
    return new long[] {start, start + (last + 1) * t.dtype().byteSize()};
  }

  /** Truncates toward zero and saturates, NaN to 0: the native float-to-integer rule. */
  static long saturateToLong(double value) {
    if (Double.isNaN(value)) {
      return 0;
    }
    return (long) value; // Java's cast already saturates at the long range
  }
}
