package dev.shard4j.tensor;

import dev.shard4j.bindings.HostMemory;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

/**
 * Factories of tensors. Each takes the allocator that accounts for the memory, the dtype, the
 * device and the shape, and returns a new contiguous tensor owned by the caller. Values given as
 * Java numbers are converted to the dtype by the same rules as {@link Tensor#cast}. Random
 * factories depend only on the seed, never on the dtype or device, so the same seed gives the
 * same values (up to rounding to the dtype) everywhere. Thread-safe.
 */
public final class Tensors {
  private Tensors() {}

  /**
   * A tensor whose contents are undefined.
   *
   * @param allocator accounts for the memory
   * @param dtype element type
   * @param device where the memory lives
   * @param shape sizes
   * @return the tensor
   */
  public static Tensor empty(Allocator allocator, DType dtype, Device device, long... shape) {
    Objects.requireNonNull(allocator, "allocator");
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(device, "device");
    return Tensor.allocate(allocator, dtype, device, Shape.of(shape));
  }

  /**
   * A tensor of zeros.
   *
   * @param allocator accounts for the memory
   * @param dtype element type
   * @param device where the memory lives
   * @param shape sizes
   * @return the tensor
   */
  public static Tensor zeros(Allocator allocator, DType dtype, Device device, long... shape) {
    return full(allocator, dtype, device, 0.0, shape);
  }

  /**
   * A tensor with every element set to a value.
   *
   * @param allocator accounts for the memory
   * @param dtype element type
   * @param device where the memory lives
   * @param value converted to the dtype
   * @param shape sizes
   * @return the tensor
   */
  public static Tensor full(Allocator allocator, DType dtype, Device device, double value, long... shape) {
    Tensor t = empty(allocator, dtype, device, shape);
    try {
      return t.fill(value);
    } catch (RuntimeException e) {
      t.close();
      throw e;
    }
  }

  /**
   * The one-dimensional tensor 0, 1, ..., n - 1.
   *
   * @param allocator accounts for the memory
   * @param dtype element type
   * @param device where the memory lives
   * @param n number of elements
   * @return the tensor
   */
  public static Tensor arange(Allocator allocator, DType dtype, Device device, long n) {
    if (n < 0 || n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("arange: n must be in [0, 2^31 - 9], got " + n);
    }
    long[] values = new long[(int) n];
    for (int i = 0; i < values.length; i++) {
      values[i] = i;
    }
    return fromArray(allocator, values, dtype, device, n);
  }

  /**
   * Values drawn uniformly from [low, high) by a generator seeded with seed.
   *
   * @param allocator accounts for the memory
   * @param dtype element type
   * @param device where the memory lives
   * @param seed the seed
   * @param low lower bound
   * @param high upper bound, greater than low
   * @param shape sizes
   * @return the tensor
   */
  public static Tensor uniform(Allocator allocator, DType dtype, Device device, long seed, double low,
      double high, long... shape) {
    if (!(high > low) || !Double.isFinite(high - low)) {
      throw new IllegalArgumentException("uniform: need finite low < high, got [" + low + ", " + high + ")");
    }
    SplittableRandom random = new SplittableRandom(seed);
    return generated(allocator, dtype, device, () -> random.nextDouble(low, high), shape);
  }

  /**
   * Values drawn from a normal distribution by a generator seeded with seed.
   *
   * @param allocator accounts for the memory
   * @param dtype element type
   * @param device where the memory lives
   * @param seed the seed
   * @param mean the mean
   * @param std the standard deviation, 0 or more
   * @param shape sizes
   * @return the tensor
   */
  public static Tensor normal(Allocator allocator, DType dtype, Device device, long seed, double mean,
      double std, long... shape) {
    if (!(std >= 0) || !Double.isFinite(std) || !Double.isFinite(mean)) {
      throw new IllegalArgumentException("normal: need finite mean and std >= 0, got " + mean + ", " + std);
    }
    SplittableRandom random = new SplittableRandom(seed);
    return generated(allocator, dtype, device, () -> mean + std * random.nextGaussian(), shape);
  }

  private static Tensor generated(Allocator allocator, DType dtype, Device device, DoubleSupplier next,
      long... shape) {
    long n = Shape.of(shape).numel();
    if (n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("random tensors are limited to 2^31 - 9 elements, got " + n);
    }
    double[] values = new double[(int) n];
    for (int i = 0; i < values.length; i++) {
      values[i] = next.getAsDouble();
    }
    return fromArray(allocator, values, dtype, device, shape);
  }

  /**
   * A tensor holding float values (row-major), converted to the dtype.
   *
   * @param allocator accounts for the memory
   * @param values numel values
   * @param dtype element type
   * @param device where the memory lives
   * @param shape sizes
   * @return the tensor
   */
  public static Tensor fromArray(Allocator allocator, float[] values, DType dtype, Device device, long... shape) {
    Objects.requireNonNull(values, "values");
    return HostTransfer.fromHost(allocator, DType.F32, values.length,
        a -> HostMemory.put(a, values, 0, values.length), dtype, device, shape);
  }

  /**
   * A tensor holding double values (row-major), converted to the dtype.
   *
   * @param allocator accounts for the memory
   * @param values numel values
   * @param dtype element type
   * @param device where the memory lives
   * @param shape sizes
   * @return the tensor
   */
  public static Tensor fromArray(Allocator allocator, double[] values, DType dtype, Device device, long... shape) {
    Objects.requireNonNull(values, "values");
    return HostTransfer.fromHost(allocator, DType.F64, values.length,
        a -> HostMemory.put(a, values, 0, values.length), dtype, device, shape);
  }

  /**
   * A tensor holding int values (row-major), converted to the dtype.
   *
   * @param allocator accounts for the memory
   * @param values numel values
   * @param dtype element type
   * @param device where the memory lives
   * @param shape sizes
   * @return the tensor
   */
  public static Tensor fromArray(Allocator allocator, int[] values, DType dtype, Device device, long... shape) {
    Objects.requireNonNull(values, "values");
    return HostTransfer.fromHost(allocator, DType.I32, values.length,
        a -> HostMemory.put(a, values, 0, values.length), dtype, device, shape);
  }

  /**
   * A tensor holding long values (row-major), converted to the dtype.
   *
   * @param allocator accounts for the memory
   * @param values numel values
   * @param dtype element type
   * @param device where the memory lives
   * @param shape sizes
   * @return the tensor
   */
  public static Tensor fromArray(Allocator allocator, long[] values, DType dtype, Device device, long... shape) {
    Objects.requireNonNull(values, "values");
    return HostTransfer.fromHost(allocator, DType.I64, values.length,
        a -> HostMemory.put(a, values, 0, values.length), dtype, device, shape);
  }

  /**
   * An F16 or BF16 tensor from raw bits (row-major).
   *
   * @param allocator accounts for the memory
   * @param bits numel bit patterns
   * @param dtype F16 or BF16
   * @param device where the memory lives
   * @param shape sizes
   * @return the tensor
   */
  public static Tensor fromBits(Allocator allocator, short[] bits, DType dtype, Device device, long... shape) {
    Objects.requireNonNull(bits, "bits");
    Objects.requireNonNull(dtype, "dtype");
    HostTransfer.requireRaw(dtype, DType.F16, DType.BF16, "bit arrays");
    return HostTransfer.fromHost(allocator, dtype, bits.length,
        a -> HostMemory.put(a, bits, 0, bits.length), dtype, device, shape);
  }

  /**
   * An I8 or U8 tensor from raw bytes (row-major).
   *
   * @param allocator accounts for the memory
   * @param bytes numel values
   * @param dtype I8 or U8
   * @param device where the memory lives
   * @param shape sizes
   * @return the tensor
   */
  public static Tensor fromBytes(Allocator allocator, byte[] bytes, DType dtype, Device device, long... shape) {
    Objects.requireNonNull(bytes, "bytes");
    Objects.requireNonNull(dtype, "dtype");
    HostTransfer.requireRaw(dtype, DType.I8, DType.U8, "byte arrays");
    return HostTransfer.fromHost(allocator, dtype, bytes.length,
        a -> HostMemory.put(a, bytes, 0, bytes.length), dtype, device, shape);
  }

  /**
   * A tensor from the raw elements in a buffer's remaining bytes, read in the buffer's byte order
   * ({@link ByteBuffer#order()}: a heap buffer is big-endian unless set otherwise), which must be
   * exactly numel * dtype size; the buffer's position advances past them.
   *
   * @param allocator accounts for the memory
   * @param buffer the elements, direct or heap
   * @param dtype element type
   * @param device where the memory lives
   * @param shape sizes
   * @return the tensor
   */
  public static Tensor fromBuffer(Allocator allocator, ByteBuffer buffer, DType dtype, Device device,
      long... shape) {
    Objects.requireNonNull(buffer, "buffer");
    Objects.requireNonNull(dtype, "dtype");
    int size = dtype.byteSize();
    if (buffer.remaining() % size != 0) {
      throw new IllegalArgumentException("buffer has " + buffer.remaining()
          + " bytes remaining, not a multiple of " + dtype + "'s " + size);
    }
    return HostTransfer.fromHost(allocator, dtype, buffer.remaining() / size,
        a -> HostMemory.put(a, buffer, size), dtype, device, shape);
  }
}
