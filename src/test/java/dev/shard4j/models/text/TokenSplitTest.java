package dev.shard4j.models.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class TokenSplitTest {
  @Test
  void holdsOutTheLastTenthByDefault() {
    int[] tokens = random(10_007, 1);
    TokenSplit split = TokenSplit.of(tokens, 64);
    assertEquals(1001, split.validation().length());
    assertEquals(9006, split.train().length());
    assertArrayEquals(Arrays.copyOfRange(tokens, 0, 9006), split.train().toArray());
    assertArrayEquals(Arrays.copyOfRange(tokens, 9006, 10_007), split.validation().toArray());
    assertEquals("train 9,006 tokens, validation 1,001 tokens (10.0%)", split.describe());
  }

  @Test
  void takesAnyFractionAndKeepsItsOwnCopy() {
    int[] tokens = random(333, 2);
    TokenSplit split = TokenSplit.of(TokenSpan.of(tokens), 0.37, 5);
    assertEquals(Math.round(333 * 0.37), split.validation().length());
    assertEquals(333, split.train().length() + split.validation().length());
    int first = tokens[0];
    tokens[0] = (first + 1) % 256;
    assertEquals(first, split.train().get(0));
  }

  @Test
  void saysHowMuchTextIsNeeded() {
    int t = 128;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TokenSplit.of(random(1000, 3), t));
    assertTrue(e.getMessage().contains("129"), e.getMessage());
    Matcher needed = Pattern.compile("at least ([0-9,]+) tokens \\(bytes\\)").matcher(e.getMessage());
    assertTrue(needed.find(), e.getMessage());
    int n = Integer.parseInt(needed.group(1).replace(",", ""));
    TokenSplit split = TokenSplit.of(random(n, 4), t);
    assertTrue(split.validation().length() >= t + 1 && split.train().length() >= t + 1);
    assertThrows(IllegalArgumentException.class, () -> TokenSplit.of(random(n - 1, 5), t));
  }

  @Test
  void refusesBadArguments() {
    TokenSpan span = TokenSpan.of(random(100, 6));
    assertThrows(IllegalArgumentException.class, () -> TokenSplit.of(span, 0, 4));
    assertThrows(IllegalArgumentException.class, () -> TokenSplit.of(span, 1, 4));
    assertThrows(IllegalArgumentException.class, () -> TokenSplit.of(span, Double.NaN, 4));
    assertThrows(IllegalArgumentException.class, () -> TokenSplit.of(span, 0.5, 0));
    assertThrows(IllegalArgumentException.class, () -> TokenSplit.of(null, 0.5, 4));
    assertThrows(IllegalArgumentException.class, () -> span.slice(5, 101));
    assertThrows(IndexOutOfBoundsException.class, () -> span.get(100));
  }

  static int[] random(int n, long seed) {
    return new SplittableRandom(seed).ints(n, 0, 256).toArray();
  }
}
