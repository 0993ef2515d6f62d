package dev.shard4j.testing;

import java.util.HashMap;
import java.util.Map;

/**
 * Plain Java reference of the 16-bit float formats, independent of the native code: values come
 * from the format's definition, and rounding picks the nearest representable value by exact
 * double arithmetic, ties to the even bit pattern.
 */
public final class HalfReference {
  private final int exponentBits;
  private final int mantissaBits;
  private final int bias;
  private final Map<Double, Integer> bitsOfPositive = new HashMap<>();

  /** IEEE half. */
  public static final HalfReference FP16 = new HalfReference(5, 10);
  /** bfloat16. */
  public static final HalfReference BF16 = new HalfReference(8, 7);

  private HalfReference(int exponentBits, int mantissaBits) {
    this.exponentBits = exponentBits;
    this.mantissaBits = mantissaBits;
    this.bias = (1 << (exponentBits - 1)) - 1;
    for (int bits = 0; bits < 1 << 15; bits++) {
      double v = toDouble(bits);
      if (Double.isFinite(v)) {
        bitsOfPositive.put(v, bits);
      }
    }
  }

  /** The value of a bit pattern, from the format's definition. */
  public double toDouble(int bits) {
    int sign = (bits >> 15) & 1;
    int exponent = (bits >> mantissaBits) & ((1 << exponentBits) - 1);
    int mantissa = bits & ((1 << mantissaBits) - 1);
    double magnitude;
    if (exponent == (1 << exponentBits) - 1) {
      magnitude = mantissa == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
    } else if (exponent == 0) {
      magnitude = Math.scalb((double) mantissa, 1 - bias - mantissaBits);
    } else {
      magnitude = Math.scalb((double) ((1 << mantissaBits) | mantissa), exponent - bias - mantissaBits);
    }
    return sign == 1 ? -magnitude : magnitude;
  }

  /** Rounds a float to the nearest pattern, ties to even; NaN gives -1 (compare as NaN). */
  public int fromFloat(float f) {
    if (Float.isNaN(f)) {
      return -1;
    }
    int sign = (Float.floatToRawIntBits(f) >>> 31) << 15;
    double a = Math.abs((double) f);
    int minNormalExponent = 1 - bias;
    double maxFinite = toDouble(((1 << exponentBits) - 2) << mantissaBits | ((1 << mantissaBits) - 1));
    double halfUlpAboveMax = maxFinite + Math.scalb(1.0, (1 << exponentBits) - 2 - bias - mantissaBits - 1);
    if (a >= halfUlpAboveMax) {
      return sign | (((1 << exponentBits) - 1) << mantissaBits);
    }
    int e = a == 0 ? minNormalExponent : Math.max(Math.getExponent(a), minNormalExponent);
    double quantum = Math.scalb(1.0, e - mantissaBits);
    double rounded = Math.rint(a / quantum) * quantum; // rint: ties to even multiple
    Integer bits = bitsOfPositive.get(rounded);
    if (bits == null) {
      throw new AssertionError("no pattern for " + rounded);
    }
    return sign | bits;
  }

  /** The value a float takes after rounding to this format. */
  public double round(float f) {
    int bits = fromFloat(f);
    return bits < 0 ? Double.NaN : toDouble(bits);
  }
}
