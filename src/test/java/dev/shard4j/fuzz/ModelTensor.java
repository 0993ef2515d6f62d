package dev.shard4j.fuzz;

import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Tensor;
import java.util.Arrays;

/**
 * The model of one tensor: a strided view (shape, element strides, element offset) over a
 * {@link ModelStorage}, beside the real tensor it describes. The model computes its own layout for
 * every view, and {@link #compareLayout} checks the real tensor against it.
 */
final class ModelTensor {
  final int id;
  final Tensor real;
  final ModelStorage storage;
  final long[] shape;
  final long[] strides;
  final long offset;
  boolean closed;

  ModelTensor(int id, Tensor real, ModelStorage storage, long[] shape, long[] strides, long offset) {
    this.id = id;
    this.real = real;
    this.storage = storage;
    this.shape = shape;
    this.strides = strides;
    this.offset = offset;
  }

  DType dtype() {
    return storage.dtype;
  }

  int rank() {
    return shape.length;
  }

  long numel() {
    return numel(shape);
  }

  static long numel(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  static long[] contiguousStrides(long[] shape) {
    long[] s = new long[shape.length];
    long step = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      s[i] = step;
      step *= Math.max(shape[i], 1);
    }
    return s;
  }

  /** Row-major without gaps: every dimension of size other than 1 strides by what follows it. */
  boolean contiguous() {
    if (numel() == 0) {
      return true;
    }
    long expected = 1;
    for (int d = shape.length - 1; d >= 0; d--) {
      if (shape[d] != 1 && strides[d] != expected) {
        return false;
      }
      expected *= shape[d];
    }
    return true;
  }

  /** The storage index of every element, in row-major order. */
  int[] indices() {
    int n = (int) numel();
    int[] out = new int[n];
    long[] index = new long[shape.length];
    for (int i = 0; i < n; i++) {
      long at = offset;
      for (int d = 0; d < shape.length; d++) {
        at += index[d] * strides[d];
      }
      out[i] = (int) at;
      for (int d = shape.length - 1; d >= 0; d--) {
        if (++index[d] < shape[d]) {
          break;
        }
        index[d] = 0;
      }
    }
    return out;
  }

  /** The elements in row-major order, as raw bits. */
  long[] values() {
    int[] at = indices();
    long[] out = new long[at.length];
    for (int i = 0; i < at.length; i++) {
      out[i] = storage.raw[at[i]];
    }
    return out;
  }

  /** Writes elements (row-major) through the view. */
  void assign(long[] values) {
    int[] at = indices();
    for (int i = 0; i < at.length; i++) {
      storage.raw[at[i]] = values[i];
    }
  }

  /** Whether this view covers every element of its storage (so a write replaces all of it). */
  boolean coversStorage() {
    if (numel() != storage.raw.length) {
      return false;
    }
    boolean[] seen = new boolean[storage.raw.length];
    for (int i : indices()) {
      if (seen[i]) {
        return false;
      }
      seen[i] = true;
    }
    return true;
  }

  /** Whether every element is finite with magnitude at most bound, and the values are the seed's. */
  boolean tame(double bound) {
    if (storage.tainted) {
      return false;
    }
    for (long v : values()) {
      double x = Elements.toDouble(dtype(), v);
      if (!(Math.abs(x) <= bound)) {
        return false;
      }
    }
    return true;
  }

  /** Storage indices that this view and another of the same storage both reach. */
  boolean sharesElementsWith(ModelTensor other) {
    if (other.storage != storage) {
      return false;
    }
    boolean[] mine = new boolean[storage.raw.length];
    for (int i : indices()) {
      mine[i] = true;
    }
    for (int i : other.indices()) {
      if (mine[i]) {
        return true;
      }
    }
    return false;
  }

  /** Same elements in the same order (what copyFrom treats as nothing to do). */
  boolean sameLayout(ModelTensor other) {
    return other.storage == storage && other.offset == offset && Arrays.equals(other.strides, strides)
        && Arrays.equals(other.shape, shape);
  }

  /**
   * Checks the real tensor's dtype, shape, strides, offset, contiguity and address against the
   * model.
   *
   * @return null when they agree, else what differs
   */
  String compareLayout() {
    if (real.dtype() != dtype() || !Arrays.equals(real.shape().toArray(), shape)) {
      return "t" + id + " is " + real.dtype() + Arrays.toString(real.shape().toArray()) + ", expected " + dtype()
          + Arrays.toString(shape);
    }
    if (real.isContiguous() != contiguous()) {
      return "t" + id + " says contiguous=" + real.isContiguous() + ", expected " + contiguous() + " for strides "
          + Arrays.toString(strides);
    }
    if (numel() == 0) {
      return null; // an empty view's strides and offset reach no element
    }
    if (!Arrays.equals(real.strides(), strides) || real.storageOffset() != offset) {
      return "t" + id + " has strides " + Arrays.toString(real.strides()) + " offset " + real.storageOffset()
          + ", expected " + Arrays.toString(strides) + " offset " + offset;
    }
    if (real.dataAddress() != storage.base + offset * dtype().byteSize()) {
      return "t" + id + " has data address " + real.dataAddress() + ", expected storage base + " + offset
          + " elements";
    }
    return null;
  }

  String describe() {
    return "t" + id + (closed ? "(closed)" : "") + " " + dtype() + Arrays.toString(shape)
        + (contiguous() ? "" : " strided");
  }

  @Override
  public String toString() {
    return describe();
  }
}
