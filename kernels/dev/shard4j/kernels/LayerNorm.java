package dev.shard4j.kernels;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;

/**
 * LayerNorm over the last dimension, as torch.nn.LayerNorm(C) with a weight and a bias:
 * out = (in - mean) / sqrt(var + eps) * weight + bias, the variance biased. Tensors are contiguous,
 * F32 or BF16 (all of one dtype), the arithmetic fp32; the forward saves each row's mean and
 * reciprocal standard deviation (rstd) in fp32 for the backward.
 *
 * <p>The weight and bias gradients sum each column in row order: deterministic, and the same bits
 * on the CPU and the GPU. The GPU sums a row's statistics in another order than the CPU, so
 * outputs and input gradients may differ from the CPU's in the last bits. Thread-safe; work is
 * ordered on the given stream (null: the device's default stream).
 */
public final class LayerNorm {
  private LayerNorm() {}

  /**
   * out = layerNorm(in) over the last dimension, saving the row statistics.
   *
   * @param in contiguous F32 or BF16 tensor [..., C], C &gt; 0
   * @param weight [C], in's dtype and device
   * @param bias [C], in's dtype and device
   * @param eps added to the variance, finite and &gt;= 0 (GPT-2: 1e-5)
   * @param out in's dtype, shape and device; may be in itself
   * @param mean F32 with one element per row of in (in.numel() / C), on in's device
   * @param rstd F32, the same size
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void forward(Tensor in, Tensor weight, Tensor bias, double eps, Tensor out, Tensor mean, Tensor rstd,
      Stream stream) {
    long[] rc = checkInput(in, "in");
    KernelArgs.shaped(weight, "weight", in.dtype(), in, rc[1]);
    KernelArgs.shaped(bias, "bias", in.dtype(), in, rc[1]);
    if (!Double.isFinite(eps) || eps < 0) {
      throw new IllegalArgumentException("eps must be finite and >= 0, got " + eps);
    }
    KernelArgs.like(out, "out", in, "in");
    KernelArgs.sameOrApart(out, "out", in, "in");
    statistics(mean, "mean", in, rc[0]);
    statistics(rstd, "rstd", in, rc[0]);
    for (Tensor t : new Tensor[] {weight, bias, mean, rstd}) {
      KernelArgs.apart(out, "out", t, t == weight ? "weight" : t == bias ? "bias" : t == mean ? "mean" : "rstd");
    }
    KernelArgs.apart(mean, "mean", rstd, "rstd");
    KernelArgs.apart(mean, "mean", in, "in");
    KernelArgs.apart(rstd, "rstd", in, "in");
    long profiled = KernelProfile.start();
    NativeApi.layerNorm(in.device().nativeOrdinal(), Checks.stream(stream, in.device()), in.dtype().nativeCode(),
        rc[0], rc[1], in.dataAddress(), weight.dataAddress(), bias.dataAddress(), eps, out.dataAddress(),
        mean.dataAddress(), rstd.dataAddress());
    KernelProfile.stop("layernorm.forward", profiled);
  }

  /**
   * The gradients of LayerNorm: gradIn from the forward's input and saved statistics, and the
   * weight and bias gradients (overwritten, or added to when accumulating micro-batches).
   *
   * @param gradOut contiguous F32 or BF16 tensor [..., C], the gradient of the forward's output
   * @param in the forward's input: gradOut's dtype, shape and device
   * @param weight [C], the forward's weight
   * @param mean the forward's saved means (F32, one per row)
   * @param rstd the forward's saved reciprocal standard deviations
   * @param gradIn gradOut's dtype, shape and device; may be gradOut itself
   * @param gradWeight [C], F32 or gradOut's dtype
   * @param gradBias [C], gradWeight's dtype
   * @param accumulate add to gradWeight and gradBias instead of overwriting them
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void backward(Tensor gradOut, Tensor in, Tensor weight, Tensor mean, Tensor rstd, Tensor gradIn,
      Tensor gradWeight, Tensor gradBias, boolean accumulate, Stream stream) {
    long[] rc = checkInput(gradOut, "gradOut");
    KernelArgs.like(in, "in", gradOut, "gradOut");
    KernelArgs.shaped(weight, "weight", gradOut.dtype(), gradOut, rc[1]);
    statistics(mean, "mean", gradOut, rc[0]);
    statistics(rstd, "rstd", gradOut, rc[0]);
    KernelArgs.like(gradIn, "gradIn", gradOut, "gradOut");
    KernelArgs.sameOrApart(gradIn, "gradIn", gradOut, "gradOut");
    Checks.contiguous(gradWeight, "gradWeight");
    DType paramType = gradWeight.dtype() == DType.F32 ? DType.F32 : gradOut.dtype();
    KernelArgs.shaped(gradWeight, "gradWeight", paramType, gradOut, rc[1]);
    KernelArgs.shaped(gradBias, "gradBias", paramType, gradOut, rc[1]);
    Tensor[] read = {in, weight, mean, rstd};
    String[] readNames = {"in", "weight", "mean", "rstd"};
    for (int i = 0; i < read.length; i++) {
      KernelArgs.apart(gradIn, "gradIn", read[i], readNames[i]);
      KernelArgs.apart(gradWeight, "gradWeight", read[i], readNames[i]);
      KernelArgs.apart(gradBias, "gradBias", read[i], readNames[i]);
    }
    KernelArgs.apart(gradWeight, "gradWeight", gradOut, "gradOut");
    KernelArgs.apart(gradBias, "gradBias", gradOut, "gradOut");
    KernelArgs.apart(gradWeight, "gradWeight", gradIn, "gradIn");
    KernelArgs.apart(gradBias, "gradBias", gradIn, "gradIn");
    KernelArgs.apart(gradBias, "gradBias", gradWeight, "gradWeight");
    long profiled = KernelProfile.start();
    NativeApi.layerNormBackward(gradOut.device().nativeOrdinal(), Checks.stream(stream, gradOut.device()),
        gradOut.dtype().nativeCode(), rc[0], rc[1], gradOut.dataAddress(), in.dataAddress(), weight.dataAddress(),
        mean.dataAddress(), rstd.dataAddress(), gradIn.dataAddress(), gradWeight.dataAddress(),
        gradBias.dataAddress(), paramType.nativeCode(), accumulate);
    KernelProfile.stop("layernorm.backward", profiled);
  }

  private static long[] checkInput(Tensor t, String name) {
    KernelArgs.input(t, name, KernelArgs.ACTIVATIONS);
    long[] rc = KernelArgs.rowsAndLast(t, name);
    if (rc[1] == 0) {
      throw new IllegalArgumentException(name + " has an empty last dimension: " + t.shape());
    }
    return rc;
  }

  private static void statistics(Tensor t, String name, Tensor like, long rows) {
    Checks.contiguous(t, name);
    if (t.dtype() != DType.F32) {
      throw new IllegalArgumentException(name + " has dtype " + t.dtype() + ", expected F32");
    }
    Checks.sameDevice(t, like.device(), name);
    Checks.numel(t, rows, name);
  }
}
