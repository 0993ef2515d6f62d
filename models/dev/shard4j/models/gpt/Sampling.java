package dev.shard4j.models.gpt;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Drawing the next token from logits with a temperature and top-k, as nanoGPT's sample.py does. */
final class Sampling {
  private Sampling() {}

  /** A token drawn from softmax(logits / temperature) restricted to the topK largest (0: all). */
  static int draw(float[] logits, double temperature, int topK, SplittableRandom random) {
    int v = logits.length;
    double cutoff = Double.NEGATIVE_INFINITY;
    if (topK > 0 && topK < v) {
      float[] sorted = logits.clone();
      Arrays.sort(sorted);
      cutoff = sorted[v - topK];
    }
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    double[] weights = new double[v];
    double total = 0;
    for (int i = 0; i < v; i++) {
      weights[i] = logits[i] >= cutoff ? Math.exp((logits[i] - max) / temperature) : 0;
      total += weights[i];
    }
    double u = random.nextDouble() * total;
    for (int i = 0; i < v; i++) {
      u -= weights[i];
      if (u < 0 && weights[i] > 0) {
        return i;
      }
    }
    for (int i = v - 1; i >= 0; i--) { // rounding left u just above 0: the last candidate
      if (weights[i] > 0) {
        return i;
      }
    }
    throw new IllegalArgumentException("logits hold no finite value");
  }
}
