package dev.shard4j.kernels;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;

/**
 * GPT-2's GELU, the tanh approximation (PyTorch's gelu(approximate="tanh")), and its gradient,
 * elementwise on contiguous F32 or BF16 tensors:
 * gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
 *
 * <p>The arithmetic is fp32 for both dtypes, BF16 results rounded to nearest even once. CPU and GPU
 * run the same formula; their tanhf may differ in the last bit of fp32. Thread-safe; work is
 * ordered on the given stream (null: the device's default stream).
 */
public final class Gelu {
  private Gelu() {}

  /**
   * out = gelu(in).
   *
   * @param in contiguous F32 or BF16 tensor
   * @param out in's dtype, shape and device; may be in itself
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void forward(Tensor in, Tensor out, Stream stream) {
    KernelArgs.input(in, "in", KernelArgs.ACTIVATIONS);
    KernelArgs.like(out, "out", in, "in");
    KernelArgs.sameOrApart(out, "out", in, "in");
    long profiled = KernelProfile.start();
    NativeApi.gelu(in.device().nativeOrdinal(), Checks.stream(stream, in.device()), in.dtype().nativeCode(),
        in.numel(), in.dataAddress(), out.dataAddress());
    KernelProfile.stop("gelu.forward", profiled);
  }

  /**
   * gradIn = gradOut * gelu'(in), the gradient taken from gelu's input (keep the input, not the
   * output, for the backward pass).
   *
   * @param gradOut contiguous F32 or BF16 tensor, the gradient of gelu's output
   * @param in gelu's input: gradOut's dtype, shape and device
   * @param gradIn the same; may be gradOut or in itself
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void backward(Tensor gradOut, Tensor in, Tensor gradIn, Stream stream) {
    KernelArgs.input(gradOut, "gradOut", KernelArgs.ACTIVATIONS);
    KernelArgs.like(in, "in", gradOut, "gradOut");
    KernelArgs.like(gradIn, "gradIn", gradOut, "gradOut");
    KernelArgs.sameOrApart(in, "in", gradOut, "gradOut");
    KernelArgs.sameOrApart(gradIn, "gradIn", gradOut, "gradOut");
    KernelArgs.sameOrApart(gradIn, "gradIn", in, "in");
    long profiled = KernelProfile.start();
    NativeApi.geluBackward(gradOut.device().nativeOrdinal(), Checks.stream(stream, gradOut.device()),
        gradOut.dtype().nativeCode(), gradOut.numel(), gradOut.dataAddress(), in.dataAddress(),
        gradIn.dataAddress());
    KernelProfile.stop("gelu.backward", profiled);
  }
}
