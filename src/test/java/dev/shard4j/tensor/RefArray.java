package dev.shard4j.tensor;

import java.util.Arrays;

/** A plain Java strided view over a double[]: the reference the tensor views are checked against. */
final class RefArray {
  final double[] data;
  final long[] shape;
  final long[] strides;
  final long offset;

  RefArray(double[] data, long[] shape, long[] strides, long offset) {
    this.data = data;
    this.shape = shape;
    this.strides = strides;
    this.offset = offset;
  }

  static RefArray contiguous(double[] data, long... shape) {
    return new RefArray(data, shape, Shape.of(shape).contiguousStrides(), 0);
  }

  RefArray slice(int dim, long start, long end, long step) {
    long[] s = shape.clone();
    long[] st = strides.clone();
    s[dim] = (end - start + step - 1) / step;
    st[dim] = strides[dim] * step;
    return new RefArray(data, s, st, offset + start * strides[dim]);
  }

  RefArray select(int dim, long index) {
    long[] s = new long[shape.length - 1];
    long[] st = new long[shape.length - 1];
    for (int i = 0, j = 0; i < shape.length; i++) {
      if (i != dim) {
        s[j] = shape[i];
        st[j++] = strides[i];
      }
    }
    return new RefArray(data, s, st, offset + index * strides[dim]);
  }

  RefArray transpose(int a, int b) {
    long[] s = shape.clone();
    long[] st = strides.clone();
    s[a] = shape[b];
    s[b] = shape[a];
    st[a] = strides[b];
    st[b] = strides[a];
    return new RefArray(data, s, st, offset);
  }

  /** Elements in row-major order. */
  double[] values() {
    int n = (int) Shape.of(shape).numel();
    double[] out = new double[n];
    long[] index = new long[shape.length];
    for (int i = 0; i < n; i++) {
      long at = offset;
      for (int d = 0; d < shape.length; d++) {
        at += index[d] * strides[d];
      }
      out[i] = data[(int) at];
      for (int d = shape.length - 1; d >= 0; d--) {
        if (++index[d] < shape[d]) {
          break;
        }
        index[d] = 0;
      }
    }
    return out;
  }

  /** Writes values (row-major) through the view. */
  void assign(double[] values) {
    long[] index = new long[shape.length];
    for (double value : values) {
      long at = offset;
      for (int d = 0; d < shape.length; d++) {
        at += index[d] * strides[d];
      }
      data[(int) at] = value;
      for (int d = shape.length - 1; d >= 0; d--) {
        if (++index[d] < shape[d]) {
          break;
        }
        index[d] = 0;
      }
    }
  }

  @Override
  public String toString() {
    return Arrays.toString(shape) + " strides " + Arrays.toString(strides) + " +" + offset;
  }
}
