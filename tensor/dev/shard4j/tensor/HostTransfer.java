package dev.shard4j.tensor;

import dev.shard4j.bindings.HostMemory;
import java.nio.ByteBuffer;
import java.util.Objects;

/** Moves elements between Java arrays or buffers and tensors, through contiguous host tensors. */
final class HostTransfer {
  private HostTransfer() {}

  /** Copy-in: the values land in a host tensor of their own type, then one cast copy. */
  interface Writer {
    void write(long address);
  }

  static Tensor fromHost(Allocator allocator, DType sourceType, int length, Writer writer,
      DType dtype, Device device, long[] shape) {
    Objects.requireNonNull(allocator, "allocator");
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(device, "device");
    Shape s = Shape.of(shape);
    if (s.numel() != length) {
      throw new IllegalArgumentException("shape " + s + " needs " + s.numel() + " values, got " + length);
    }
    Tensor staged = Tensor.allocate(allocator, sourceType, Device.CPU, s);
    try {
      writer.write(staged.dataAddress());
      if (dtype == sourceType && device.equals(Device.CPU)) {
        Tensor result = staged;
        staged = null;
        return result;
      }
      return Tensor.allocateCopy(allocator, dtype, device, staged);
    } finally {
      if (staged != null) {
        staged.close();
      }
    }
  }

  static void requireRaw(DType dtype, DType a, DType b, String what) {
    if (dtype != a && dtype != b) {
      throw new IllegalArgumentException(what + " hold " + a + " or " + b + " elements, not " + dtype);
    }
  }

  static float[] toFloatArray(Tensor t) {
    float[] out = new float[length(t)];
    try (Tensor h = onHost(t, DType.F32)) {
      HostMemory.get(h.dataAddress(), out, 0, out.length);
    }
    return out;
  }

  static double[] toDoubleArray(Tensor t) {
    double[] out = new double[length(t)];
    try (Tensor h = onHost(t, DType.F64)) {
      HostMemory.get(h.dataAddress(), out, 0, out.length);
    }
    return out;
  }

  static int[] toIntArray(Tensor t) {
    int[] out = new int[length(t)];
    try (Tensor h = onHost(t, DType.I32)) {
      HostMemory.get(h.dataAddress(), out, 0, out.length);
    }
    return out;
  }

  static long[] toLongArray(Tensor t) {
    long[] out = new long[length(t)];
    try (Tensor h = onHost(t, DType.I64)) {
      HostMemory.get(h.dataAddress(), out, 0, out.length);
    }
    return out;
  }

  static short[] toShortArray(Tensor t) {
    requireRaw(t.dtype(), DType.F16, DType.BF16, "short arrays");
    short[] out = new short[length(t)];
    try (Tensor h = onHost(t, t.dtype())) {
      HostMemory.get(h.dataAddress(), out, 0, out.length);
    }
    return out;
  }

  static byte[] toByteArray(Tensor t) {
    requireRaw(t.dtype(), DType.I8, DType.U8, "byte arrays");
    byte[] out = new byte[length(t)];
    try (Tensor h = onHost(t, t.dtype())) {
      HostMemory.get(h.dataAddress(), out, 0, out.length);
    }
    return out;
  }

  static void copyTo(Tensor t, ByteBuffer buffer) {
    Objects.requireNonNull(buffer, "buffer");
    t.requireOpen();
    long bytes = t.numel() * t.dtype().byteSize();
    if (buffer.remaining() < bytes) {
      throw new IllegalArgumentException("buffer has " + buffer.remaining() + " bytes remaining, "
          + t.describe() + " needs " + bytes);
    }
    if (bytes == 0) {
      return; // nothing to write, and a view of no bytes is not empty in HostMemory
    }
    try (Tensor h = onHost(t, t.dtype())) {
      ByteBuffer slice = buffer.duplicate().order(buffer.order()); // duplicate() alone is big-endian
      slice.limit(slice.position() + (int) bytes);
      HostMemory.get(h.dataAddress(), slice, t.dtype().byteSize());
      buffer.position(buffer.position() + (int) bytes);
    }
  }

  private static int length(Tensor t) {
    t.requireOpen();
    if (t.numel() > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(t.describe() + " has too many elements for a Java array");
    }
    return (int) t.numel();
  }

  /** The tensor's elements as a contiguous host tensor of the dtype: a view when it already is. */
  private static Tensor onHost(Tensor t, DType dtype) {
    if (t.device().equals(Device.CPU) && t.dtype() == dtype && t.isContiguous()) {
      return t.contiguous();
    }
    return Tensor.allocateCopy(t.allocator(), dtype, Device.CPU, t);
  }
}
