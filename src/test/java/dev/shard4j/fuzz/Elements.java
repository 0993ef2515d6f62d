package dev.shard4j.fuzz;

import dev.shard4j.tensor.DType;
import dev.shard4j.testing.HalfReference;

/**
 * Plain Java reference of single elements, held as raw bits in a long: F64 as its 64 bits, F32 as
 * its 32 bits, F16 and BF16 as their 16-bit patterns, integers as their value (U8 as 0..255). The
 * conversions follow the documented cast rules ({@code Tensor.cast}, shared/REFERENCE.md): floats
 * narrow through fp32 with round to nearest even, float to integer truncates toward zero and
 * saturates (NaN to 0), integer to integer wraps. Comparisons are bit for bit, except that any two
 * NaNs of a float dtype are equal (REFERENCE.md: NaN bits are not part of the contract).
 */
final class Elements {
  private Elements() {}

  /** The element that a Java double becomes in the dtype (an F64 source converted). */
  static long fromDouble(DType to, double v) {
    return convert(DType.F64, Double.doubleToRawLongBits(v), to);
  }

  /** The element that a Java long becomes in the dtype (an I64 source converted). */
  static long fromLong(DType to, long v) {
    return convert(DType.I64, v, to);
  }

  /** One element converted from one dtype to another. */
  static long convert(DType from, long raw, DType to) {
    if (from == to) {
      return raw;
    }
    if (from == DType.F64) {
      return fromWide(to, Double.longBitsToDouble(raw));
    }
    if (from.isFloatingPoint()) {
      float f = toFloat(from, raw);
      return switch (to) {
        case F64 -> Double.doubleToRawLongBits(f);
        case F32 -> floatBits(f);
        case BF16, F16 -> half(to, f);
        default -> saturate(to, f);
      };
    }
    return switch (to) {
      case F64 -> Double.doubleToRawLongBits((double) raw);
      case F32 -> floatBits((float) raw);
      case BF16, F16 -> half(to, (float) raw);
      default -> wrap(to, raw);
    };
  }

  private static long fromWide(DType to, double d) {
    return switch (to) {
      case F64 -> Double.doubleToRawLongBits(d);
      case F32 -> floatBits((float) d);
      case BF16, F16 -> half(to, (float) d);
      default -> saturate(to, d);
    };
  }

  /** The fp32 value of an element of F32, BF16 or F16 (exact). */
  static float toFloat(DType from, long raw) {
    return switch (from) {
      case F32 -> Float.intBitsToFloat((int) raw);
      case BF16 -> Float.intBitsToFloat((int) (raw << 16));
      case F16 -> (float) HalfReference.FP16.toDouble((int) raw);
      default -> throw new IllegalArgumentException("not a narrow float: " + from);
    };
  }

  /** The value of an element as a double: exact for floats, (double) of the value for integers. */
  static double toDouble(DType t, long raw) {
    if (t == DType.F64) {
      return Double.longBitsToDouble(raw);
    }
    return t.isFloatingPoint() ? toFloat(t, raw) : (double) raw;
  }

  static long floatBits(float f) {
    return Float.floatToRawIntBits(f) & 0xFFFFFFFFL;
  }

  /** fp32 to a 16-bit float, nearest even; NaN becomes the canonical quiet NaN with its sign. */
  static long half(DType to, float f) {
    if (Float.isNaN(f)) {
      int sign = (Float.floatToRawIntBits(f) >>> 16) & 0x8000;
      return sign | (to == DType.BF16 ? 0x7FC0 : 0x7E00);
    }
    HalfReference format = to == DType.BF16 ? HalfReference.BF16 : HalfReference.FP16;
    return format.fromFloat(f) & 0xFFFF;
  }

  /** Truncates toward zero and saturates to the integer dtype; NaN becomes 0. */
  static long saturate(DType to, double d) {
    if (Double.isNaN(d)) {
      return 0;
    }
    long lo = min(to);
    long hi = max(to);
    if (d <= lo) {
      return lo;
    }
    if (d >= hi) {
      return hi;
    }
    return (long) d;
  }

  /** An integer value wrapped to the integer dtype, as C's conversions do. */
  static long wrap(DType to, long v) {
    return switch (to) {
      case I8 -> (byte) v;
      case U8 -> v & 0xFF;
      case I32 -> (int) v;
      default -> v;
    };
  }

  static long min(DType t) {
    return switch (t) {
      case I8 -> Byte.MIN_VALUE;
      case U8 -> 0;
      case I32 -> Integer.MIN_VALUE;
      default -> Long.MIN_VALUE;
    };
  }

  static long max(DType t) {
    return switch (t) {
      case I8 -> Byte.MAX_VALUE;
      case U8 -> 255;
      case I32 -> Integer.MAX_VALUE;
      default -> Long.MAX_VALUE;
    };
  }

  static boolean isNaN(DType t, long raw) {
    return t.isFloatingPoint() && Double.isNaN(toDouble(t, raw));
  }

  /** Bit for bit, NaN equal to NaN. */
  static boolean same(DType t, long a, long b) {
    return a == b || (isNaN(t, a) && isNaN(t, b));
  }

  /** Reads one element of the dtype from little-endian (native) bytes. */
  static long read(DType t, byte[] bytes, int at) {
    int size = t.byteSize();
    long v = 0;
    for (int i = size - 1; i >= 0; i--) {
      v = v << 8 | (bytes[at + i] & 0xFF);
    }
    return switch (t) {
      case I8 -> (byte) v;
      case I32 -> (int) v;
      default -> v; // U8, F16, BF16, F32 zero-extended; I64, F64 whole
    };
  }

  /** Writes one element of the dtype as little-endian (native) bytes. */
  static void write(DType t, long raw, byte[] bytes, int at) {
    for (int i = 0; i < t.byteSize(); i++) {
      bytes[at + i] = (byte) (raw >>> (8 * i));
    }
  }

  /** A short text of an element, for failure messages. */
  static String show(DType t, long raw) {
    if (t.isFloatingPoint()) {
      return toDouble(t, raw) + " (0x" + Long.toHexString(raw) + ")";
    }
    return Long.toString(raw);
  }
}
