package dev.shard4j.tensor;

import dev.shard4j.testing.HalfReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** fp32 <-> bf16/fp16 conversions, bit for bit against the plain Java reference. */
class ConversionTest {
  private final Allocator allocator = Allocator.root("conversion-test");

  @AfterEach
  void close() {
    allocator.close();
  }

  enum Half {
    F16(DType.F16, HalfReference.FP16),
    BF16(DType.BF16, HalfReference.BF16);

    final DType dtype;
    final HalfReference reference;

    Half(DType dtype, HalfReference reference) {
      this.dtype = dtype;
      this.reference = reference;
    }
  }

  private static short[] allPatterns() {
    short[] bits = new short[65536];
    for (int i = 0; i < bits.length; i++) {
      bits[i] = (short) i;
    }
    return bits;
  }

  @ParameterizedTest
  @EnumSource(Half.class)
  void everyHalfPatternWidensExactly(Half half) {
    try (Tensor h = Tensors.fromBits(allocator, allPatterns(), half.dtype, Device.CPU, 256, 256);
        Tensor f = h.cast(DType.F32);
        Tensor d = h.cast(DType.F64)) {
      float[] floats = f.toFloatArray();
      double[] doubles = d.toDoubleArray();
      for (int i = 0; i < 65536; i++) {
        double expected = half.reference.toDouble(i);
        if (Double.isNaN(expected)) {
          assertTrue(Float.isNaN(floats[i]) && Double.isNaN(doubles[i]), "pattern " + Integer.toHexString(i));
        } else {
          assertEquals(Double.doubleToRawLongBits(expected),
              Double.doubleToRawLongBits(floats[i]), "pattern " + Integer.toHexString(i));
          assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(doubles[i]));
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Half.class)
  void everyHalfPatternRoundTripsThroughF32(Half half) {
    short[] patterns = allPatterns();
    try (Tensor h = Tensors.fromBits(allocator, patterns, half.dtype, Device.CPU, 65536);
        Tensor f = h.cast(DType.F32);
        Tensor back = f.cast(half.dtype)) {
      short[] bits = back.toShortArray();
      for (int i = 0; i < 65536; i++) {
        if (Double.isNaN(half.reference.toDouble(i))) {
          assertTrue(Double.isNaN(half.reference.toDouble(bits[i] & 0xFFFF)));
        } else {
          assertEquals(patterns[i], bits[i], "pattern " + Integer.toHexString(i));
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Half.class)
  void f32RoundsToNearestEven(Half half) {
    float[] values = TestSupport.awkwardFloats(42, 300_001);
    try (Tensor f = Tensors.fromArray(allocator, values, DType.F32, Device.CPU, values.length);
        Tensor h = f.cast(half.dtype)) {
      short[] bits = h.toShortArray();
      for (int i = 0; i < values.length; i++) {
        int expected = half.reference.fromFloat(values[i]);
        int actual = bits[i] & 0xFFFF;
        if (expected < 0) {
          assertTrue(Double.isNaN(half.reference.toDouble(actual)), "NaN stays NaN");
          assertEquals(Float.floatToRawIntBits(values[i]) >>> 31, actual >>> 15, "NaN keeps its sign");
        } else {
          float value = values[i];
          assertEquals(expected, actual, () -> "value " + value + " bits "
              + Integer.toHexString(Float.floatToRawIntBits(value)));
        }
      }
    }
  }

  @Test
  void nanBecomesTheCanonicalQuietNan() {
    float[] nans = {Float.intBitsToFloat(0x7F800001), Float.intBitsToFloat(0xFFC00001),
        Float.intBitsToFloat(0x7FFFFFFF)};
    try (Tensor f = Tensors.fromArray(allocator, nans, DType.F32, Device.CPU, 3);
        Tensor b = f.cast(DType.BF16);
        Tensor h = f.cast(DType.F16)) {
      assertArrayEquals(new short[] {0x7FC0, (short) 0xFFC0, 0x7FC0}, b.toShortArray());
      assertArrayEquals(new short[] {0x7E00, (short) 0xFE00, 0x7E00}, h.toShortArray());
    }
  }

  @ParameterizedTest
  @EnumSource(Half.class)
  void f64NarrowsThroughF32AsPyTorchDoes(Half half) {
    java.util.Random r = new java.util.Random(7);
    double[] values = new double[20_000];
    for (int i = 0; i < values.length; i++) {
      values[i] = r.nextGaussian() * Math.pow(2, r.nextInt(40) - 20);
    }
    try (Tensor d = Tensors.fromArray(allocator, values, DType.F64, Device.CPU, values.length);
        Tensor h = d.cast(half.dtype)) {
      short[] bits = h.toShortArray();
      for (int i = 0; i < values.length; i++) {
        assertEquals(half.reference.fromFloat((float) values[i]), bits[i] & 0xFFFF);
      }
    }
  }
}
