package dev.shard4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every dtype pair, and the integer rules: truncation, saturation, NaN to 0, wrapping. */
class CastTest {
  private final Allocator allocator = Allocator.root("cast-test");

  @AfterEach
  void close() {
    allocator.close();
  }

  @Test
  void everyPairIsExactOnValuesBothHold() {
    Random r = new Random(3);
    long[] values = new long[1001];
    for (int i = 0; i < values.length; i++) {
      values[i] = r.nextInt(128); // held exactly by every dtype, U8 and I8 included
    }
    for (DType from : DType.values()) {
      for (DType to : DType.values()) {
        try (Tensor a = Tensors.fromArray(allocator, values, from, Device.CPU, 7, 11, 13);
            Tensor b = a.cast(to)) {
          assertArrayEquals(values, b.toLongArray(), from + " -> " + to);
        }
      }
    }
  }

  @Test
  void floatToIntegerTruncatesSaturatesAndMapsNanToZero() {
    double[] in = {1.9, -1.9, 300.5, -300.5, 1e30, -1e30, Double.NaN, Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY, 127.99, -128.5};
    try (Tensor d = Tensors.fromArray(allocator, in, DType.F64, Device.CPU, in.length)) {
      try (Tensor t = d.cast(DType.I8)) {
        assertArrayEquals(new long[] {1, -1, 127, -128, 127, -128, 0, 127, -128, 127, -128}, t.toLongArray());
      }
      try (Tensor t = d.cast(DType.U8)) {
        assertArrayEquals(new long[] {1, 0, 255, 0, 255, 0, 0, 255, 0, 127, 0}, t.toLongArray());
      }
      try (Tensor t = d.cast(DType.I32)) {
        assertArrayEquals(new long[] {1, -1, 300, -300, Integer.MAX_VALUE, Integer.MIN_VALUE, 0,
            Integer.MAX_VALUE, Integer.MIN_VALUE, 127, -128}, t.toLongArray());
      }
      try (Tensor t = d.cast(DType.I64)) {
        assertArrayEquals(new long[] {1, -1, 300, -300, Long.MAX_VALUE, Long.MIN_VALUE, 0,
            Long.MAX_VALUE, Long.MIN_VALUE, 127, -128}, t.toLongArray());
      }
    }
  }

  @Test
  void integerToIntegerWraps() {
    long[] in = {300, -1, 1L << 40 | 5, Long.MIN_VALUE};
    try (Tensor a = Tensors.fromArray(allocator, in, DType.I64, Device.CPU, in.length);
        Tensor u8 = a.cast(DType.U8);
        Tensor i8 = a.cast(DType.I8);
        Tensor i32 = a.cast(DType.I32)) {
      assertArrayEquals(new long[] {44, 255, 5, 0}, u8.toLongArray());
      assertArrayEquals(new long[] {44, -1, 5, 0}, i8.toLongArray());
      assertArrayEquals(new long[] {300, -1, 5, 0}, i32.toLongArray());
    }
  }

  @Test
  void largeIntegersRoundOnceToF32() {
    long[] in = {(1L << 24) + 1, (1L << 53) + 1, Long.MAX_VALUE, -(1L << 40) - 3};
    try (Tensor a = Tensors.fromArray(allocator, in, DType.I64, Device.CPU, in.length);
        Tensor f = a.cast(DType.F32);
        Tensor d = a.cast(DType.F64)) {
      float[] expected = new float[in.length];
      double[] expectedD = new double[in.length];
      for (int i = 0; i < in.length; i++) {
        expected[i] = (float) in[i];
        expectedD[i] = (double) in[i];
      }
      assertArrayEquals(expected, f.toFloatArray());
      assertArrayEquals(expectedD, d.toDoubleArray());
    }
  }
}
