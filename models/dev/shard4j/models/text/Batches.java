package dev.shard4j.models.text;

import java.util.SplittableRandom;

/**
 * Batches of next-token prediction drawn from a span of tokens, each a function of its index
 * alone. A batch of size B with index i holds the samples i * B to i * B + B - 1, and sample n is
 * the window of T + 1 tokens starting at {@link #start(long) start(n)}: so a resumed run finds its
 * data position from the batch index alone, and a global batch gives the same samples however it
 * is cut into ranks and micro-batches (see {@link #index}). Two orders:
 * {@linkplain #random random} (training: starts uniform over the span, from the seed and sample
 * index) and {@linkplain #sequential sequential} (validation: consecutive windows, a fixed set).
 * Immutable and thread-safe.
 */
public final class Batches {
  private final TokenSpan tokens;
  private final int batchSize;
  private final int sequenceLength;
  private final long seed;
  private final boolean random;
  /** Random: the number of possible starts; sequential: the number of whole, disjoint windows. */
  private final int windows;

  private Batches(TokenSpan tokens, int batchSize, int sequenceLength, long seed, boolean random) {
    if (tokens == null) {
      throw new IllegalArgumentException("tokens is null");
    }
    if (batchSize < 1 || sequenceLength < 1) {
      throw new IllegalArgumentException("batchSize and sequenceLength must be at least 1, got " + batchSize
          + " and " + sequenceLength);
    }
    if ((long) batchSize * sequenceLength > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("a batch of " + batchSize + " * " + sequenceLength
          + " tokens does not fit in an array");
    }
    if (tokens.length() <= sequenceLength) {
      throw new IllegalArgumentException(tokens.length() + " tokens hold no window of sequenceLength + 1 = "
          + ((long) sequenceLength + 1) + " tokens");
    }
    this.tokens = tokens;
    this.batchSize = batchSize;
    this.sequenceLength = sequenceLength;
    this.seed = seed;
    this.random = random;
    this.windows = random ? tokens.length() - sequenceLength : (tokens.length() - 1) / sequenceLength;
  }

  /**
   * Training batches: every sample starts at a position drawn uniformly from the span's
   * length - T starts, by a {@link SplittableRandom} seeded from the seed and the sample index.
   *
   * @param tokens the training tokens
   * @param batchSize B, rows per batch
   * @param sequenceLength T, tokens per row
   * @param seed the data seed
   * @return the sampler
   * @throws IllegalArgumentException when B or T is below 1, B * T does not fit an array, or the
   *     span is shorter than T + 1
   */
  public static Batches random(TokenSpan tokens, int batchSize, int sequenceLength, long seed) {
    return new Batches(tokens, batchSize, sequenceLength, seed, true);
  }

  /**
   * Validation batches: sample n is the (n mod {@link #windows()})-th of the disjoint windows that
   * tile the span, window k starting at k * T (its last target is the first token of the next), so
   * that batches 0 to {@link #batchesPerPass()} - 1 cover the span once, the last one wrapping to
   * its start when B does not divide the windows.
   *
   * @param tokens the validation tokens
   * @param batchSize B, rows per batch
   * @param sequenceLength T, tokens per row
   * @return the sampler
   * @throws IllegalArgumentException as {@link #random}
   */
  public static Batches sequential(TokenSpan tokens, int batchSize, int sequenceLength) {
    return new Batches(tokens, batchSize, sequenceLength, 0, false);
  }

  /**
   * The global index of a micro-batch, numbered by step, then rank, then micro-batch: with it, the
   * samples of one step are the same for any number of ranks and micro-batches that multiply to
   * the same global batch, as long as each micro-batch has the same size B.
   *
   * @param step the optimizer step, from 0
   * @param rank this rank, in [0, worldSize)
   * @param worldSize the ranks that each take their own micro-batches
   * @param microBatch the micro-batch within the step, in [0, microBatches)
   * @param microBatches micro-batches per rank and step (gradient accumulation)
   * @return the batch index for {@link #batch(long)}
   * @throws IllegalArgumentException when an argument is out of range or the index overflows
   */
  public static long index(long step, int rank, int worldSize, int microBatch, int microBatches) {
    if (step < 0 || worldSize < 1 || rank < 0 || rank >= worldSize || microBatches < 1 || microBatch < 0
        || microBatch >= microBatches) {
      throw new IllegalArgumentException("need step >= 0, 0 <= rank < worldSize, 0 <= microBatch < microBatches;"
          + " got step " + step + ", rank " + rank + " of " + worldSize + ", microBatch " + microBatch + " of "
          + microBatches);
    }
    return Math.addExact(Math.multiplyExact(Math.addExact(Math.multiplyExact(step, (long) worldSize), rank),
        (long) microBatches), microBatch);
  }

  /**
   * One batch.
   *
   * @param index the batch index, from 0
   * @return new arrays of B * T inputs and targets
   * @throws IllegalArgumentException when the index is negative or index * B overflows
   */
  public Batch batch(long index) {
    int[] inputs = new int[batchSize * sequenceLength];
    int[] targets = new int[batchSize * sequenceLength];
    batch(index, inputs, targets);
    return new Batch(inputs, targets, batchSize, sequenceLength);
  }

  /**
   * One batch written into the caller's arrays, e.g. reused every step.
   *
   * @param index the batch index, from 0
   * @param inputs receives B * T tokens
   * @param targets receives B * T tokens, each the one after the input at the same place
   * @throws IllegalArgumentException when the index is negative, index * B overflows, or an array is
   *     not B * T long
   */
  public void batch(long index, int[] inputs, int[] targets) {
    if (index < 0 || index > Long.MAX_VALUE / batchSize) {
      throw new IllegalArgumentException("batch index must be in [0, " + Long.MAX_VALUE / batchSize + "], got "
          + index);
    }
    int n = batchSize * sequenceLength;
    if (inputs == null || targets == null || inputs.length != n || targets.length != n) {
      throw new IllegalArgumentException("inputs and targets must each hold B * T = " + n + " tokens");
    }
    for (int row = 0; row < batchSize; row++) {
      int start = start(index * batchSize + row);
      tokens.copyTo(start, inputs, row * sequenceLength, sequenceLength);
      tokens.copyTo(start + 1, targets, row * sequenceLength, sequenceLength);
    }
  }

  /**
   * Where a sample's window starts.
   *
   * @param sample the sample index, from 0
   * @return the position of its first input token in the span; its targets start one later
   * @throws IllegalArgumentException when the sample index is negative
   */
  public int start(long sample) {
    if (sample < 0) {
      throw new IllegalArgumentException("sample index must be at least 0, got " + sample);
    }
    if (random) {
      return new SplittableRandom(mix(seed, sample)).nextInt(windows);
    }
    return (int) (sample % windows) * sequenceLength;
  }

  /**
   * Batches needed to see every window once.
   *
   * @return ceil(windows / B); for the sequential order, a pass over the span
   */
  public long batchesPerPass() {
    return (windows + (long) batchSize - 1) / batchSize;
  }

  /**
   * The windows samples are drawn from.
   *
   * @return random order: the possible starts (length - T); sequential: the disjoint windows
   */
  public int windows() {
    return windows;
  }

  /**
   * B.
   *
   * @return rows per batch
   */
  public int batchSize() {
    return batchSize;
  }

  /**
   * T.
   *
   * @return tokens per row
   */
  public int sequenceLength() {
    return sequenceLength;
  }

  /**
   * The span the windows are taken from.
   *
   * @return the tokens
   */
  public TokenSpan tokens() {
    return tokens;
  }

  /**
   * Whether starts are random (training) or sequential (validation).
   *
   * @return true for {@link #random}
   */
  public boolean isRandom() {
    return random;
  }

  /**
   * The data seed.
   *
   * @return the seed given to {@link #random}; 0 for sequential batches
   */
  public long seed() {
    return seed;
  }

  /**
   * A seed for one sample: neighbouring seeds and indices give unrelated streams, because both pass
   * through the SplitMix64 finaliser (a bijection) before and after they are combined.
   */
  static long mix(long seed, long sample) {
    return fmix(fmix(seed) + 0x9E3779B97F4A7C15L * (sample + 1));
  }

  private static long fmix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
