package dev.shard4j.testing;

import dev.shard4j.tensor.DType;
import java.util.Random;

/** Plain Java reference arithmetic of the kernels: rounding to a dtype, random test values. */
public final class Reference {
  private Reference() {}

  /** The value a double takes in a float dtype, narrowing through fp32 as the kernels do. */
  public static double round(DType dtype, double value) {
    switch (dtype) {
      case F64:
        return value;
      case F32:
        return (float) value;
      case BF16:
        return HalfReference.BF16.round((float) value);
      case F16:
        return HalfReference.FP16.round((float) value);
      default:
        throw new IllegalArgumentException("not a float dtype: " + dtype);
    }
  }

  /** Gaussian values already representable in the dtype, so that a source holds them exactly. */
  public static double[] values(Random r, DType dtype, int n, double scale) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = round(dtype, r.nextGaussian() * scale);
    }
    return v;
  }

  /** dst = convert(src * scale), the product in fp32, or fp64 when either side is F64. */
  public static double scaledConvert(double src, DType srcType, DType dstType, double scale) {
    if (srcType == DType.F64 || dstType == DType.F64) {
      return round(dstType, scale == 1.0 ? src : src * scale);
    }
    float product = scale == 1.0 ? (float) src : (float) src * (float) scale;
    return round(dstType, product);
  }

  /** A random float dtype. */
  public static DType floatType(Random r) {
    DType[] floats = {DType.F32, DType.F64, DType.F16, DType.BF16};
    return floats[r.nextInt(floats.length)];
  }
}
