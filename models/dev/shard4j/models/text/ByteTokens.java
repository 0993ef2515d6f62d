package dev.shard4j.models.text;

import java.nio.charset.StandardCharsets;

/**
 * Byte-level tokens: every byte of UTF-8 text is one token, its unsigned value, so the vocabulary
 * has 256 entries and any text, in any language, encodes without an unknown token. Stateless.
 */
public final class ByteTokens {
  /** The number of distinct tokens. */
  public static final int VOCAB_SIZE = 256;

  private ByteTokens() {
  }

  /**
   * The tokens of some bytes.
   *
   * @param bytes the text's bytes
   * @return one token in [0, 256) per byte
   */
  public static int[] encode(byte[] bytes) {
    if (bytes == null) {
      throw new IllegalArgumentException("bytes is null");
    }
    int[] ids = new int[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      ids[i] = bytes[i] & 0xFF;
    }
    return ids;
  }

  /**
   * The tokens of a text's UTF-8 bytes.
   *
   * @param text the text
   * @return one token per UTF-8 byte
   */
  public static int[] encode(String text) {
    if (text == null) {
      throw new IllegalArgumentException("text is null");
    }
    return encode(text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The text of some tokens. A model may sample bytes that are not valid UTF-8 (a sequence cut in
   * two, a stray continuation byte): each malformed sequence becomes U+FFFD.
   *
   * @param ids tokens in [0, 256)
   * @return the decoded text
   * @throws IllegalArgumentException naming the first token outside [0, 256)
   */
  public static String decode(int[] ids) {
    if (ids == null) {
      throw new IllegalArgumentException("ids is null");
    }
    return decode(ids, 0, ids.length);
  }

  /**
   * The text of a range of tokens.
   *
   * @param ids tokens in [0, 256)
   * @param from the first index, inclusive
   * @param to the last index, exclusive
   * @return the decoded text, malformed UTF-8 replaced by U+FFFD
   * @throws IllegalArgumentException when the range does not fit, or naming the first token outside [0, 256)
   */
  public static String decode(int[] ids, int from, int to) {
    if (ids == null) {
      throw new IllegalArgumentException("ids is null");
    }
    if (from < 0 || to < from || to > ids.length) {
      throw new IllegalArgumentException("range [" + from + ", " + to + ") does not fit " + ids.length + " tokens");
    }
    check(ids, from, to);
    byte[] bytes = new byte[to - from];
    for (int i = from; i < to; i++) {
      bytes[i - from] = (byte) ids[i];
    }
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /**
   * Checks that tokens are in the vocabulary.
   *
   * @param ids the tokens
   * @throws IllegalArgumentException naming the index and value of the first token outside [0, 256)
   */
  public static void check(int[] ids) {
    if (ids == null) {
      throw new IllegalArgumentException("ids is null");
    }
    check(ids, 0, ids.length);
  }

  private static void check(int[] ids, int from, int to) {
    for (int i = from; i < to; i++) {
      if (ids[i] < 0 || ids[i] >= VOCAB_SIZE) {
        throw new IllegalArgumentException("token " + ids[i] + " at index " + i + " is outside [0, " + VOCAB_SIZE
            + ")");
      }
    }
  }
}
