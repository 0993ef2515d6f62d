package dev.shard4j.fuzz;

import dev.shard4j.tensor.DType;
import java.util.SplittableRandom;

/**
 * Random arguments: shapes (mostly small, sometimes empty or long), dtypes, and values with the
 * awkward cases mixed in (signed zeros, infinities, NaNs, rounding ties, saturating magnitudes).
 */
final class Gen {
  /** Most elements of an ordinary tensor; long ones (1 in 100) reach past the kernels' grain. */
  static final int SMALL_NUMEL = 256;
  static final int LONG_NUMEL = 70_000;
  private static final DType[] FLOATS = {DType.F32, DType.F64, DType.F16, DType.BF16};
  private static final double[] SPECIAL = {0.0, -0.0, 1.0, -1.0, 0.5, Double.NaN, Double.POSITIVE_INFINITY,
      Double.NEGATIVE_INFINITY, 65504, 65520, 1e300, -1e300, 1e-300, Float.MIN_VALUE, 5.96e-8, 127.5, -128.5, 255.5,
      256, 3e9, -3e9, 1.00390625, 1.001953125, 0x1.0008p0, Long.MAX_VALUE, Long.MIN_VALUE};

  final SplittableRandom r;

  Gen(SplittableRandom r) {
    this.r = r;
  }

  boolean chance(int percent) {
    return r.nextInt(100) < percent;
  }

  int between(int lo, int hiInclusive) {
    return lo + r.nextInt(hiInclusive - lo + 1);
  }

  DType dtype() {
    DType[] all = DType.values();
    return all[r.nextInt(all.length)];
  }

  DType floatType() {
    return FLOATS[r.nextInt(FLOATS.length)];
  }

  <T> T of(T[] choices) {
    return choices[r.nextInt(choices.length)];
  }

  /** A shape of at most SMALL_NUMEL elements (now and then one long dimension). */
  long[] shape() {
    if (chance(1)) {
      return new long[] {between(1000, LONG_NUMEL)};
    }
    int rank = switch (r.nextInt(20)) {
      case 0, 1 -> 0;
      case 2, 3, 4, 5, 6 -> 1;
      case 7, 8, 9, 10, 11, 12 -> 2;
      case 13, 14, 15, 16 -> 3;
      case 17, 18 -> 4;
      default -> between(5, 8);
    };
    while (true) {
      long[] s = new long[rank];
      for (int i = 0; i < rank; i++) {
        s[i] = chance(4) ? 0 : rank > 4 ? between(1, 2) : between(1, 6);
      }
      if (ModelTensor.numel(s) <= SMALL_NUMEL) {
        return s;
      }
    }
  }

  /** A double value, awkward now and then. */
  double value() {
    int k = r.nextInt(10);
    if (k == 0) {
      return SPECIAL[r.nextInt(SPECIAL.length)];
    }
    if (k == 1) {
      return Double.longBitsToDouble(r.nextLong());
    }
    if (k <= 4) {
      return between(-300, 300) / (chance(50) ? 1.0 : 4.0);
    }
    return r.nextGaussian() * Math.scalb(1.0, between(-20, 20));
  }

  /** Values that every dtype holds exactly and that stay small under arithmetic (for GEMM, AdamW). */
  double tameValue(double bound) {
    return Math.max(-bound, Math.min(bound, Math.round(r.nextGaussian() * 8) / 8.0 * bound / 4));
  }

  long longValue() {
    return switch (r.nextInt(6)) {
      case 0 -> r.nextLong();
      case 1 -> of(new Long[] {0L, -1L, Long.MIN_VALUE, Long.MAX_VALUE, 255L, 256L, -129L, 1L << 31, 1L << 53});
      default -> between(-300, 300);
    };
  }

  /** A value of the dtype's own range (an element that any conversion into it keeps). */
  long inRange(DType t) {
    long v = longValue();
    return Elements.saturate(t, (double) v) == v ? v : Elements.wrap(t, v);
  }

  /** A random raw element of the dtype: any bit pattern, or a small value. */
  long rawElement(DType t) {
    if (chance(50)) {
      return t.isFloatingPoint() ? Elements.fromDouble(t, between(-64, 64) / 2.0) : Elements.wrap(t, between(-64, 64));
    }
    long bits = r.nextLong();
    return switch (t) {
      case F64, I64 -> bits;
      case F32 -> bits & 0xFFFFFFFFL;
      case F16, BF16 -> bits & 0xFFFF;
      default -> Elements.wrap(t, bits);
    };
  }

  /** A finite scale factor, exact or awkward. */
  double scale() {
    return switch (r.nextInt(5)) {
      case 0 -> 1.0;
      case 1 -> of(new Double[] {0.5, 2.0, -1.0, 0.0, -0.0, 0.25});
      case 2 -> r.nextGaussian();
      case 3 -> Math.scalb(r.nextGaussian(), between(-60, 60));
      default -> 1.0 / between(1, 9);
    };
  }
}
