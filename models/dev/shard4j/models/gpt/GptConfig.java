package dev.shard4j.models.gpt;

/**
 * The shape of a GPT-2-style model: pre-LayerNorm blocks of causal self-attention and a GELU
 * MLP four times the width, learned positions, and an LM head tied to the token embedding.
 *
 * @param layers transformer blocks, 1 or more
 * @param heads attention heads per block, dividing the width
 * @param width the model dimension C
 * @param context the longest sequence (rows of the position embedding)
 * @param vocab the vocabulary size (256 for byte tokens)
 */
public record GptConfig(int layers, int heads, int width, int context, int vocab) {
  /**
   * Checks the shape.
   *
   * @param layers transformer blocks, 1 or more
   * @param heads attention heads per block, dividing the width
   * @param width the model dimension C
   * @param context the longest sequence
   * @param vocab the vocabulary size
   */
  public GptConfig {
    positive(layers, "layers");
    positive(heads, "heads");
    positive(width, "width");
    positive(context, "context");
    positive(vocab, "vocab");
    if (width % heads != 0) {
      throw new IllegalArgumentException("heads (" + heads + ") must divide the width (" + width + ")");
    }
  }

  private static void positive(int value, String name) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be at least 1, got " + value);
    }
  }

  /**
   * The width of one head.
   *
   * @return width / heads
   */
  public int headSize() {
    return width / heads;
  }

  /**
   * The number of parameters, the tied head counted once.
   *
   * @return the weights of every table, block and LayerNorm
   */
  public long parameterCount() {
    long c = width;
    long block = 2 * c + (3 * c * c + 3 * c) + (c * c + c) + 2 * c + (4 * c * c + 4 * c) + (4 * c * c + c);
    return (long) vocab * c + (long) context * c + layers * block + 2 * c;
  }

  /**
   * The floating-point operations of a training step per token at a sequence length, forward and
   * backward (PaLM's estimate, as nanoGPT reports MFU): 6 per parameter outside the position table
   * plus 12 * layers * width * seq for attention.
   *
   * @param seq tokens per sequence
   * @return FLOPs per token
   */
  public double trainingFlopsPerToken(int seq) {
    double matrices = parameterCount() - (double) context * width;
    return 6 * matrices + 12.0 * layers * width * seq;
  }

  /**
   * For the log: "4 layers, 4 heads, width 128, context 64, vocab 256, 0.84M parameters".
   *
   * @return a one-line description
   */
  public String describe() {
    return String.format(java.util.Locale.ROOT, "%d layers, %d heads, width %d, context %d, vocab %d, %.2fM parameters",
        layers, heads, width, context, vocab, parameterCount() / 1e6);
  }
}
