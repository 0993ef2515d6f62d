package dev.shard4j.kernels;

import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;

/**
 * GPT-2's causal self-attention core, out = causalSoftmax(q k^T / sqrt(hs)) v, and its backward,
 * built from batched GEMMs ({@link Gemm}) and the fused scale + mask + softmax
 * ({@link CausalSoftmax}). Heads are batched: q, k, v and out are contiguous [N, T, hs] with
 * N = batch * heads (a [B, H, T, hs] tensor viewed as 3-D; splitting the qkv projection into heads
 * is a permute and a copy of the caller's). One dtype, F32 or BF16, fp32 accumulation; the
 * attention probabilities [N, T, T] are kept for the backward. Thread-safe; work is ordered on
 * the given stream (null: the device's default stream).
 */
public final class CausalSelfAttention {
  private CausalSelfAttention() {}

  /**
   * out = softmax(mask(q k^T / sqrt(hs))) v, saving the probabilities.
   *
   * @param q contiguous F32 or BF16 [N, T, hs]
   * @param k q's dtype, shape and device
   * @param v the same
   * @param probs [N, T, T], q's dtype and device: receives the attention probabilities
   * @param out [N, T, hs], the same; must not overlap the others
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void forward(Tensor q, Tensor k, Tensor v, Tensor probs, Tensor out, Stream stream) {
    long[] nth = check(q, k, v);
    KernelArgs.shaped(probs, "probs", q.dtype(), q, nth[0], nth[1], nth[1]);
    KernelArgs.like(out, "out", q, "q");
    apart(3, new Tensor[] {q, k, v, probs, out}, new String[] {"q", "k", "v", "probs", "out"});
    Gemm.matmul(q, k, probs, false, true, 1.0, 0.0, stream);
    CausalSoftmax.forward(probs, scale(nth[2]), probs, stream);
    Gemm.matmul(probs, v, out, false, false, 1.0, 0.0, stream);
  }

  /**
   * The gradients of q, k and v from the forward's inputs and probabilities.
   *
   * @param q the forward's q [N, T, hs]
   * @param k the forward's k
   * @param v the forward's v
   * @param probs the forward's probabilities [N, T, T]
   * @param gradOut the gradient of out, q's dtype, shape and device
   * @param gradQ receives q's gradient, q's dtype, shape and device
   * @param gradK receives k's gradient
   * @param gradV receives v's gradient
   * @param scratch [N, T, T], q's dtype and device: work space, overwritten
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void backward(Tensor q, Tensor k, Tensor v, Tensor probs, Tensor gradOut, Tensor gradQ, Tensor gradK,
      Tensor gradV, Tensor scratch, Stream stream) {
    long[] nth = check(q, k, v);
    KernelArgs.shaped(probs, "probs", q.dtype(), q, nth[0], nth[1], nth[1]);
    KernelArgs.like(gradOut, "gradOut", q, "q");
    KernelArgs.like(gradQ, "gradQ", q, "q");
    KernelArgs.like(gradK, "gradK", q, "q");
    KernelArgs.like(gradV, "gradV", q, "q");
    KernelArgs.shaped(scratch, "scratch", q.dtype(), q, nth[0], nth[1], nth[1]);
    apart(5, new Tensor[] {q, k, v, probs, gradOut, gradQ, gradK, gradV, scratch},
        new String[] {"q", "k", "v", "probs", "gradOut", "gradQ", "gradK", "gradV", "scratch"});
    Gemm.matmul(gradOut, v, scratch, false, true, 1.0, 0.0, stream); // dP = dOut v^T
    Gemm.matmul(probs, gradOut, gradV, true, false, 1.0, 0.0, stream); // dV = P^T dOut
    CausalSoftmax.backward(probs, scratch, scale(nth[2]), scratch, stream); // dS, scaled
    Gemm.matmul(scratch, k, gradQ, false, false, 1.0, 0.0, stream); // dQ = dS k
    Gemm.matmul(scratch, q, gradK, true, false, 1.0, 0.0, stream); // dK = dS^T q
  }

  private static double scale(long headSize) {
    return 1.0 / Math.sqrt(headSize);
  }

  /** {N, T, hs} of q, k and v. */
  private static long[] check(Tensor q, Tensor k, Tensor v) {
    KernelArgs.input(q, "q", KernelArgs.ACTIVATIONS);
    if (q.rank() != 3 || q.shape().dim(2) == 0) {
      throw new IllegalArgumentException("q must be [N, T, hs] with hs > 0, got " + q.shape());
    }
    KernelArgs.like(k, "k", q, "q");
    KernelArgs.like(v, "v", q, "q");
    return new long[] {q.shape().dim(0), q.shape().dim(1), q.shape().dim(2)};
  }

  /** The tensors from the first output on share no memory with any other (inputs may alias inputs). */
  private static void apart(int inputs, Tensor[] tensors, String[] names) {
    for (int j = inputs; j < tensors.length; j++) {
      for (int i = 0; i < j; i++) {
        KernelArgs.apart(tensors[j], names[j], tensors[i], names[i]);
      }
    }
  }
}
