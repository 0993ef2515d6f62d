package dev.shard4j.fuzz;

import dev.shard4j.collectives.RedOp;
import dev.shard4j.tensor.DType;

/**
 * The inputs of a collective step and their reductions, the plain way: small integers (halves for
 * floats), varied by a salt per step, so that sums are exact in any order (as nccl-tests chooses
 * them) and every rank can compute every other rank's input.
 */
final class GroupValues {
  private GroupValues() {}

  /** Element i of rank q's input. */
  static double value(DType dtype, int q, long i, RedOp op, int salt) {
    if (op == RedOp.PROD) {
      return 1 + (q + i + salt) % 2;
    }
    double v = (q * 7 + i * 3 + salt) % 11 - (dtype == DType.U8 ? 0 : 5);
    return dtype.isFloatingPoint() ? v / 2 : v;
  }

  static double[] input(DType dtype, int q, long from, long count, RedOp op, int salt) {
    double[] v = new double[(int) count];
    for (int i = 0; i < count; i++) {
      v[i] = value(dtype, q, from + i, op, salt);
    }
    return v;
  }

  /** Element i of the reduction of world ranks' inputs. */
  static double reduced(DType dtype, int world, long i, RedOp op, int salt) {
    if (!dtype.isFloatingPoint()) {
      long acc = (long) value(dtype, 0, i, op, salt);
      for (int q = 1; q < world; q++) {
        long x = (long) value(dtype, q, i, op, salt);
        acc = op == RedOp.PROD ? acc * x : op == RedOp.MAX ? Math.max(acc, x) : op == RedOp.MIN ? Math.min(acc, x)
            : acc + x;
      }
      return Elements.wrap(dtype, acc);
    }
    double acc = value(dtype, 0, i, op, salt) * op.premul();
    for (int q = 1; q < world; q++) {
      double x = value(dtype, q, i, op, salt) * op.premul();
      acc = op == RedOp.PROD ? acc * x : op == RedOp.MAX ? Math.max(acc, x) : op == RedOp.MIN ? Math.min(acc, x)
          : acc + x;
    }
    double result = dtype == DType.F64 ? acc * op.postmul(world) : (float) acc * (float) op.postmul(world);
    return Elements.toDouble(dtype, Elements.fromDouble(dtype, result));
  }

  /**
   * Whether a reduced value is right: exact, but for AVG over a world that is not a power of two,
   * where the division rounds and a backend may divide before summing (4 ulp of the dtype, as
   * CollectiveBattery allows).
   */
  static boolean matches(DType dtype, RedOp op, int world, double expected, double got) {
    if (Double.compare(expected, got) == 0 || expected == got) {
      return true;
    }
    if (op != RedOp.AVG || Integer.bitCount(world) == 1) {
      return false;
    }
    double ulp = switch (dtype) {
      case F64 -> 0x1p-52;
      case F32 -> 0x1p-23;
      case F16 -> 0x1p-10;
      case BF16 -> 0x1p-7;
      default -> 0;
    };
    return Math.abs(got - expected) <= 4 * ulp * Math.max(1, Math.abs(expected));
  }
}
