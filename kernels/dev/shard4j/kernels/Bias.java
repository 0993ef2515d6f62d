package dev.shard4j.kernels;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;

/**
 * The bias of a linear layer, added to every row of its output, and its gradient, the sum of the
 * output gradient over the rows. Tensors are contiguous F32 or BF16; the last dimension is the
 * bias's. Arithmetic in fp32; the gradient sums each column in row order, deterministic and the
 * same bits on the CPU and the GPU. Thread-safe; work is ordered on the given stream (null: the
 * device's default stream).
 */
public final class Bias {
  private Bias() {}

  /**
   * out[..., c] = in[..., c] + bias[c].
   *
   * @param in contiguous F32 or BF16 tensor [..., C]
   * @param bias [C], in's dtype and device; must not overlap out
   * @param out in's dtype, shape and device; may be in itself
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void add(Tensor in, Tensor bias, Tensor out, Stream stream) {
    KernelArgs.input(in, "in", KernelArgs.ACTIVATIONS);
    long[] rc = KernelArgs.rowsAndLast(in, "in");
    KernelArgs.shaped(bias, "bias", in.dtype(), in, rc[1]);
    KernelArgs.like(out, "out", in, "in");
    KernelArgs.sameOrApart(out, "out", in, "in");
    KernelArgs.apart(out, "out", bias, "bias");
    long profiled = KernelProfile.start();
    NativeApi.biasAdd(in.device().nativeOrdinal(), Checks.stream(stream, in.device()), in.dtype().nativeCode(),
        rc[0], rc[1], in.dataAddress(), bias.dataAddress(), out.dataAddress());
    KernelProfile.stop("bias.add", profiled);
  }

  /**
   * gradBias[c] = sum over the rows of gradOut[..., c] (added to gradBias's contents when
   * accumulating, as gradients of micro-batches add up).
   *
   * @param gradOut contiguous F32 or BF16 tensor [..., C]
   * @param gradBias [C] on gradOut's device, F32 or gradOut's dtype; must not overlap gradOut
   * @param accumulate add the sums to gradBias instead of overwriting it
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void backward(Tensor gradOut, Tensor gradBias, boolean accumulate, Stream stream) {
    KernelArgs.input(gradOut, "gradOut", KernelArgs.ACTIVATIONS);
    long[] rc = KernelArgs.rowsAndLast(gradOut, "gradOut");
    Checks.contiguous(gradBias, "gradBias");
    DType biasType = gradBias.dtype() == DType.F32 ? DType.F32 : gradOut.dtype();
    KernelArgs.shaped(gradBias, "gradBias", biasType, gradOut, rc[1]);
    KernelArgs.apart(gradBias, "gradBias", gradOut, "gradOut");
    long profiled = KernelProfile.start();
    NativeApi.biasGrad(gradOut.device().nativeOrdinal(), Checks.stream(stream, gradOut.device()),
        gradOut.dtype().nativeCode(), rc[0], rc[1], gradOut.dataAddress(), gradBias.dataAddress(),
        gradBias.dtype().nativeCode(), accumulate);
    KernelProfile.stop("bias.backward", profiled);
  }
}
