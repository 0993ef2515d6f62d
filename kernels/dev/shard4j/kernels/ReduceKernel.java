package dev.shard4j.kernels;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;
import java.util.List;
import java.util.Objects;

/**
 * The elementwise reduction of N equally sized buffers into one, the core of the CPU collectives:
 * out = postmul * op(premul * in[0], ..., premul * in[N-1]), combined in input order, floats in
 * fp32 (fp64 for F64) and integers in int64 wrapping to the dtype, then cast to out's dtype. The
 * factors apply to floating-point inputs; integer inputs take 1 (as AVG and PREMUL_SUM take
 * floating-point dtypes only).
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
   * @param premul factor applied to every input first (PREMUL_SUM); 1 for none, and for integer inputs
   * @param postmul factor applied to the result (AVG is SUM with 1/N); 1 for none, and for integer
   *     inputs
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void reduce(List<Tensor> inputs, Tensor out, ReduceOp op, double premul, double postmul,
      Stream stream) {
    reduce(inputs, List.of(Checks.open(out, "out")), op, premul, postmul, stream);
  }

  /**
   * Reduces the inputs and writes the result to every output in the same pass (what a collective
   * does when it hands each rank the result).
   *
   * @param inputs contiguous tensors of one dtype and size, on the outputs' device
   * @param outs contiguous tensors of one dtype and the same size, not overlapping each other; each
   *     may be one of the inputs exactly, never partly
   * @param op the operator
   * @param premul factor applied to every input first (PREMUL_SUM); 1 for none, and for integer inputs
   * @param postmul factor applied to the result (AVG is SUM with 1/N); 1 for none, and for integer
   *     inputs
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void reduce(List<Tensor> inputs, List<Tensor> outs, ReduceOp op, double premul, double postmul,
      Stream stream) {
    Objects.requireNonNull(inputs, "inputs");
    Objects.requireNonNull(outs, "outs");
    Objects.requireNonNull(op, "op");
    if (inputs.isEmpty() || outs.isEmpty()) {
      throw new IllegalArgumentException((inputs.isEmpty() ? "inputs" : "outs") + " is empty");
    }
    if (!Double.isFinite(premul) || !Double.isFinite(postmul)) {
      throw new IllegalArgumentException("premul and postmul must be finite, got " + premul + ", " + postmul);
    }
    Tensor out0 = outs.get(0);
    Checks.contiguous(out0, "outs[0]");
    long[] dsts = new long[outs.size()];
    long[][] outSpans = new long[outs.size()][];
    for (int j = 0; j < dsts.length; j++) {
      String name = outs.size() == 1 ? "out" : "outs[" + j + "]";
      Tensor o = outs.get(j);
      Checks.contiguous(o, name);
      Checks.sameDevice(o, out0.device(), name);
      Checks.numel(o, out0.numel(), name);
      if (o.dtype() != out0.dtype()) {
        throw new IllegalArgumentException(name + " has dtype " + o.dtype() + ", outs[0] " + out0.dtype());
      }
      outSpans[j] = Checks.span(o);
      for (int q = 0; q < j; q++) {
        if (Checks.overlap(outSpans[q], outSpans[j])) {
          throw new IllegalArgumentException("outs[" + q + "] and outs[" + j + "] overlap");
        }
      }
      dsts[j] = outSpans[j][0];
    }
    long[] addresses = new long[inputs.size()];
    Tensor first = Checks.open(inputs.get(0), "inputs[0]");
    if (!first.dtype().isFloatingPoint() && (premul != 1.0 || postmul != 1.0)) {
      // The native loop would truncate the factors to int64 (0.5 to 0): a silently wrong sum.
      throw new IllegalArgumentException("premul and postmul apply to floating-point inputs; integer inputs ("
          + first.dtype() + ") take 1, got " + premul + " and " + postmul);
    }
    for (int i = 0; i < addresses.length; i++) {
      String name = "inputs[" + i + "]";
      Tensor t = inputs.get(i);
      Checks.contiguous(t, name);
      Checks.sameDevice(t, out0.device(), name);
      Checks.numel(t, out0.numel(), name);
      if (t.dtype() != first.dtype()) {
        throw new IllegalArgumentException(name + " has dtype " + t.dtype() + ", inputs[0] " + first.dtype());
      }
      long[] span = Checks.span(t);
      for (long[] outSpan : outSpans) {
        boolean same = span[0] == outSpan[0] && t.dtype().byteSize() == out0.dtype().byteSize();
        if (!same && Checks.overlap(span, outSpan)) {
          throw new IllegalArgumentException(name + " partially overlaps " + (outs.size() == 1 ? "out" : "an output"));
        }
      }
      addresses[i] = span[0];
    }
    long profiled = KernelProfile.start();
    NativeApi.reduce(out0.device().nativeOrdinal(), Checks.stream(stream, out0.device()), addresses,
        first.dtype().nativeCode(), dsts, out0.dtype().nativeCode(), out0.numel(), op.nativeCode(), premul,
        postmul);
    KernelProfile.stop("reduce", profiled);
  }
}
