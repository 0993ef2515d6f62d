package dev.shard4j.models.gpt;

import dev.shard4j.kernels.Bias;
import dev.shard4j.kernels.CausalSelfAttention;
import dev.shard4j.kernels.Elementwise;
import dev.shard4j.kernels.Gelu;
import dev.shard4j.kernels.Gemm;
import dev.shard4j.kernels.LayerNorm;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * GPT-2's pre-LayerNorm transformer block, forward and backward through the kernels:
 * x + attn(ln_1(x)), then + mlp(ln_2(.)), with the parameters in {@link GptWeights#BLOCK} order.
 * Activations are in the parameters' dtype (F32 or BF16, fp32 arithmetic inside the kernels);
 * LayerNorm statistics and the gradients of biases and LayerNorm gains are F32, the gradients of
 * the matrices in the parameters' dtype (what the product writes).
 */
final class Block {
  static final double EPS = 1e-5;
  private static final int LN1_W = 0;
  private static final int LN1_B = 1;
  private static final int ATTN_W = 2;
  private static final int ATTN_B = 3;
  private static final int PROJ_W = 4;
  private static final int PROJ_B = 5;
  private static final int LN2_W = 6;
  private static final int LN2_B = 7;
  private static final int FC_W = 8;
  private static final int FC_B = 9;
  private static final int MPROJ_W = 10;
  private static final int MPROJ_B = 11;

  private Block() {}

  /** The forward pass of x [B, T, C], keeping what the backward needs. */
  static BlockActivations forward(GptConfig config, Allocator a, List<Tensor> p, Tensor x) {
    DType dt = p.get(ATTN_W).dtype();
    long b = x.shape().dim(0);
    long t = x.shape().dim(1);
    long n = b * t;
    long c = config.width();
    long bh = b * config.heads();
    Scope s = new Scope(a, x.device());
    try (Scope temp = new Scope(a, x.device())) {
      Tensor in = s.keep(x.view(n, c));
      Tensor ln1 = s.empty(dt, n, c);
      Tensor mean1 = s.empty(DType.F32, n);
      Tensor rstd1 = s.empty(DType.F32, n);
      LayerNorm.forward(in, p.get(LN1_W), p.get(LN1_B), EPS, ln1, mean1, rstd1, null);
      Tensor qkv = temp.empty(dt, n, 3 * c);
      linear(ln1, p.get(ATTN_W), p.get(ATTN_B), qkv);
      Tensor[] qkvHeads = new Tensor[3];
      for (int j = 0; j < 3; j++) {
        qkvHeads[j] = s.empty(dt, bh, t, config.headSize());
        splitHeads(config, qkv, j, qkvHeads[j], b, t);
      }
      Tensor probs = s.empty(dt, bh, t, t);
      Tensor att = temp.empty(dt, bh, t, config.headSize());
      CausalSelfAttention.forward(qkvHeads[0], qkvHeads[1], qkvHeads[2], probs, att, null);
      Tensor heads = s.empty(dt, n, c);
      mergeHeads(config, att, heads, b, t);
      Tensor mid = s.empty(dt, n, c);
      linear(heads, p.get(PROJ_W), p.get(PROJ_B), mid);
      Elementwise.add(mid, in, mid, null);
      Tensor ln2 = s.empty(dt, n, c);
      Tensor mean2 = s.empty(DType.F32, n);
      Tensor rstd2 = s.empty(DType.F32, n);
      LayerNorm.forward(mid, p.get(LN2_W), p.get(LN2_B), EPS, ln2, mean2, rstd2, null);
      Tensor hidden = s.empty(dt, n, 4 * c);
      linear(ln2, p.get(FC_W), p.get(FC_B), hidden);
      Tensor act = s.empty(dt, n, 4 * c);
      Gelu.forward(hidden, act, null);
      Tensor out = s.empty(dt, n, c);
      linear(act, p.get(MPROJ_W), p.get(MPROJ_B), out);
      Elementwise.add(out, mid, out, null);
      return new BlockActivations(s, b, t, new Tensor[] {in, ln1, mean1, rstd1, qkvHeads[0], qkvHeads[1],
          qkvHeads[2], probs, heads, mid, ln2, mean2, rstd2, hidden, act, out});
    } catch (RuntimeException e) {
      s.close();
      throw e;
    }
  }

  /** A block's parameter gradients in {@link GptWeights#BLOCK} order, and its input's gradient [B, T, C]. */
  record Gradients(List<Tensor> params, Tensor input) implements AutoCloseable {
    @Override
    public void close() {
      params.forEach(Tensor::close);
      input.close();
    }
  }

  /** The backward pass from the gradient of the block's output [B, T, C]. */
  static Gradients backward(GptConfig config, Allocator a, List<Tensor> p, BlockActivations s, Tensor gradOut) {
    DType dt = p.get(ATTN_W).dtype();
    long b = s.batch;
    long t = s.seq;
    long n = b * t;
    long c = config.width();
    long bh = b * config.heads();
    Tensor[] g = new Tensor[GptWeights.BLOCK.size()];
    try (Scope kept = new Scope(a, s.out.device()); Scope temp = new Scope(a, s.out.device())) {
      Tensor dOut = temp.keep(gradOut.view(n, c));
      // MLP: out = mid + act W^T + b, act = gelu(hidden), hidden = ln_2(mid) W^T + b.
      Tensor dAct = temp.empty(dt, n, 4 * c);
      linearBackward(dOut, s.act, p.get(MPROJ_W), dAct, g, MPROJ_W, kept);
      Gelu.backward(dAct, s.hidden, dAct, null);
      Tensor dLn2 = temp.empty(dt, n, c);
      linearBackward(dAct, s.ln2, p.get(FC_W), dLn2, g, FC_W, kept);
      Tensor dMid = temp.empty(dt, n, c);
      g[LN2_W] = kept.empty(DType.F32, c);
      g[LN2_B] = kept.empty(DType.F32, c);
      LayerNorm.backward(dLn2, s.mid, p.get(LN2_W), s.mean2, s.rstd2, dMid, g[LN2_W], g[LN2_B], false, null);
      Elementwise.add(dMid, dOut, dMid, null); // the residual
      // Attention: mid = x + heads W^T + b, heads = attention(q, k, v), qkv = ln_1(x) W^T + b.
      Tensor dHeads = temp.empty(dt, n, c);
      linearBackward(dMid, s.heads, p.get(PROJ_W), dHeads, g, PROJ_W, kept);
      Tensor dAtt = temp.empty(dt, bh, t, config.headSize());
      splitMergedHeads(config, dHeads, dAtt, b, t);
      Tensor[] dQkv = new Tensor[3];
      for (int j = 0; j < 3; j++) {
        dQkv[j] = temp.empty(dt, bh, t, config.headSize());
      }
      Tensor scratch = temp.empty(dt, bh, t, t);
      CausalSelfAttention.backward(s.q, s.k, s.v, s.probs, dAtt, dQkv[0], dQkv[1], dQkv[2], scratch, null);
      Tensor dQkvRows = temp.empty(dt, n, 3 * c);
      for (int j = 0; j < 3; j++) {
        joinHeads(config, dQkv[j], dQkvRows, j, b, t);
      }
      Tensor dLn1 = temp.empty(dt, n, c);
      linearBackward(dQkvRows, s.ln1, p.get(ATTN_W), dLn1, g, ATTN_W, kept);
      Tensor dIn = kept.empty(dt, n, c);
      g[LN1_W] = kept.empty(DType.F32, c);
      g[LN1_B] = kept.empty(DType.F32, c);
      LayerNorm.backward(dLn1, s.input, p.get(LN1_W), s.mean1, s.rstd1, dIn, g[LN1_W], g[LN1_B], false, null);
      Elementwise.add(dIn, dMid, dIn, null);
      List<Tensor> grads = new ArrayList<>(List.of(g));
      for (Tensor grad : grads) {
        kept.release(grad);
      }
      kept.release(dIn);
      try {
        return new Gradients(grads, dIn.view(b, t, c));
      } finally {
        dIn.close(); // the view holds the storage
      }
    }
  }

  /** out = in W^T + bias, rows [N, in] to [N, out]. */
  static void linear(Tensor in, Tensor weight, Tensor bias, Tensor out) {
    Gemm.matmul(in, weight, out, false, true, 1.0, 0.0, null);
    Bias.add(out, bias, out, null);
  }

  /**
   * The gradients of out = in W^T + bias from dOut: W's (dOut^T in) and the bias's (dOut's column
   * sums, F32) into g[weight] and g[weight + 1], and the input's (dOut W) into dIn.
   */
  private static void linearBackward(Tensor dOut, Tensor in, Tensor weight, Tensor dIn, Tensor[] g, int w,
      Scope kept) {
    g[w] = kept.empty(weight.dtype(), weight.shape().toArray());
    Gemm.matmul(dOut, in, g[w], true, false, 1.0, 0.0, null);
    g[w + 1] = kept.empty(DType.F32, weight.shape().dim(0));
    Bias.backward(dOut, g[w + 1], false, null);
    Gemm.matmul(dOut, weight, dIn, false, false, 1.0, 0.0, null);
  }

  /** Block j of qkv [B*T, 3C] (q, k or v) into [B*H, T, hs], head h = features h*hs .. (h+1)*hs - 1. */
  private static void splitHeads(GptConfig config, Tensor qkv, int j, Tensor dst, long b, long t) {
    try (Tensor five = qkv.view(b, t, 3, config.heads(), config.headSize()); Tensor one = five.select(2, j);
        Tensor byHead = one.transpose(1, 2); Tensor target = dst.view(b, config.heads(), t, config.headSize())) {
      target.copyFrom(byHead);
    }
  }

  /** The gradient of head block j [B*H, T, hs] into its columns of dQkv [B*T, 3C]. */
  private static void joinHeads(GptConfig config, Tensor src, Tensor dQkv, int j, long b, long t) {
    try (Tensor five = dQkv.view(b, t, 3, config.heads(), config.headSize()); Tensor one = five.select(2, j);
        Tensor byHead = one.transpose(1, 2); Tensor from = src.view(b, config.heads(), t, config.headSize())) {
      byHead.copyFrom(from);
    }
  }

  /** Heads [B*H, T, hs] side by side into rows [B*T, C]. */
  private static void mergeHeads(GptConfig config, Tensor att, Tensor rows, long b, long t) {
    try (Tensor four = rows.view(b, t, config.heads(), config.headSize()); Tensor byHead = four.transpose(1, 2);
        Tensor from = att.view(b, config.heads(), t, config.headSize())) {
      byHead.copyFrom(from);
    }
  }

  /** The inverse of {@link #mergeHeads}: rows [B*T, C] into heads [B*H, T, hs]. */
  private static void splitMergedHeads(GptConfig config, Tensor rows, Tensor att, long b, long t) {
    try (Tensor four = rows.view(b, t, config.heads(), config.headSize()); Tensor byHead = four.transpose(1, 2);
        Tensor target = att.view(b, config.heads(), t, config.headSize())) {
      target.copyFrom(byHead);
    }
  }
}
