package dev.shard4j.kernels;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;

/**
 * The fused scale + causal mask + softmax of self-attention scores, and its gradient: for each
 * [T, T] matrix of a [N, T, T] tensor, probs[i][j] = softmax over j &lt;= i of scale * scores[i][j],
 * and exactly 0 for j &gt; i (a token sees no later token). Contiguous F32 or BF16, arithmetic fp32.
 * The GPU sums a row in another order than the CPU, so results may differ in the last bits.
 * Thread-safe; work is ordered on the given stream (null: the device's default stream).
 */
public final class CausalSoftmax {
  private CausalSoftmax() {}

  /**
   * probs = causalSoftmax(scale * scores).
   *
   * @param scores contiguous F32 or BF16 [N, T, T]
   * @param scale factor of the scores (1 / sqrt(head size) in attention), finite
   * @param probs scores' dtype, shape and device; may be scores itself
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void forward(Tensor scores, double scale, Tensor probs, Stream stream) {
    long[] nt = check(scores, "scores", scale);
    KernelArgs.like(probs, "probs", scores, "scores");
    KernelArgs.sameOrApart(probs, "probs", scores, "scores");
    long profiled = KernelProfile.start();
    NativeApi.causalSoftmax(scores.device().nativeOrdinal(), Checks.stream(stream, scores.device()),
        scores.dtype().nativeCode(), nt[0], nt[1], scale, scores.dataAddress(), probs.dataAddress());
    KernelProfile.stop("causal_softmax.forward", profiled);
  }

  /**
   * gradScores = scale * probs * (gradProbs - rowsum(probs * gradProbs)), 0 where masked.
   *
   * @param probs the forward's output, contiguous F32 or BF16 [N, T, T]
   * @param gradProbs probs' dtype, shape and device
   * @param scale the forward's scale
   * @param gradScores the same; may be gradProbs itself, must not overlap probs
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void backward(Tensor probs, Tensor gradProbs, double scale, Tensor gradScores, Stream stream) {
    long[] nt = check(probs, "probs", scale);
    KernelArgs.like(gradProbs, "gradProbs", probs, "probs");
    KernelArgs.like(gradScores, "gradScores", probs, "probs");
    KernelArgs.sameOrApart(gradScores, "gradScores", gradProbs, "gradProbs");
    KernelArgs.apart(gradScores, "gradScores", probs, "probs");
    long profiled = KernelProfile.start();
    NativeApi.causalSoftmaxBackward(probs.device().nativeOrdinal(), Checks.stream(stream, probs.device()),
        probs.dtype().nativeCode(), nt[0], nt[1], scale, probs.dataAddress(), gradProbs.dataAddress(),
        gradScores.dataAddress());
    KernelProfile.stop("causal_softmax.backward", profiled);
  }

  private static long[] check(Tensor t, String name, double scale) {
    KernelArgs.input(t, name, KernelArgs.ACTIVATIONS);
    if (t.rank() != 3 || t.shape().dim(1) != t.shape().dim(2)) {
      throw new IllegalArgumentException(name + " must be [N, T, T], got " + t.shape());
    }
    if (!Double.isFinite(scale)) {
      throw new IllegalArgumentException("scale must be finite, got " + scale);
    }
    return new long[] {t.shape().dim(0), t.shape().dim(1)};
  }
}
