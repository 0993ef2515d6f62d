package dev.shard4j.models.text;

/**
 * A read-only run of byte tokens ({@link ByteTokens}): a stretch of a token array that no one can
 * change, shared without copying between the splits and samplers made from it. Immutable and
 * thread-safe.
 */
public final class TokenSpan {
  private final int[] tokens;
  private final int offset;
  private final int length;

  private TokenSpan(int[] tokens, int offset, int length) {
    this.tokens = tokens;
    this.offset = offset;
    this.length = length;
  }

  /**
   * A span holding a copy of the tokens.
   *
   * @param tokens the tokens, each in [0, 256)
   * @return the span
   * @throws IllegalArgumentException when a token is outside the byte vocabulary
   */
  public static TokenSpan of(int[] tokens) {
    if (tokens == null) {
      throw new IllegalArgumentException("tokens is null");
    }
    ByteTokens.check(tokens);
    return new TokenSpan(tokens.clone(), 0, tokens.length);
  }

  /**
   * Part of this span, sharing its tokens.
   *
   * @param from the first index, inclusive
   * @param to the last index, exclusive
   * @return the part
   * @throws IllegalArgumentException when the range does not fit
   */
  public TokenSpan slice(int from, int to) {
    if (from < 0 || to < from || to > length) {
      throw new IllegalArgumentException("range [" + from + ", " + to + ") does not fit " + length + " tokens");
    }
    return new TokenSpan(tokens, offset + from, to - from);
  }

  /**
   * How many tokens the span holds.
   *
   * @return the length
   */
  public int length() {
    return length;
  }

  /**
   * One token.
   *
   * @param index in [0, length())
   * @return the token
   * @throws IndexOutOfBoundsException outside the span
   */
  public int get(int index) {
    if (index < 0 || index >= length) {
      throw new IndexOutOfBoundsException("index " + index + " outside " + length + " tokens");
    }
    return tokens[offset + index];
  }

  /**
   * Copies tokens out.
   *
   * @param from the first index in this span
   * @param dest where to write
   * @param destOffset the first index written
   * @param count how many tokens
   * @throws IndexOutOfBoundsException when either range does not fit
   */
  public void copyTo(int from, int[] dest, int destOffset, int count) {
    if (from < 0 || count < 0 || from > length - count) {
      throw new IndexOutOfBoundsException("[" + from + ", " + from + " + " + count + ") outside " + length + " tokens");
    }
    System.arraycopy(tokens, offset + from, dest, destOffset, count);
  }

  /**
   * The tokens as an array.
   *
   * @return a copy
   */
  public int[] toArray() {
    int[] copy = new int[length];
    System.arraycopy(tokens, offset, copy, 0, length);
    return copy;
  }

  /**
   * The text of the span.
   *
   * @return the decoded UTF-8, malformed sequences replaced
   */
  public String decode() {
    return ByteTokens.decode(tokens, offset, offset + length);
  }
}
