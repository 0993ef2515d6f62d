package dev.shard4j.models.gpt;

import dev.shard4j.kernels.AccumulateKernel;
import dev.shard4j.kernels.CrossEntropy;
import dev.shard4j.kernels.Embedding;
import dev.shard4j.kernels.Gemm;
import dev.shard4j.kernels.LayerNorm;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Tensor;
import java.util.List;

/**
 * The ends of the model, with the embedding unit's parameters [wte, wpe, ln_f.weight, ln_f.bias]:
 * the input embedding, and the final LayerNorm, tied LM head (logits = ln_f(x) wte^T) and mean
 * cross-entropy with their backward. The logits are the largest activation and live only inside
 * {@link #lossAndBackward}: their gradient overwrites them.
 */
final class Head {
  private static final int WTE = 0;
  private static final int WPE = 1;
  private static final int LNF_W = 2;
  private static final int LNF_B = 3;

  private Head() {}

  /** x [B, T, C] = wte[tokens] + wpe[position], in the parameters' dtype. */
  static Tensor embed(Allocator a, List<Tensor> p, Tensor tokens) {
    Tensor wte = p.get(WTE);
    Tensor x = dev.shard4j.tensor.Tensors.empty(a, wte.dtype(), wte.device(), tokens.shape().dim(0),
        tokens.shape().dim(1), wte.shape().dim(1));
    try {
      Embedding.forward(tokens, wte, p.get(WPE), x, null);
      return x;
    } catch (RuntimeException e) {
      x.close();
      throw e;
    }
  }

  /** The LM head's gradients: wte's from the head (parameters' dtype), ln_f's (F32), and x's. */
  record Gradients(Tensor wte, Tensor lnfWeight, Tensor lnfBias, Tensor input) implements AutoCloseable {
    @Override
    public void close() {
      wte.close();
      lnfWeight.close();
      lnfBias.close();
      input.close();
    }
  }

  /**
   * The mean cross-entropy of the next tokens given the last block's output x [B, T, C], added
   * times weight to lossSum (F64 [1], on the device: no wait for the host), and the gradients of
   * (mean loss) with respect to the head's parameters and x.
   */
  static Gradients lossAndBackward(Allocator a, List<Tensor> p, Tensor x, Tensor targets, Tensor lossSum,
      double weight) {
    Tensor wte = p.get(WTE);
    DType dt = wte.dtype();
    long b = x.shape().dim(0);
    long t = x.shape().dim(1);
    long n = b * t;
    long c = x.shape().dim(2);
    try (Scope temp = new Scope(a, x.device()); Scope kept = new Scope(a, x.device())) {
      Tensor in = temp.keep(x.view(n, c));
      Tensor lnf = temp.empty(dt, n, c);
      Tensor mean = temp.empty(DType.F32, n);
      Tensor rstd = temp.empty(DType.F32, n);
      Tensor logits = logits(temp, p, in, lnf, mean, rstd);
      Tensor rowTargets = temp.keep(targets.view(n));
      addMeanLoss(temp, logits, rowTargets, lossSum, weight);
      CrossEntropy.backward(logits, rowTargets, null, 1.0 / n, logits, null); // in place: dLogits
      Tensor dWte = kept.empty(dt, wte.shape().toArray());
      Gemm.matmul(logits, lnf, dWte, true, false, 1.0, 0.0, null);
      Tensor dLnf = temp.empty(dt, n, c);
      Gemm.matmul(logits, wte, dLnf, false, false, 1.0, 0.0, null);
      Tensor dIn = kept.empty(dt, n, c);
      Tensor dW = kept.empty(DType.F32, c);
      Tensor dB = kept.empty(DType.F32, c);
      LayerNorm.backward(dLnf, in, p.get(LNF_W), mean, rstd, dIn, dW, dB, false, null);
      for (Tensor kept1 : new Tensor[] {dWte, dW, dB, dIn}) {
        kept.release(kept1);
      }
      try {
        return new Gradients(dWte, dW, dB, dIn.view(b, t, c));
      } finally {
        dIn.close();
      }
    }
  }

  /** The mean cross-entropy without gradients (validation), added times weight to lossSum. */
  static void loss(Allocator a, List<Tensor> p, Tensor x, Tensor targets, Tensor lossSum, double weight) {
    try (Tensor logits = logits(a, p, x); Scope temp = new Scope(a, x.device())) {
      addMeanLoss(temp, logits, temp.keep(targets.view(logits.shape().dim(0))), lossSum, weight);
    }
  }

  /** The logits [B * T, V] of x [B, T, C] (for sampling and validation). */
  static Tensor logits(Allocator a, List<Tensor> p, Tensor x) {
    long n = x.shape().dim(0) * x.shape().dim(1);
    long c = x.shape().dim(2);
    try (Scope temp = new Scope(a, x.device())) {
      Tensor lnf = temp.empty(p.get(WTE).dtype(), n, c);
      return temp.release(logits(temp, p, temp.keep(x.view(n, c)), lnf, temp.empty(DType.F32, n),
          temp.empty(DType.F32, n)));
    }
  }

  /** ln_f of the rows in [N, C] into lnf (saving its statistics), then the tied head's logits [N, V]. */
  private static Tensor logits(Scope temp, List<Tensor> p, Tensor in, Tensor lnf, Tensor mean, Tensor rstd) {
    Tensor wte = p.get(WTE);
    LayerNorm.forward(in, p.get(LNF_W), p.get(LNF_B), Block.EPS, lnf, mean, rstd, null);
    Tensor logits = temp.empty(wte.dtype(), in.shape().dim(0), wte.shape().dim(0));
    Gemm.matmul(lnf, wte, logits, false, true, 1.0, 0.0, null);
    return logits;
  }

  /** The rows' mean cross-entropy, added times weight to lossSum on the device. */
  private static void addMeanLoss(Scope temp, Tensor logits, Tensor rowTargets, Tensor lossSum, double weight) {
    long n = logits.shape().dim(0);
    Tensor losses = temp.empty(DType.F32, n);
    Tensor meanLoss = temp.empty(DType.F32, 1);
    CrossEntropy.forward(logits, rowTargets, losses, meanLoss, null);
    AccumulateKernel.accumulate(lossSum, meanLoss, weight, null);
  }

  /**
   * The embedding unit's gradients in {@link GptWeights#EMBEDDINGS} order, all F32: wte's from
   * the input embedding plus the head's (the tied weight's two gradients, summed before the
   * reduce), wpe's, and ln_f's.
   */
  static List<Tensor> embeddingGradients(Allocator a, Tensor tokens, Tensor dX, Gradients head, long positions) {
    try (Scope kept = new Scope(a, dX.device())) {
      Tensor gWte = kept.empty(DType.F32, head.wte().shape().toArray());
      Tensor gWpe = kept.empty(DType.F32, positions, dX.shape().dim(2));
      Embedding.backward(tokens, dX, gWte, gWpe, false, null);
      AccumulateKernel.accumulate(gWte, head.wte(), 1.0, null);
      Tensor w = kept.keep(head.lnfWeight().view(head.lnfWeight().numel()));
      Tensor bias = kept.keep(head.lnfBias().view(head.lnfBias().numel()));
      List<Tensor> grads = List.of(gWte, gWpe, w, bias);
      grads.forEach(kept::release);
      return grads;
    }
  }
}
