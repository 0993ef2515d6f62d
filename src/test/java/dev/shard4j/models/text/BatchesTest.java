package dev.shard4j.models.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BatchesTest {
  private static final int[] TOKENS = TokenSplitTest.random(5003, 9);
  private static final TokenSpan SPAN = TokenSpan.of(TOKENS);

  @Test
  void targetsAreTheInputsShiftedByOne() {
    int b = 5;
    int t = 17;
    Batches batches = Batches.random(SPAN, b, t, 42);
    for (long index : new long[] {0, 1, 2, 999, 123_456_789_012L}) {
      Batch batch = batches.batch(index);
      assertEquals(b * t, batch.inputs().length);
      for (int row = 0; row < b; row++) {
        int start = batches.start(index * b + row);
        assertTrue(start >= 0 && start + t < TOKENS.length, "start " + start);
        assertArrayEquals(Arrays.copyOfRange(TOKENS, start, start + t),
            Arrays.copyOfRange(batch.inputs(), row * t, row * t + t));
        assertArrayEquals(Arrays.copyOfRange(TOKENS, start + 1, start + t + 1),
            Arrays.copyOfRange(batch.targets(), row * t, row * t + t));
      }
    }
  }

  @Test
  void aBatchDependsOnlyOnSeedAndIndex() {
    Batches first = Batches.random(SPAN, 3, 11, 7);
    Batches again = Batches.random(SPAN, 3, 11, 7);
    Batches otherSeed = Batches.random(SPAN, 3, 11, 8);
    // Asked in another order, by a new sampler: as after a restart.
    for (long index = 40; index >= 0; index--) {
      assertArrayEquals(first.batch(index).inputs(), again.batch(index).inputs());
    }
    assertFalse(Arrays.equals(first.batch(0).inputs(), first.batch(1).inputs()));
    assertFalse(Arrays.equals(first.batch(5).inputs(), otherSeed.batch(5).inputs()));
    int[] inputs = new int[33];
    int[] targets = new int[33];
    first.batch(12, inputs, targets);
    assertArrayEquals(first.batch(12).targets(), targets);
  }

  @Test
  void theStartsOfOneSeedAreTheSameOnEveryJvm() {
    // SplittableRandom's algorithm is specified; a change here changes every training run's data.
    Batches batches = Batches.random(SPAN, 4, 8, 1234);
    int[] starts = new int[6];
    for (int i = 0; i < starts.length; i++) {
      starts[i] = batches.start(i);
    }
    assertArrayEquals(new int[] {1898, 294, 4495, 2475, 3334, 3985}, starts);
  }

  @Test
  void startsCoverTheSpanUniformly() {
    TokenSpan span = SPAN.slice(0, 60);
    Batches batches = Batches.random(span, 1, 10, 99);
    assertEquals(50, batches.windows());
    int[] counts = new int[50];
    int samples = 50_000;
    for (int n = 0; n < samples; n++) {
      counts[batches.start(n)]++;
    }
    // Each start is expected 1,000 times; 5 standard deviations is about 160.
    for (int c : counts) {
      assertTrue(Math.abs(c - 1000) < 160, Arrays.toString(counts));
    }
  }

  @Test
  void theSameGlobalBatchForAnySplitIntoRanksAndMicroBatches() {
    int t = 9;
    long seed = 31;
    // One rank of 24 samples per step, or 4 ranks of 2 micro-batches of 3.
    Batches whole = Batches.random(SPAN, 24, t, seed);
    Batches part = Batches.random(SPAN, 3, t, seed);
    for (long step = 0; step < 3; step++) {
      int[] expected = whole.batch(Batches.index(step, 0, 1, 0, 1)).inputs();
      int[] gathered = new int[expected.length];
      for (int rank = 0; rank < 4; rank++) {
        for (int micro = 0; micro < 2; micro++) {
          int[] piece = part.batch(Batches.index(step, rank, 4, micro, 2)).inputs();
          System.arraycopy(piece, 0, gathered, (rank * 2 + micro) * piece.length, piece.length);
        }
      }
      assertArrayEquals(expected, gathered, "step " + step);
    }
    assertEquals(3 * 8 * 5 + 2 * 5 + 4, Batches.index(3, 2, 8, 4, 5));
    assertThrows(IllegalArgumentException.class, () -> Batches.index(0, 4, 4, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> Batches.index(0, 0, 1, 2, 2));
    assertThrows(ArithmeticException.class, () -> Batches.index(Long.MAX_VALUE / 2, 1, 4, 0, 1));
  }

  @Test
  void validationBatchesTileTheSpanOnce() {
    int t = 7;
    int b = 4;
    TokenSpan span = SPAN.slice(100, 100 + 7 * 10 + 3);
    Batches validation = Batches.sequential(span, b, t);
    assertEquals(10, validation.windows());
    assertEquals(3, validation.batchesPerPass());
    Set<Integer> starts = new HashSet<>();
    for (long i = 0; i < validation.batchesPerPass() * b; i++) {
      starts.add(validation.start(i));
    }
    assertEquals(10, starts.size());
    for (int k = 0; k < 10; k++) {
      assertTrue(starts.contains(k * t));
    }
    Batch last = validation.batch(2);
    // Rows 8 and 9 are the last windows; rows 10 and 11 wrap to the first two.
    assertArrayEquals(span.slice(0, t).toArray(), Arrays.copyOfRange(last.inputs(), 2 * t, 3 * t));
    assertArrayEquals(span.slice(9 * t + 1, 10 * t + 1).toArray(), Arrays.copyOfRange(last.targets(), t, 2 * t));
    assertArrayEquals(last.inputs(), Batches.sequential(span, b, t).batch(2).inputs());
  }

  @Test
  void refusesBadShapesAndIndices() {
    assertThrows(IllegalArgumentException.class, () -> Batches.random(SPAN, 0, 8, 1));
    assertThrows(IllegalArgumentException.class, () -> Batches.random(SPAN, 2, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> Batches.random(SPAN.slice(0, 8), 2, 8, 1));
    assertThrows(IllegalArgumentException.class, () -> Batches.random(SPAN, 1 << 16, 1 << 16, 1));
    assertThrows(IllegalArgumentException.class, () -> Batches.sequential(null, 1, 1));
    Batches batches = Batches.random(SPAN.slice(0, 9), 2, 8, 1);
    assertEquals(1, batches.windows());
    assertEquals(0, batches.start(77));
    assertThrows(IllegalArgumentException.class, () -> batches.batch(-1));
    assertThrows(IllegalArgumentException.class, () -> batches.batch(Long.MAX_VALUE));
    assertThrows(IllegalArgumentException.class, () -> batches.batch(0, new int[16], new int[15]));
    assertThrows(IllegalArgumentException.class, () -> batches.start(-3));
    assertThrows(IllegalArgumentException.class, () -> new Batch(new int[6], new int[6], 2, 4));
  }

  @Test
  void handsABatchOverAsI32Tensors() {
    Batch batch = Batches.random(SPAN, 3, 13, 5).batch(4);
    try (Allocator allocator = Allocator.root("batches-test");
         Tensor inputs = batch.inputsTensor(allocator, Device.CPU);
         Tensor targets = batch.targetsTensor(allocator, Device.CPU)) {
      assertEquals(DType.I32, inputs.dtype());
      assertArrayEquals(new long[] {3, 13}, inputs.shape().toArray());
      assertArrayEquals(batch.inputs(), inputs.toIntArray());
      assertArrayEquals(batch.targets(), targets.toIntArray());
    }
  }
}
