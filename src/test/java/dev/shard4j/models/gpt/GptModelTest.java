package dev.shard4j.models.gpt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shard4j.parallel.fsdp.ParamSpec;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The whole model against {@link GptReference}: the loss on random weights (never GPT-2's zeros
 * and ones, so that every parameter matters), every parameter's gradient against central finite
 * differences of the double-precision reference, BF16 within its precision, generation, and the
 * errors of bad input.
 */
class GptModelTest {
  /** Odd sizes everywhere: head size 5, 7 positions of a 9-long context, a vocabulary of 23. */
  private static final GptConfig TINY = new GptConfig(2, 3, 15, 9, 23);
  private static final int BATCH = 3;
  private static final int SEQ = 7;

  @Test
  void lossMatchesTheReference() {
    try (Allocator a = Allocator.root("gpt-loss"); Fixture f = new Fixture(a, DType.F32, 1)) {
      double loss = new Gpt(TINY).loss(a, f.units, f.tokens, f.targets);
      double expected = new GptReference(TINY, f.values).loss(f.tokenRows, f.targetRows);
      assertEquals(expected, loss, 1e-5 * expected);
    }
  }

  @Test
  void everyGradientMatchesFiniteDifferences() {
    try (Allocator a = Allocator.root("gpt-grad"); Fixture f = new Fixture(a, DType.F32, 2);
        Gpt.LossAndGradients lg = new Gpt(TINY).lossAndGradients(a, f.units, f.tokens, f.targets)) {
      GptReference reference = new GptReference(TINY, f.values);
      assertEquals(reference.loss(f.tokenRows, f.targetRows), lg.loss(), 1e-5 * lg.loss());
      SplittableRandom pick = new SplittableRandom(3);
      int checked = 0;
      for (int u = 0; u < f.specs.size(); u++) {
        for (int q = 0; q < f.specs.get(u).size(); q++) {
          String name = f.specs.get(u).get(q).name();
          double[] grad = lg.gradients().get(u).get(q).toDoubleArray();
          double[] w = f.values.get(name);
          assertEquals(w.length, grad.length, name);
          double largest = 0;
          for (double g : grad) {
            largest = Math.max(largest, Math.abs(g));
          }
          assertTrue(largest > 0, name + " has no gradient at all");
          for (int trial = 0; trial < 4; trial++) {
            int i = pick.nextInt(w.length);
            double keep = w[i];
            double h = 1e-4;
            w[i] = keep + h;
            double up = reference.loss(f.tokenRows, f.targetRows);
            w[i] = keep - h;
            double down = reference.loss(f.tokenRows, f.targetRows);
            w[i] = keep;
            double fd = (up - down) / (2 * h);
            assertEquals(fd, grad[i], 1e-3 * largest + 1e-3 * Math.abs(fd), name + "[" + i + "]");
            checked++;
          }
        }
      }
      assertEquals(4 * (4 + 12 * TINY.layers()), checked);
    }
  }

  @Test
  void bf16TracksFp32WithinItsPrecision() {
    try (Allocator a = Allocator.root("gpt-bf16"); Fixture f32 = new Fixture(a, DType.F32, 4);
        Fixture bf16 = new Fixture(a, DType.BF16, 4)) {
      Gpt gpt = new Gpt(TINY);
      double full = gpt.loss(a, f32.units, f32.tokens, f32.targets);
      try (Gpt.LossAndGradients lg = gpt.lossAndGradients(a, bf16.units, bf16.tokens, bf16.targets)) {
        assertEquals(full, lg.loss(), 2e-2 * full);
        assertEquals(DType.BF16, lg.gradients().get(1).get(2).dtype()); // a block matrix: the product's dtype
        assertEquals(DType.F32, lg.gradients().get(0).get(0).dtype()); // the tied table: F32
      }
    }
  }

  @Test
  void generationIsSeededAndStaysInTheVocabulary() {
    try (Allocator a = Allocator.root("gpt-sample"); Fixture f = new Fixture(a, DType.F32, 5)) {
      Gpt gpt = new Gpt(TINY);
      int[] prompt = {1, 2, 3};
      int[] first = gpt.generate(a, f.units, prompt, 12, 0.8, 5, 42); // longer than the context: slides
      int[] again = gpt.generate(a, f.units, prompt, 12, 0.8, 5, 42);
      assertArrayEquals(first, again);
      assertEquals(15, first.length);
      for (int t : first) {
        assertTrue(t >= 0 && t < TINY.vocab());
      }
      int[] greedy = gpt.generate(a, f.units, prompt, 4, 1.0, 1, 7);
      int[] greedyOther = gpt.generate(a, f.units, prompt, 4, 1.0, 1, 8);
      assertArrayEquals(greedy, greedyOther, "top-1 ignores the seed");
      assertThrows(IllegalArgumentException.class, () -> gpt.generate(a, f.units, new int[] {23}, 1, 1, 0, 1));
      assertThrows(IllegalArgumentException.class, () -> gpt.generate(a, f.units, prompt, 1, 0, 0, 1));
    }
  }

  @Test
  void badInputIsNamedBeforeAnyWork() {
    IllegalArgumentException heads = assertThrows(IllegalArgumentException.class, () -> new GptConfig(2, 4, 18, 8, 256));
    assertTrue(heads.getMessage().contains("heads"), heads.getMessage());
    try (Allocator a = Allocator.root("gpt-bad"); Fixture f = new Fixture(a, DType.F32, 6)) {
      Gpt gpt = new Gpt(TINY);
      try (Tensor longer = Tensors.zeros(a, DType.I32, Device.CPU, 1, TINY.context() + 1)) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> gpt.loss(a, f.units, longer, longer));
        assertTrue(e.getMessage().contains("longer than the context"), e.getMessage());
      }
      int[] ids = f.tokens.toIntArray();
      ids[4] = TINY.vocab();
      try (Tensor outside = Tensors.fromArray(a, ids, DType.I32, Device.CPU, BATCH, SEQ)) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> gpt.loss(a, f.units, outside, f.targets));
        assertTrue(e.getMessage().contains("tokens[0, 4]"), e.getMessage());
      }
    }
  }

  /** Random weights and tokens: every unit's parameters in a dtype, and their fp32 values by name. */
  private static final class Fixture implements AutoCloseable {
    final List<List<ParamSpec>> specs = new ArrayList<>();
    final List<List<Tensor>> units = new ArrayList<>();
    final Map<String, double[]> values = new HashMap<>();
    final int[][] tokenRows = new int[BATCH][SEQ];
    final int[][] targetRows = new int[BATCH][SEQ];
    final Tensor tokens;
    final Tensor targets;

    Fixture(Allocator a, DType dtype, long seed) {
      for (int u = 0; u < GptWeights.units(TINY); u++) {
        List<ParamSpec> unit = GptWeights.specs(TINY, u);
        specs.add(unit);
        List<Tensor> tensors = new ArrayList<>();
        for (int q = 0; q < unit.size(); q++) {
          ParamSpec spec = unit.get(q);
          boolean gain = spec.name().contains("ln_") && spec.name().endsWith("weight");
          double std = spec.shape().rank() == 2 ? 0.3 : 0.2;
          try (Tensor f32 = Tensors.normal(a, DType.F32, Device.CPU, seed * 977 + u * 31 + q, gain ? 1 : 0, std,
              spec.shape().toArray())) {
            Tensor t = f32.cast(dtype);
            tensors.add(t);
            try (Tensor rounded = t.cast(DType.F32)) {
              values.put(spec.name(), rounded.toDoubleArray());
            }
          }
        }
        units.add(tensors);
      }
      SplittableRandom random = new SplittableRandom(seed);
      int[] flatTokens = new int[BATCH * SEQ];
      int[] flatTargets = new int[BATCH * SEQ];
      for (int i = 0; i < flatTokens.length; i++) {
        flatTokens[i] = random.nextInt(TINY.vocab());
        flatTargets[i] = random.nextInt(TINY.vocab());
        tokenRows[i / SEQ][i % SEQ] = flatTokens[i];
        targetRows[i / SEQ][i % SEQ] = flatTargets[i];
      }
      tokens = Tensors.fromArray(a, flatTokens, DType.I32, Device.CPU, BATCH, SEQ);
      targets = Tensors.fromArray(a, flatTargets, DType.I32, Device.CPU, BATCH, SEQ);
    }

    @Override
    public void close() {
      units.forEach(list -> list.forEach(Tensor::close));
      tokens.close();
      targets.close();
    }
  }
}
