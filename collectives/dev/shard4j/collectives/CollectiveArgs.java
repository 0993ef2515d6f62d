package dev.shard4j.collectives;

import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import java.util.Objects;

/**
 * The argument checks every backend makes before any rank blocks, so that a bad call is an
 * exception naming the argument on the calling rank, never a hang or a crash. Thread-safe.
 */
public final class CollectiveArgs {
  private CollectiveArgs() {}

  /**
   * Checks a buffer: open, contiguous, on the device.
   *
   * @param t the tensor
   * @param name its argument name
   * @param device the communicator's device
   * @return t
   */
  public static Tensor buffer(Tensor t, String name, Device device) {
    Objects.requireNonNull(t, name);
    if (t.isClosed()) {
      throw new IllegalStateException(name + " is closed");
    }
    if (!t.isContiguous()) {
      throw new IllegalArgumentException(name + " must be contiguous: " + t);
    }
    if (!t.device().equals(device)) {
      throw new IllegalArgumentException(name + " is on " + t.device() + ", the communicator on " + device);
    }
    return t;
  }

  /**
   * Checks that two buffers agree in dtype and that the second has the expected element count.
   *
   * @param reference the buffer whose dtype counts
   * @param t the other buffer
   * @param name its argument name
   * @param numel the elements it must hold
   */
  public static void matches(Tensor reference, Tensor t, String name, long numel) {
    if (t.dtype() != reference.dtype()) {
      throw new IllegalArgumentException(name + " has dtype " + t.dtype() + ", expected " + reference.dtype());
    }
    if (t.numel() != numel) {
      throw new IllegalArgumentException(name + " has " + t.numel() + " elements, expected " + numel);
    }
  }

  /**
   * Checks that an operator applies to a dtype.
   *
   * @param op the operator
   * @param dtype the buffers' dtype
   */
  public static void op(RedOp op, DType dtype) {
    Objects.requireNonNull(op, "op");
    if (op.floatOnly() && !dtype.isFloatingPoint()) {
      throw new IllegalArgumentException(op + " takes floating-point dtypes, not " + dtype);
    }
  }

  /**
   * Checks a rank argument.
   *
   * @param rank the value
   * @param name "root" or "peer"
   * @param size the group size
   */
  public static void rank(int rank, String name, int size) {
    if (rank < 0 || rank >= size) {
      throw new IllegalArgumentException(name + " " + rank + " out of range for " + size + " ranks");
    }
  }

  /**
   * Checks that a count splits evenly among the ranks.
   *
   * @param t the buffer
   * @param name its argument name
   * @param size the group size
   */
  public static void divisible(Tensor t, String name, int size) {
    if (t.numel() % size != 0) {
      throw new IllegalArgumentException(name + " has " + t.numel() + " elements, not a multiple of " + size
          + " ranks");
    }
  }
}
