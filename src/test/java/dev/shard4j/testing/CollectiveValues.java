package dev.shard4j.testing;

import dev.shard4j.collectives.RedOp;
import dev.shard4j.tensor.DType;

/**
 * Inputs of the collective tests and their reduction, computed the plain way: small integers
 * (halves for floats), so that sums are exact in any order, as nccl-tests chooses them.
 */
public final class CollectiveValues {
  private CollectiveValues() {}

  /** Element i of rank's input. */
  public static double value(DType dtype, int rank, long i, RedOp op) {
    if (op == RedOp.PROD) {
      return 1 + (rank + i) % 2;
    }
    double v = (rank * 7 + i * 3) % 11 - (dtype == DType.U8 ? 0 : 5);
    return dtype.isFloatingPoint() ? v / 2 : v;
  }

  /** Element i of the inputs of world ranks reduced with op, in the dtype. */
  public static double reference(DType dtype, int world, long i, RedOp op) {
    if (!dtype.isFloatingPoint()) {
      long acc = (long) value(dtype, 0, i, op);
      for (int q = 1; q < world; q++) {
        long x = (long) value(dtype, q, i, op);
        acc = op == RedOp.PROD ? acc * x : op == RedOp.MAX ? Math.max(acc, x) : op == RedOp.MIN ? Math.min(acc, x)
            : acc + x;
      }
      return switch (dtype) {
        case I8 -> (byte) acc;
        case U8 -> acc & 0xFF;
        case I32 -> (int) acc;
        default -> acc;
      };
    }
    double acc = value(dtype, 0, i, op) * op.premul();
    for (int q = 1; q < world; q++) {
      double x = value(dtype, q, i, op) * op.premul();
      acc = op == RedOp.PROD ? acc * x : op == RedOp.MAX ? Math.max(acc, x) : op == RedOp.MIN ? Math.min(acc, x)
          : acc + x;
    }
    return Reference.round(dtype, dtype == DType.F64 ? acc * op.postmul(world) : (float) acc * (float) op.postmul(world));
  }
}
