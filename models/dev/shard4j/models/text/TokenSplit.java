package dev.shard4j.models.text;

import java.util.Locale;

/**
 * Tokens split into a training part and a held-out validation part: the validation part is the
 * last fraction of the text, so that no validation window overlaps a training one. Both parts
 * share one copy of the tokens. Immutable and thread-safe.
 */
public final class TokenSplit {
  /** The share of the text held out when none is given. */
  public static final double DEFAULT_VALIDATION_FRACTION = 0.1;

  private final TokenSpan train;
  private final TokenSpan validation;
  private final double validationFraction;

  private TokenSplit(TokenSpan train, TokenSpan validation, double validationFraction) {
    this.train = train;
    this.validation = validation;
    this.validationFraction = validationFraction;
  }

  /**
   * Splits off the last {@value #DEFAULT_VALIDATION_FRACTION} of the tokens.
   *
   * @param tokens the tokens, each in [0, 256)
   * @param sequenceLength the model's context T: each part must hold at least one window of T + 1 tokens
   * @return the split
   * @throws IllegalArgumentException as {@link #of(TokenSpan, double, int)}
   */
  public static TokenSplit of(int[] tokens, int sequenceLength) {
    return of(TokenSpan.of(tokens), DEFAULT_VALIDATION_FRACTION, sequenceLength);
  }

  /**
   * Splits off the last fraction of the tokens (rounded to whole tokens).
   *
   * @param tokens the tokens
   * @param validationFraction the share held out, in (0, 1)
   * @param sequenceLength the model's context T: each part must hold at least one window of T + 1 tokens
   *     (T inputs and the T targets one token later)
   * @return the split
   * @throws IllegalArgumentException when the fraction is not in (0, 1), T is below 1, or either part
   *     would be shorter than T + 1 tokens (the message says how many tokens the text needs)
   */
  public static TokenSplit of(TokenSpan tokens, double validationFraction, int sequenceLength) {
    if (tokens == null) {
      throw new IllegalArgumentException("tokens is null");
    }
    if (!(validationFraction > 0 && validationFraction < 1)) {
      throw new IllegalArgumentException("validationFraction must be in (0, 1), got " + validationFraction);
    }
    if (sequenceLength < 1 || sequenceLength == Integer.MAX_VALUE) {
      throw new IllegalArgumentException("sequenceLength must be in [1, " + (Integer.MAX_VALUE - 1) + "), got "
          + sequenceLength);
    }
    int n = tokens.length();
    int held = validationLength(n, validationFraction);
    int window = sequenceLength + 1;
    if (held < window || n - held < window) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "%,d tokens split %.0f%% / %.0f%% leave %,d for training and %,d for validation, but each part needs at"
              + " least %,d (sequence length %,d plus one); the text needs at least %s tokens (bytes)",
          n, 100 * (1 - validationFraction), 100 * validationFraction, n - held, held, window, sequenceLength,
          needed(validationFraction, window)));
    }
    return new TokenSplit(tokens.slice(0, n - held), tokens.slice(n - held, n), validationFraction);
  }

  /**
   * The training part: the text before the validation part.
   *
   * @return the tokens
   */
  public TokenSpan train() {
    return train;
  }

  /**
   * The validation part: the end of the text.
   *
   * @return the tokens
   */
  public TokenSpan validation() {
    return validation;
  }

  /**
   * The share held out, as asked for.
   *
   * @return the fraction
   */
  public double validationFraction() {
    return validationFraction;
  }

  /**
   * One line for the log.
   *
   * @return e.g. "train 5,400,000 tokens, validation 600,000 tokens (10%)"
   */
  public String describe() {
    return String.format(Locale.ROOT, "train %,d tokens, validation %,d tokens (%.3g%%)", train.length(),
        validation.length(), 100 * validationFraction);
  }

  private static int validationLength(long n, double fraction) {
    return (int) Math.round(n * fraction);
  }

  /** The shortest text whose parts both hold a window. */
  private static String needed(double fraction, int window) {
    long n = (long) Math.ceil(window / Math.min(fraction, 1 - fraction));
    while (n > 2L * window && fits(n - 1, fraction, window)) {
      n--;
    }
    while (!fits(n, fraction, window)) {
      n++;
    }
    return String.format(Locale.ROOT, "%,d", n);
  }

  private static boolean fits(long n, double fraction, int window) {
    long held = Math.round(n * fraction);
    return held >= window && n - held >= window;
  }
}
