package dev.shard4j.tensor;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An n-dimensional array in off-heap memory on the host or a CUDA device: a storage, a dtype, a
 * shape, element strides and an element offset. Views ({@link #narrow}, {@link #transpose}, ...)
 * share the storage, which is freed when the last tensor over it is closed.
 *
 * <p>Created by {@link Tensors}, by views, and by copies; the caller owns every tensor a method
 * returns and closes it ({@code close()} is idempotent). Any use after close throws
 * {@link IllegalStateException}. Every method checks its arguments before native code runs.
 * A tensor may be read from several threads; writes need the caller's ordering. Operations without
 * a {@link Stream} argument run on the device's default stream; methods that return data to Java
 * wait for it. Device memory is freed in order on the default stream when the last tensor over it
 * closes, so work queued on another stream must be ordered before that close (an {@link Event}).
 */
public final class Tensor implements AutoCloseable {
  private final Storage storage;
  private final DType dtype;
  private final Shape shape;
  private final long[] strides;
  private final long offset;
  private final AtomicBoolean closed = new AtomicBoolean();

  Tensor(Storage storage, DType dtype, Shape shape, long[] strides, long offset) {
    this.storage = storage;
    this.dtype = dtype;
    this.shape = shape;
    this.strides = strides;
    this.offset = offset;
    if (LeakTracking.enabled()) {
      LeakTracking.track(this, closed, describe());
    }
  }

  /** A new contiguous tensor from the allocator; its contents are undefined. */
  static Tensor allocate(Allocator allocator, DType dtype, Device device, Shape shape) {
    if (shape.numel() > Long.MAX_VALUE / dtype.byteSize()) {
      throw new IllegalArgumentException("shape " + shape + " of " + dtype + " needs more than 2^63 bytes");
    }
    long bytes = shape.numel() * dtype.byteSize();
    Storage storage = allocator.allocate(device, bytes, dtype, shape);
    return new Tensor(storage, dtype, shape, shape.contiguousStrides(), 0);
  }

  // ---- what it is -----------------------------------------------------------------------------

  /**
   * The element type.
   *
   * @return the dtype
   */
  public DType dtype() {
    return dtype;
  }

  /**
   * The sizes.
   *
   * @return the shape
   */
  public Shape shape() {
    return shape;
  }

  /**
   * Number of dimensions.
   *
   * @return the rank
   */
  public int rank() {
    return shape.rank();
  }

  /**
   * Number of elements.
   *
   * @return the element count
   */
  public long numel() {
    return shape.numel();
  }

  /**
   * Where the memory is.
   *
   * @return the device
   */
  public Device device() {
    return storage.device;
  }

  /**
   * The allocator that accounts for the memory.
   *
   * @return the allocator
   */
  public Allocator allocator() {
    return storage.allocator;
  }

  /**
   * Element strides per dimension.
   *
   * @return a copy
   */
  public long[] strides() {
    return strides.clone();
  }

  /**
   * Offset of element 0 from the storage's start, in elements.
   *
   * @return the offset
   */
  public long storageOffset() {
    return offset;
  }

  /**
   * Whether the elements lie in row-major order without gaps.
   *
   * @return true when contiguous
   */
  public boolean isContiguous() {
    if (numel() == 0) {
      return true;
    }
    long expected = 1;
    for (int d = shape.rank() - 1; d >= 0; d--) {
      long size = shape.dim(d);
      if (size != 1 && strides[d] != expected) {
        return false;
      }
      expected *= size;
    }
    return true;
  }

  /**
   * Whether {@link #close()} has been called.
   *
   * @return true once closed
   */
  public boolean isClosed() {
    return closed.get();
  }

  /**
   * Whether two tensors share a storage.
   *
   * @param other another tensor
   * @return true when both views see the same memory block
   */
  public boolean sharesStorageWith(Tensor other) {
    return storage == other.storage;
  }

  /**
   * The address of element 0, for native kernels of the layers above. Valid while this tensor is
   * open; on a CUDA device it is a device address.
   *
   * @return the address
   */
  public long dataAddress() {
    requireOpen();
    return storage.address + offset * dtype.byteSize();
  }

  // ---- views ----------------------------------------------------------------------------------

  /**
   * The elements [start, start + length) of one dimension, sharing storage.
   *
   * @param dim the dimension (negative counts from the end)
   * @param start first index
   * @param length number of indices
   * @return the view, owned by the caller
   */
  public Tensor narrow(int dim, long start, long length) {
    return slice(dim, start, start + length, 1);
  }

  /**
   * Every step-th index in [start, end) of one dimension, sharing storage.
   *
   * @param dim the dimension (negative counts from the end)
   * @param start first index, 0 .. size
   * @param end one past the last index, start .. size
   * @param step positive stride
   * @return the view, owned by the caller
   */
  public Tensor slice(int dim, long start, long end, long step) {
    requireOpen();
    int d = shape.normalizeDim(dim);
    long size = shape.dim(d);
    if (start < 0 || end < start || end > size) {
      throw new IllegalArgumentException("slice [" + start + ", " + end + ") out of range for dim "
          + dim + " of size " + size + " in " + describe());
    }
    if (step <= 0) {
      throw new IllegalArgumentException("slice step must be positive, got " + step);
    }
    long[] dims = shape.toArray();
    dims[d] = (end - start + step - 1) / step;
    long[] newStrides = strides.clone();
    newStrides[d] = strides[d] * step;
    return view(Shape.of(dims), newStrides, offset + (dims[d] == 0 ? 0 : start * strides[d]));
  }

  /**
   * The sub-tensor at one index of a dimension, which is removed.
   *
   * @param dim the dimension (negative counts from the end)
   * @param index 0 .. size - 1
   * @return the view, owned by the caller
   */
  public Tensor select(int dim, long index) {
    requireOpen();
    int d = shape.normalizeDim(dim);
    if (index < 0 || index >= shape.dim(d)) {
      throw new IllegalArgumentException("index " + index + " out of range for dim " + dim
          + " of size " + shape.dim(d) + " in " + describe());
    }
    long[] dims = remove(shape.toArray(), d);
    long[] newStrides = remove(strides, d);
    return view(Shape.of(dims), newStrides, offset + index * strides[d]);
  }

  /**
   * Two dimensions swapped, sharing storage.
   *
   * @param dim0 one dimension
   * @param dim1 the other
   * @return the view, owned by the caller
   */
  public Tensor transpose(int dim0, int dim1) {
    requireOpen();
    int a = shape.normalizeDim(dim0);
    int b = shape.normalizeDim(dim1);
    long[] dims = shape.toArray();
    long[] newStrides = strides.clone();
    swap(dims, a, b);
    swap(newStrides, a, b);
    return view(Shape.of(dims), newStrides, offset);
  }

  /**
   * The same elements with another shape, sharing storage; needs a contiguous tensor.
   *
   * @param newShape sizes with the same element count; one of them may be -1 (inferred)
   * @return the view, owned by the caller
   * @throws IllegalArgumentException if the counts differ or the tensor is not contiguous
   */
  public Tensor view(long... newShape) {
    requireOpen();
    Shape target = inferShape(newShape);
    if (!isContiguous()) {
      throw new IllegalArgumentException("view " + target + " of non-contiguous " + describe()
          + ": use reshape(), which copies");
    }
    return view(target, target.contiguousStrides(), offset);
  }

  /**
   * The same elements with another shape: a view when contiguous, else a contiguous copy.
   *
   * @param newShape sizes with the same element count; one of them may be -1
   * @return a new tensor, owned by the caller
   */
  public Tensor reshape(long... newShape) {
    requireOpen();
    if (isContiguous()) {
      return view(newShape);
    }
    try (Tensor c = contiguous()) {
      return c.view(newShape);
    }
  }

  /**
   * Splits a dimension into pieces of ceil(size / chunks) indices (the last may be smaller, and
   * there may be fewer than chunks pieces), as torch.chunk does.
   *
   * @param chunks the number of pieces wanted, 1 or more
   * @param dim the dimension
   * @return the views, each owned by the caller
   */
  public List<Tensor> chunk(int chunks, int dim) {
    requireOpen();
    if (chunks <= 0) {
      throw new IllegalArgumentException("chunks must be positive, got " + chunks);
    }
    int d = shape.normalizeDim(dim);
    long size = shape.dim(d);
    long step = Math.max(1, (size + chunks - 1) / chunks);
    List<Tensor> pieces = new ArrayList<>();
    for (long start = 0; start < size || (size == 0 && pieces.isEmpty()); start += step) {
      pieces.add(narrow(d, start, Math.min(step, size - start)));
    }
    return pieces;
  }

  /**
   * This tensor's elements in contiguous memory: a new reference to the same storage when already
   * contiguous, else a copy.
   *
   * @return a new tensor, owned by the caller
   */
  public Tensor contiguous() {
    requireOpen();
    if (isContiguous()) {
      return view(shape, strides, offset);
    }
    return copy();
  }

  // ---- copies ---------------------------------------------------------------------------------

  /**
   * Copies src into this tensor, converting the dtype and crossing devices as needed, on the
   * default stream(s); returns once the data has arrived.
   *
   * @param src a tensor of the same shape
   */
  public void copyFrom(Tensor src) {
    Copies.copy(this, src, null);
  }

  /**
   * Copies src into this tensor on a stream of the device they share, converting the dtype.
   *
   * @param src a tensor of the same shape on the same device
   * @param stream a stream of that device
   */
  public void copyFrom(Tensor src, Stream stream) {
    Copies.copy(this, src, stream);
  }

  /**
   * A contiguous copy with another dtype: fp32 to bf16/fp16 rounds to nearest even (NaN stays
   * NaN); float to integer truncates toward zero and saturates, NaN becoming 0; integer to
   * integer wraps.
   *
   * @param target the new dtype
   * @return a new tensor from the same allocator, owned by the caller
   */
  public Tensor cast(DType target) {
    requireOpen();
    return copyAs(Objects.requireNonNull(target, "target"), device());
  }

  /**
   * A contiguous copy on another device.
   *
   * @param target the device
   * @return a new tensor from the same allocator, owned by the caller
   */
  public Tensor to(Device target) {
    requireOpen();
    return copyAs(dtype, Objects.requireNonNull(target, "target"));
  }

  /**
   * A contiguous copy.
   *
   * @return a new tensor from the same allocator, owned by the caller
   */
  public Tensor copy() {
    return copyAs(dtype, device());
  }

  private Tensor copyAs(DType targetDtype, Device targetDevice) {
    requireOpen();
    return allocateCopy(allocator(), targetDtype, targetDevice, this);
  }

  /** A new contiguous tensor holding src converted to the dtype; nothing is left over on failure. */
  static Tensor allocateCopy(Allocator allocator, DType dtype, Device device, Tensor src) {
    Tensor out = allocate(allocator, dtype, device, src.shape);
    try {
      out.copyFrom(src);
    } catch (RuntimeException e) {
      out.close();
      throw e;
    }
    return out;
  }

  /**
   * Sets every element to a value converted to the dtype (integers: truncated toward zero and
   * saturated to the dtype's range, NaN as 0), as {@link #cast} converts.
   *
   * @param value the value
   * @return this tensor
   */
  public Tensor fill(double value) {
    return fill(value, dtype.isFloatingPoint() ? 0 : Copies.saturateToLong(value));
  }

  /**
   * Sets every element to an integer value: exact for integer dtypes within their range and
   * saturated to it outside (1000 fills an I8 tensor with 127), converted for floats.
   *
   * @param value the value
   * @return this tensor
   */
  public Tensor fill(long value) {
    return fill((double) value, value);
  }

  private Tensor fill(double floatValue, long intValue) {
    requireOpen();
    dev.shard4j.bindings.NativeApi.fill(device().nativeOrdinal(), 0, shape.toArray(), dataAddress(),
        dtype.nativeCode(), strides, floatValue, intValue);
    return this;
  }

  // ---- back to Java ---------------------------------------------------------------------------

  /**
   * The elements in row-major order, converted to float.
   *
   * @return a new array
   */
  public float[] toFloatArray() {
    return HostTransfer.toFloatArray(this);
  }

  /**
   * The elements in row-major order, converted to double.
   *
   * @return a new array
   */
  public double[] toDoubleArray() {
    return HostTransfer.toDoubleArray(this);
  }

  /**
   * The elements in row-major order, converted to int (floats truncated and saturated).
   *
   * @return a new array
   */
  public int[] toIntArray() {
    return HostTransfer.toIntArray(this);
  }

  /**
   * The elements in row-major order, converted to long (floats truncated and saturated).
   *
   * @return a new array
   */
  public long[] toLongArray() {
    return HostTransfer.toLongArray(this);
  }

  /**
   * The raw bits of an F16 or BF16 tensor in row-major order.
   *
   * @return a new array
   */
  public short[] toShortArray() {
    return HostTransfer.toShortArray(this);
  }

  /**
   * The raw bytes of an I8 or U8 tensor in row-major order.
   *
   * @return a new array
   */
  public byte[] toByteArray() {
    return HostTransfer.toByteArray(this);
  }

  /**
   * Writes the elements' raw bytes in row-major order into the buffer, in the buffer's byte order
   * ({@link ByteBuffer#order()}), advancing its position by numel * byteSize.
   *
   * @param buffer with at least that many bytes remaining
   */
  public void copyTo(ByteBuffer buffer) {
    HostTransfer.copyTo(this, buffer);
  }

  // ---- lifetime -------------------------------------------------------------------------------

  /** Drops this tensor's reference to the storage; idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      storage.release();
    }
  }

  void requireOpen() {
    if (closed.get()) {
      throw new IllegalStateException(describe() + " is closed");
    }
  }

  String describe() {
    return "tensor " + dtype + shape + " on " + storage.device;
  }

  @Override
  public String toString() {
    return "Tensor[" + dtype + ", " + shape + ", " + storage.device + (closed.get() ? ", closed" : "")
        + "]";
  }

  Storage storage() {
    return storage;
  }

  private Tensor view(Shape newShape, long[] newStrides, long newOffset) {
    storage.retain();
    return new Tensor(storage, dtype, newShape, newStrides, newOffset);
  }

  private Shape inferShape(long[] newShape) {
    int inferred = -1;
    long known = 1;
    for (int i = 0; i < newShape.length; i++) {
      if (newShape[i] == -1 && inferred < 0) {
        inferred = i;
      } else if (newShape[i] < 0) {
        throw new IllegalArgumentException("shape " + Arrays.toString(newShape) + ": dimension " + i
            + " is negative");
      } else {
        try {
          known = Math.multiplyExact(known, newShape[i]);
        } catch (ArithmeticException e) {
          throw new IllegalArgumentException("shape " + Arrays.toString(newShape) + " has more than 2^63 elements");
        }
      }
    }
    long[] dims = newShape.clone();
    if (inferred >= 0) {
      if (known == 0 || numel() % known != 0) {
        throw new IllegalArgumentException("shape " + Arrays.toString(newShape)
            + " cannot hold the " + numel() + " elements of " + describe());
      }
      dims[inferred] = numel() / known;
    }
    Shape target = Shape.of(dims);
    if (target.numel() != numel()) {
      throw new IllegalArgumentException("shape " + target + " has " + target.numel()
          + " elements, " + describe() + " has " + numel());
    }
    return target;
  }

  private static long[] remove(long[] a, int index) {
    long[] r = new long[a.length - 1];
    System.arraycopy(a, 0, r, 0, index);
    System.arraycopy(a, index + 1, r, index, a.length - index - 1);
    return r;
  }

  private static void swap(long[] a, int i, int j) {
    long t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}
