package dev.shard4j.fuzz;

import dev.shard4j.kernels.ReduceOp;
import dev.shard4j.tensor.DType;

/**
 * Plain Java references of the kernels' element arithmetic, on raw elements ({@link Elements}),
 * following their javadoc: copy plans and accumulate compute in fp32 (fp64 when F64 is involved);
 * reductions combine in input order, floats in fp32 (fp64 for F64) and integers in int64 wrapping
 * to the dtype; relu as PyTorch. These are exact (Java's float arithmetic is IEEE 754, and the
 * native library is built with -ffp-contract=off, so no fused multiply-add changes a rounding).
 */
final class Arithmetic {
  private Arithmetic() {}

  /** A copy plan's element: convert(src * scale), the product in fp32, or fp64 when F64 is involved. */
  static long scaledConvert(DType src, long raw, DType dst, double scale) {
    if (scale == 1.0) {
      return Elements.convert(src, raw, dst);
    }
    if (src == DType.F64 || dst == DType.F64) {
      double product = Elements.toDouble(src, raw) * scale;
      return Elements.fromDouble(dst, product);
    }
    float product = Elements.toFloat(src, raw) * (float) scale;
    return Elements.convert(DType.F32, Elements.floatBits(product), dst);
  }

  /** dst + scale * src, in fp32 (fp64 when F64 is involved), converted to dst's dtype. */
  static long accumulate(DType dstType, long dst, DType srcType, long src, double scale) {
    if (dstType == DType.F64 || srcType == DType.F64) {
      double sum = Elements.toDouble(dstType, dst) + scale * Elements.toDouble(srcType, src);
      return Elements.fromDouble(dstType, sum);
    }
    float sum = Elements.toFloat(dstType, dst) + (float) scale * Elements.toFloat(srcType, src);
    return Elements.convert(DType.F32, Elements.floatBits(sum), dstType);
  }

  /**
   * One element of ReduceKernel: op over premul * input (in input order), times postmul, in the
   * accumulator of the inputs' dtype, converted to the output's dtype. Integer inputs take
   * premul = postmul = 1 (ReduceKernel refuses others).
   */
  static long reduce(DType in, long[] inputs, DType out, ReduceOp op, double premul, double postmul) {
    boolean pre = premul != 1.0;
    boolean post = postmul != 1.0;
    if (!in.isFloatingPoint()) {
      long acc = inputs[0];
      for (int i = 1; i < inputs.length; i++) {
        acc = combine(op, acc, inputs[i]);
      }
      return Elements.convert(DType.I64, acc, out);
    }
    if (in == DType.F64) {
      double acc = Elements.toDouble(in, inputs[0]);
      acc = pre ? acc * premul : acc;
      for (int i = 1; i < inputs.length; i++) {
        double x = Elements.toDouble(in, inputs[i]);
        acc = combine(op, acc, pre ? x * premul : x);
      }
      return Elements.fromDouble(out, post ? acc * postmul : acc);
    }
    if (inputs.length == 1 && in == out && op == ReduceOp.SUM && !pre && !post) {
      return inputs[0]; // a copy keeps every bit
    }
    float pa = (float) premul;
    float acc = Elements.toFloat(in, inputs[0]);
    acc = pre ? acc * pa : acc;
    for (int i = 1; i < inputs.length; i++) {
      float x = Elements.toFloat(in, inputs[i]);
      acc = combine(op, acc, pre ? x * pa : x);
    }
    float result = post ? acc * (float) postmul : acc;
    return Elements.convert(DType.F32, Elements.floatBits(result), out);
  }

  static long combine(ReduceOp op, long a, long b) {
    return switch (op) {
      case SUM -> a + b;
      case PROD -> a * b;
      case MAX -> Math.max(a, b);
      case MIN -> Math.min(a, b);
    };
  }

  static double combine(ReduceOp op, double a, double b) {
    return switch (op) {
      case SUM -> a + b;
      case PROD -> a * b;
      case MAX -> a > b ? a : b; // NaN ordering as the kernel (and NCCL) has it
      case MIN -> a < b ? a : b;
    };
  }

  static float combine(ReduceOp op, float a, float b) {
    return switch (op) {
      case SUM -> a + b;
      case PROD -> a * b;
      case MAX -> a > b ? a : b;
      case MIN -> a < b ? a : b;
    };
  }

  /** relu as PyTorch: NaN stays, negative values and -0 become +0. */
  static long relu(DType t, long raw) {
    double v = Elements.toDouble(t, raw);
    return Double.isNaN(v) || v > 0 ? raw : 0;
  }

  /** relu's gradient from its output: +0 where the output is &lt;= 0, else the incoming gradient. */
  static long reluGrad(DType t, long gradOut, long out) {
    return Elements.toDouble(t, out) <= 0 ? 0 : gradOut;
  }

  /** Unit roundoff of a float dtype: half its ulp at 1. */
  static double roundoff(DType t) {
    return switch (t) {
      case F64 -> 0x1p-53;
      case F32 -> 0x1p-24;
      case F16 -> 0x1p-11;
      case BF16 -> 0x1p-8;
      default -> 0;
    };
  }
}
