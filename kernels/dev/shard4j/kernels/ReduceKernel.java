package dev.shard4j.kernels;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;
import java.util.List;
import java.util.Objects;

/**
 * The elementwise reduction of N equally sized buffers into one, the core of the CPU collectives:
 * out = postmul * op(premul * in[0], ..., premul * in[N-1]), combined in input order, floats in
 * fp32 (fp64 for F64) and integers in int64 wrapping to the dtype, then cast to out's dtype.
 */
public final class ReduceKernel {
  private ReduceKernel() {}

  /**
   * Sums the inputs into out.
   *
   * @param inputs contiguous tensors of one dtype and size, on out's device
   * @param out contiguous, the same number of elements; may be one of the inputs, no partial overlap
   */
  public static void sum(List<Tensor> inputs, Tensor out) {
    reduce(inputs, out, ReduceOp.SUM, 1.0, 1.0, null);
  }

  /**
   * Reduces the inputs into out.
   *
   * @param inputs contiguous tensors of one dtype and size, on out's device
   * @param out contiguous, the same number of elements; may be one of the inputs, no partial overlap
   * @param op the operator
   * @param premul factor applied to every input first (PREMUL_SUM); 1 for none
   * @param postmul factor applied to the result (AVG is SUM with 1/N); 1 for none
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void reduce(List<Tensor> inputs, Tensor out, ReduceOp op, double premul, double postmul,
      Stream stream) {
    Objects.requireNonNull(inputs, "inputs");
    Objects.requireNonNull(op, "op");
    Checks.contiguous(out, "out");
    if (inputs.isEmpty()) {
      throw new IllegalArgumentException("inputs is empty");
    }
    if (!Double.isFinite(premul) || !Double.isFinite(postmul)) {
      throw new IllegalArgumentException("premul and postmul must be finite, got " + premul + ", " + postmul);
    }
    long[] addresses = new long[inputs.size()];
    long[] outSpan = Checks.span(out);
    Tensor first = Checks.open(inputs.get(0), "inputs[0]");
    for (int i = 0; i < addresses.length; i++) {
      String name = "inputs[" + i + "]";
      Tensor t = inputs.get(i);
      Checks.contiguous(t, name);
      Checks.sameDevice(t, out.device(), name);
      Checks.numel(t, out.numel(), name);
      if (t.dtype() != first.dtype()) {
        throw new IllegalArgumentException(name + " has dtype " + t.dtype() + ", inputs[0] " + first.dtype());
      }
      long[] span = Checks.span(t);
      boolean same = span[0] == outSpan[0] && t.dtype().byteSize() == out.dtype().byteSize();
      if (!same && Checks.overlap(span, outSpan)) {
        throw new IllegalArgumentException(name + " partially overlaps out");
      }
      addresses[i] = span[0];
    }
    NativeApi.reduce(out.device().nativeOrdinal(), Checks.stream(stream, out.device()), addresses,
        first.dtype().nativeCode(), out.dataAddress(), out.dtype().nativeCode(), out.numel(),
        op.nativeCode(), premul, postmul);
  }
}
