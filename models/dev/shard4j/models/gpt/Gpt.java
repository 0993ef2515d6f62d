package dev.shard4j.models.gpt;

import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A GPT-2-style model on unsharded parameters, the units of {@link GptWeights} (the embeddings'
 * unit, then one per block): the mean next-token loss, its gradients, and text generation. The
 * model knows nothing of parallelism; the trainer runs the same unit functions with each
 * unit's parameters gathered by its shard group. Thread-safe (it holds only the config).
 */
public final class Gpt {
  private final GptConfig config;

  /**
   * The model of a config.
   *
   * @param config its shape
   */
  public Gpt(GptConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  /**
   * The shape.
   *
   * @return the config
   */
  public GptConfig config() {
    return config;
  }

  /**
   * Checks a batch of token ids before any work (and before any rank blocks): [B, T], I32 or I64,
   * T no longer than the context. The ids are checked against the vocabulary where the tensor is
   * on the CPU (by the embedding and cross-entropy kernels, naming the position).
   *
   * @param tokens the tensor
   * @param name its name for the message
   */
  public void checkTokens(Tensor tokens, String name) {
    Objects.requireNonNull(tokens, name);
    if (tokens.rank() != 2 || tokens.shape().dim(0) < 1 || tokens.shape().dim(1) < 1) {
      throw new IllegalArgumentException(name + " must be [batch, seq] with both at least 1, got " + tokens.shape());
    }
    if (tokens.dtype() != DType.I32 && tokens.dtype() != DType.I64) {
      throw new IllegalArgumentException(name + " must hold I32 or I64 token ids, got " + tokens.dtype());
    }
    if (tokens.shape().dim(1) > config.context()) {
      throw new IllegalArgumentException(name + " holds sequences of " + tokens.shape().dim(1)
          + " tokens, longer than the context of " + config.context());
    }
  }

  /**
   * The mean cross-entropy of targets given tokens, and the gradient of every parameter.
   *
   * @param a where activations and gradients are allocated
   * @param units the parameters, unit by unit in {@link GptWeights#specs} order, one dtype (F32 or BF16)
   * @param tokens [B, T] token ids
   * @param targets [B, T] the next token of each position
   * @return the loss, and the gradients unit by unit (F32, or the parameters' dtype for the
   *     matrices of the blocks), owned by the caller
   */
  public LossAndGradients lossAndGradients(Allocator a, List<List<Tensor>> units, Tensor tokens, Tensor targets) {
    checkBatch(units, tokens, targets);
    Device device = tokens.device();
    List<List<Tensor>> grads = new ArrayList<>();
    List<BlockActivations> acts = new ArrayList<>();
    Tensor gradX = null;
    try (Tensor lossSum = Tensors.zeros(a, DType.F64, device, 1)) {
      Tensor x = Head.embed(a, units.get(0), tokens);
      try {
        for (int l = 0; l < config.layers(); l++) {
          acts.add(Block.forward(config, a, units.get(1 + l), x));
          x.close();
          x = acts.get(l).output();
        }
        try (Head.Gradients head = Head.lossAndBackward(a, units.get(0), x, targets, lossSum, 1.0)) {
          gradX = head.input().view(head.input().shape().toArray());
          for (int l = config.layers() - 1; l >= 0; l--) {
            Block.Gradients g = Block.backward(config, a, units.get(1 + l), acts.get(l), gradX);
            grads.add(0, g.params()); // owned from here on, as is the input's gradient
            gradX.close();
            gradX = g.input();
            acts.remove(l).close();
          }
          grads.add(0, Head.embeddingGradients(a, tokens, gradX, head, config.context()));
        }
      } finally {
        x.close();
      }
      return new LossAndGradients(lossSum.toDoubleArray()[0], grads);
    } catch (RuntimeException e) {
      grads.forEach(list -> list.forEach(Tensor::close));
      throw e;
    } finally {
      if (gradX != null) {
        gradX.close();
      }
      acts.forEach(BlockActivations::close);
    }
  }

  /**
   * A loss and the gradients of every unit.
   *
   * @param loss the mean cross-entropy
   * @param gradients unit by unit, in spec order, owned by the holder
   */
  public record LossAndGradients(double loss, List<List<Tensor>> gradients) implements AutoCloseable {
    /** Frees the gradients. */
    @Override
    public void close() {
      gradients.forEach(list -> list.forEach(Tensor::close));
    }
  }

  /**
   * The mean cross-entropy of targets given tokens, forward only.
   *
   * @param a where activations are allocated
   * @param units the parameters, unit by unit
   * @param tokens [B, T] token ids
   * @param targets [B, T] the next tokens
   * @return the loss
   */
  public double loss(Allocator a, List<List<Tensor>> units, Tensor tokens, Tensor targets) {
    checkBatch(units, tokens, targets);
    try (Tensor lossSum = Tensors.zeros(a, DType.F64, tokens.device(), 1); Tensor x = lastHidden(a, units, tokens)) {
      Head.loss(a, units.get(0), x, targets, lossSum, 1.0);
      return lossSum.toDoubleArray()[0];
    }
  }

  /** The last block's output [B, T, C] for tokens, forward only. */
  private Tensor lastHidden(Allocator a, List<List<Tensor>> units, Tensor tokens) {
    Tensor x = Head.embed(a, units.get(0), tokens);
    for (int l = 0; l < config.layers(); l++) {
      try (Tensor input = x; BlockActivations act = Block.forward(config, a, units.get(1 + l), input)) {
        x = act.output();
      }
    }
    return x;
  }

  /**
   * Continues a prompt by sampling one token at a time from the softmax of the last position's
   * logits divided by the temperature, among the topK likeliest (0: all), with a seeded random
   * source; the window slides once the context is full.
   *
   * @param a where activations are allocated
   * @param units the parameters, unit by unit
   * @param prompt at least one token id
   * @param count tokens to add, 0 or more
   * @param temperature more than 0 (1: the model's distribution)
   * @param topK 0 for all tokens, else how many of the likeliest to draw from
   * @param seed the random source's seed
   * @return the prompt followed by the new tokens
   */
  public int[] generate(Allocator a, List<List<Tensor>> units, int[] prompt, int count, double temperature, int topK,
      long seed) {
    Objects.requireNonNull(prompt, "prompt");
    if (prompt.length == 0) {
      throw new IllegalArgumentException("prompt must hold at least one token");
    }
    if (count < 0) {
      throw new IllegalArgumentException("count must be 0 or more, got " + count);
    }
    if (!(temperature > 0) || !Double.isFinite(temperature)) {
      throw new IllegalArgumentException("temperature must be finite and more than 0, got " + temperature);
    }
    if (topK < 0) {
      throw new IllegalArgumentException("topK must be 0 (all) or more, got " + topK);
    }
    for (int i = 0; i < prompt.length; i++) {
      if (prompt[i] < 0 || prompt[i] >= config.vocab()) {
        throw new IllegalArgumentException("prompt[" + i + "] = " + prompt[i] + " is not in [0, " + config.vocab() + ")");
      }
    }
    Device device = units.get(0).get(0).device();
    SplittableRandom random = new SplittableRandom(seed);
    int[] text = Arrays.copyOf(prompt, prompt.length + count);
    for (int made = prompt.length; made < text.length; made++) {
      int from = Math.max(0, made - config.context());
      int[] window = Arrays.copyOfRange(text, from, made);
      float[] logits;
      try (Tensor tokens = Tensors.fromArray(a, window, DType.I32, device, 1, window.length);
          Tensor x = lastHidden(a, units, tokens); Tensor all = Head.logits(a, units.get(0), x);
          Tensor last = all.narrow(0, window.length - 1, 1)) {
        logits = last.toFloatArray();
      }
      text[made] = Sampling.draw(logits, temperature, topK, random);
    }
    return text;
  }

  private void checkBatch(List<List<Tensor>> units, Tensor tokens, Tensor targets) {
    Objects.requireNonNull(units, "units");
    if (units.size() != GptWeights.units(config)) {
      throw new IllegalArgumentException("expected " + GptWeights.units(config) + " units of parameters, got "
          + units.size());
    }
    checkTokens(tokens, "tokens");
    checkTokens(targets, "targets");
    if (!targets.shape().equals(tokens.shape())) {
      throw new IllegalArgumentException("targets " + targets.shape() + " must have the shape of tokens "
          + tokens.shape());
    }
  }
}
