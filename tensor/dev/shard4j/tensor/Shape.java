package dev.shard4j.tensor;

import java.util.Arrays;

/** The sizes of a tensor's dimensions; immutable. At most {@link #MAX_RANK} dimensions. */
public final class Shape {
  /** Most dimensions a tensor may have (the native strided kernels' limit). */
  public static final int MAX_RANK = 8;

  private final long[] dims;
  private final long numel;

  private Shape(long[] dims) {
    if (dims.length > MAX_RANK) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(dims) + " has " + dims.length + " dimensions, at most " + MAX_RANK);
    }
    long n = 1;
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < 0) {
        throw new IllegalArgumentException(
            "shape " + Arrays.toString(dims) + ": dimension " + i + " is negative");
      }
      try {
        n = Math.multiplyExact(n, dims[i]);
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException("shape " + Arrays.toString(dims) + " has more than 2^63 elements");
      }
    }
    this.dims = dims;
    this.numel = n;
  }

  /**
   * A shape from its sizes; no sizes make a scalar (one element).
   *
   * @param dims sizes, each 0 or more
   * @return the shape
   * @throws IllegalArgumentException for a negative size or more than 8 dimensions
   */
  public static Shape of(long... dims) {
    return new Shape(dims.clone());
  }

  /**
   * Number of dimensions.
   *
   * @return the rank
   */
  public int rank() {
    return dims.length;
  }

  /**
   * Size of one dimension.
   *
   * @param dim index, negative counts from the end
   * @return the size
   */
  public long dim(int dim) {
    return dims[normalizeDim(dim)];
  }

  /**
   * Number of elements.
   *
   * @return the product of the sizes
   */
  public long numel() {
    return numel;
  }

  /**
   * The sizes.
   *
   * @return a copy
   */
  public long[] toArray() {
    return dims.clone();
  }

  /**
   * Row-major (C order) element strides for this shape.
   *
   * @return the strides
   */
  public long[] contiguousStrides() {
    long[] strides = new long[dims.length];
    long s = 1;
    for (int i = dims.length - 1; i >= 0; i--) {
      strides[i] = s;
      s *= Math.max(dims[i], 1);
    }
    return strides;
  }

  /**
   * Turns a possibly negative dimension index into one in [0, rank).
   *
   * @param dim the index
   * @return the index in range
   * @throws IllegalArgumentException when out of range
   */
  public int normalizeDim(int dim) {
    int d = dim < 0 ? dim + dims.length : dim;
    if (d < 0 || d >= dims.length) {
      throw new IllegalArgumentException(
          "dim " + dim + " out of range for shape " + this + " of rank " + dims.length);
    }
    return d;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shape && Arrays.equals(((Shape) o).dims, dims);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(dims);
  }

  @Override
  public String toString() {
    return Arrays.toString(dims);
  }
}
