package dev.shard4j.collectives;

import dev.shard4j.kernels.ReduceOp;
import java.util.Objects;

/**
 * A reduction operator of the collectives, as NCCL names them: SUM, PROD, MAX, MIN, AVG (the sum
 * divided by the number of ranks) and PREMUL_SUM (each input multiplied by a scalar, then summed).
 * AVG and PREMUL_SUM take floating-point dtypes only. Immutable.
 */
public final class RedOp {
  /** Sum. */
  public static final RedOp SUM = new RedOp("SUM", ReduceOp.SUM, Double.NaN);
  /** Product. */
  public static final RedOp PROD = new RedOp("PROD", ReduceOp.PROD, Double.NaN);
  /** Maximum. */
  public static final RedOp MAX = new RedOp("MAX", ReduceOp.MAX, Double.NaN);
  /** Minimum. */
  public static final RedOp MIN = new RedOp("MIN", ReduceOp.MIN, Double.NaN);
  /** Sum divided by the number of ranks. */
  public static final RedOp AVG = new RedOp("AVG", ReduceOp.SUM, Double.NaN);

  private final String name;
  private final ReduceOp kernelOp;
  private final double scalar;

  private RedOp(String name, ReduceOp kernelOp, double scalar) {
    this.name = name;
    this.kernelOp = kernelOp;
    this.scalar = scalar;
  }

  /**
   * Each rank's input multiplied by the scalar, then summed (ncclRedOpCreatePreMulSum).
   *
   * @param scalar a finite factor
   * @return the operator
   */
  public static RedOp premulSum(double scalar) {
    if (!Double.isFinite(scalar)) {
      throw new IllegalArgumentException("PREMUL_SUM needs a finite scalar, got " + scalar);
    }
    return new RedOp("PREMUL_SUM", ReduceOp.SUM, scalar);
  }

  /**
   * The operator's name: SUM, PROD, MAX, MIN, AVG or PREMUL_SUM.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * The elementwise kernel operator it reduces with.
   *
   * @return SUM for SUM, AVG and PREMUL_SUM
   */
  public ReduceOp kernelOp() {
    return kernelOp;
  }

  /**
   * Whether it only applies to floating-point dtypes.
   *
   * @return true for AVG and PREMUL_SUM
   */
  public boolean floatOnly() {
    return this == AVG || isPremulSum();
  }

  /**
   * Whether this is a PREMUL_SUM.
   *
   * @return true when a scalar multiplies the inputs
   */
  public boolean isPremulSum() {
    return !Double.isNaN(scalar);
  }

  /**
   * The factor each input is multiplied by before reducing.
   *
   * @return the PREMUL_SUM scalar, else 1
   */
  public double premul() {
    return isPremulSum() ? scalar : 1.0;
  }

  /**
   * The factor the result is multiplied by.
   *
   * @param worldSize ranks taking part
   * @return 1 / worldSize for AVG, else 1
   */
  public double postmul(int worldSize) {
    return this == AVG ? 1.0 / worldSize : 1.0;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RedOp && ((RedOp) o).name.equals(name)
        && Double.compare(((RedOp) o).scalar, scalar) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, scalar);
  }

  @Override
  public String toString() {
    return isPremulSum() ? name + "(" + scalar + ")" : name;
  }
}
