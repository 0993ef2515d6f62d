package dev.shard4j.models.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ByteTokensTest {
  @Test
  void roundTripsTextOfAnyScript() {
    SplittableRandom random = new SplittableRandom(7);
    for (int round = 0; round < 50; round++) {
      StringBuilder text = new StringBuilder();
      int length = random.nextInt(1, 300);
      for (int i = 0; i < length; i++) {
        int codePoint;
        do {
          codePoint = random.nextInt(4) == 0 ? random.nextInt(0x80, 0x2FFFF) : random.nextInt(0x20, 0x7F);
        } while (Character.getType(codePoint) == Character.SURROGATE || !Character.isDefined(codePoint));
        text.appendCodePoint(codePoint);
      }
      int[] ids = ByteTokens.encode(text.toString());
      assertEquals(text.toString().getBytes(StandardCharsets.UTF_8).length, ids.length);
      for (int id : ids) {
        assertTrue(id >= 0 && id < ByteTokens.VOCAB_SIZE, "id " + id);
      }
      assertEquals(text.toString(), ByteTokens.decode(ids));
    }
  }

  @Test
  void encodesEveryByteValue() {
    byte[] all = new byte[256];
    int[] expected = new int[256];
    for (int i = 0; i < 256; i++) {
      all[i] = (byte) i;
      expected[i] = i;
    }
    assertArrayEquals(expected, ByteTokens.encode(all));
  }

  @Test
  void replacesMalformedUtf8() {
    int[] euro = ByteTokens.encode("\u20ac");
    assertEquals(3, euro.length);
    // The first two bytes of a three-byte sequence, cut where a sampled continuation would end.
    assertEquals("a\ufffd", ByteTokens.decode(new int[] {'a', euro[0], euro[1]}));
    assertEquals("\ufffdb", ByteTokens.decode(new int[] {0x80, 'b'}));
    assertEquals("\u20ac", ByteTokens.decode(new int[] {'x', euro[0], euro[1], euro[2], 'y'}, 1, 4));
  }

  @Test
  void refusesTokensOutsideTheVocabulary() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ByteTokens.decode(new int[] {65, 66, 256}));
    assertTrue(e.getMessage().contains("256") && e.getMessage().contains("index 2"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ByteTokens.check(new int[] {-1}));
    assertThrows(IllegalArgumentException.class, () -> ByteTokens.decode(new int[] {1, 2}, 1, 3));
    assertThrows(IllegalArgumentException.class, () -> TokenSpan.of(new int[] {3, 300}));
    ByteTokens.check(new int[] {0, 255});
  }
}
