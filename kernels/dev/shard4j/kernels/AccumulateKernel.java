package dev.shard4j.kernels;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;

/**
 * dst += scale * src with casts (after a reduce-scatter, into the fp32 gradient shard), computed
 * in fp32 (fp64 when F64 is involved), in one pass.
 */
public final class AccumulateKernel {
  private AccumulateKernel() {}

  /**
   * Accumulates src into dst.
   *
   * @param dst contiguous float tensor
   * @param src contiguous float tensor with as many elements, on dst's device, not overlapping dst
   *     (unless it is dst itself)
   * @param scale the factor
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void accumulate(Tensor dst, Tensor src, double scale, Stream stream) {
    Checks.contiguous(dst, "dst");
    Checks.contiguous(src, "src");
    Checks.dtype(dst, "dst", Checks.FLOATS);
    Checks.dtype(src, "src", Checks.FLOATS);
    Checks.sameDevice(src, dst.device(), "src");
    Checks.numel(src, dst.numel(), "src");
    if (!Double.isFinite(scale)) {
      throw new IllegalArgumentException("scale must be finite, got " + scale);
    }
    long[] a = Checks.span(dst);
    long[] b = Checks.span(src);
    if (Checks.overlap(a, b) && !(a[0] == b[0] && dst.dtype() == src.dtype())) {
      throw new IllegalArgumentException("src partially overlaps dst");
    }
    long profiled = KernelProfile.start();
    NativeApi.accumulate(dst.device().nativeOrdinal(), Checks.stream(stream, dst.device()), a[0],
        dst.dtype().nativeCode(), b[0], src.dtype().nativeCode(), dst.numel(), scale);
    KernelProfile.stop("accumulate", profiled);
  }
}
