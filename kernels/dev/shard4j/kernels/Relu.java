package dev.shard4j.kernels;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;

/**
 * The rectifier and its gradient, elementwise on contiguous float tensors, as PyTorch computes
 * them: relu keeps NaN and turns negative values and -0 into +0; the gradient passes the incoming
 * gradient where the output is not &lt;= 0 and is +0 elsewhere.
 */
public final class Relu {
  private Relu() {}

  /**
   * out = max(in, 0).
   *
   * @param in contiguous float tensor
   * @param out contiguous, in's shape, dtype and device; may be in itself
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void forward(Tensor in, Tensor out, Stream stream) {
    check(in, "in", out, "out");
    NativeApi.relu(in.device().nativeOrdinal(), Checks.stream(stream, in.device()), in.dtype().nativeCode(),
        in.numel(), in.dataAddress(), out.dataAddress());
  }

  /**
   * gradIn = gradOut where out &gt; 0 (or NaN), else 0: the gradient of relu from its output.
   *
   * @param gradOut contiguous float tensor, the gradient of relu's output
   * @param out contiguous, relu's output, gradOut's shape, dtype and device
   * @param gradIn contiguous, the same; may be gradOut itself
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void backward(Tensor gradOut, Tensor out, Tensor gradIn, Stream stream) {
    check(gradOut, "gradOut", out, "out");
    check(gradOut, "gradOut", gradIn, "gradIn");
    if (Checks.overlap(Checks.span(out), Checks.span(gradIn))) {
      throw new IllegalArgumentException("gradIn overlaps out");
    }
    NativeApi.reluBackward(gradOut.device().nativeOrdinal(), Checks.stream(stream, gradOut.device()),
        gradOut.dtype().nativeCode(), gradOut.numel(), gradOut.dataAddress(), out.dataAddress(),
        gradIn.dataAddress());
  }

  /** a and b: contiguous, same float dtype, shape and device, and either the same memory or apart. */
  private static void check(Tensor a, String aName, Tensor b, String bName) {
    Checks.contiguous(a, aName);
    Checks.contiguous(b, bName);
    Checks.dtype(a, aName, Checks.FLOATS);
    if (b.dtype() != a.dtype()) {
      throw new IllegalArgumentException(bName + " is " + b.dtype() + ", " + aName + " " + a.dtype());
    }
    if (!b.shape().equals(a.shape())) {
      throw new IllegalArgumentException(bName + " has shape " + b.shape() + ", " + aName + " " + a.shape());
    }
    Checks.sameDevice(b, a.device(), bName);
    long[] sa = Checks.span(a);
    long[] sb = Checks.span(b);
    if (Checks.overlap(sa, sb) && sa[0] != sb[0]) {
      throw new IllegalArgumentException(bName + " partially overlaps " + aName);
    }
  }
}
