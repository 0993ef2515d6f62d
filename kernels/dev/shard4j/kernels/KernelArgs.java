package dev.shard4j.kernels;

import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Tensor;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * Argument checks of the model kernels (elementwise, GELU, LayerNorm, ...), on top of {@link Checks};
 * each message names the argument.
 */
final class KernelArgs {
  /** The dtypes of the model kernels' activations: fp32, and bf16 with fp32 arithmetic. */
  static final Set<DType> ACTIVATIONS = EnumSet.of(DType.F32, DType.BF16);
  /** Token ids and targets. */
  static final Set<DType> INDICES = EnumSet.of(DType.I32, DType.I64);

  private KernelArgs() {}

  /** t is open, contiguous and of an allowed dtype. */
  static Tensor input(Tensor t, String name, Set<DType> dtypes) {
    Checks.contiguous(t, name);
    Checks.dtype(t, name, dtypes);
    return t;
  }

  /** t is open and contiguous, with like's dtype, shape and device. */
  static Tensor like(Tensor t, String name, Tensor like, String likeName) {
    Checks.contiguous(t, name);
    sameDtype(t, name, like, likeName);
    if (!t.shape().equals(like.shape())) {
      throw new IllegalArgumentException(name + " has shape " + t.shape() + ", " + likeName + " " + like.shape());
    }
    Checks.sameDevice(t, like.device(), name);
    return t;
  }

  static void sameDtype(Tensor t, String name, Tensor like, String likeName) {
    if (t.dtype() != like.dtype()) {
      throw new IllegalArgumentException(name + " is " + t.dtype() + ", " + likeName + " " + like.dtype());
    }
  }

  /** t is open, contiguous, of the dtype, on like's device, and has exactly these dimensions. */
  static Tensor shaped(Tensor t, String name, DType dtype, Tensor like, long... dims) {
    Checks.contiguous(t, name);
    if (t.dtype() != dtype) {
      throw new IllegalArgumentException(name + " has dtype " + t.dtype() + ", expected " + dtype);
    }
    Checks.sameDevice(t, like.device(), name);
    if (!Arrays.equals(t.shape().toArray(), dims)) {
      throw new IllegalArgumentException(name + " has shape " + t.shape() + ", expected "
          + Arrays.toString(dims));
    }
    return t;
  }

  /** out may be in itself (in place) but must not overlap it partly. */
  static void sameOrApart(Tensor out, String outName, Tensor in, String inName) {
    long[] so = Checks.span(out);
    long[] si = Checks.span(in);
    if (Checks.overlap(so, si) && (so[0] != si[0] || so[1] != si[1])) {
      throw new IllegalArgumentException(outName + " partially overlaps " + inName);
    }
  }

  /** out must not share a byte with in. */
  static void apart(Tensor out, String outName, Tensor in, String inName) {
    if (Checks.overlap(Checks.span(out), Checks.span(in))) {
      throw new IllegalArgumentException(outName + " overlaps " + inName);
    }
  }

  /** The [rows, last] view of a contiguous tensor of rank 1 or more: {rows, last}. */
  static long[] rowsAndLast(Tensor t, String name) {
    if (t.rank() < 1) {
      throw new IllegalArgumentException(name + " must have at least one dimension: " + t.shape());
    }
    long last = t.shape().dim(-1);
    return new long[] {last == 0 ? 0 : t.numel() / last, last};
  }
}
