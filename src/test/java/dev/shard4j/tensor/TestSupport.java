package dev.shard4j.tensor;

import java.util.Random;

/** Shared helpers of the tensor tests. */
final class TestSupport {
  private TestSupport() {}

  /** Random floats over many magnitudes, with specials mixed in. */
  static float[] awkwardFloats(long seed, int n) {
    Random r = new Random(seed);
    float[] special = {0f, -0f, 1f, -1f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
        Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE,
        65504f, 65519.99f, 65520f, 65536f, 5.96e-8f, 2.98e-8f, 6.1e-5f, 1.0009765625f,
        1.00390625f, 1.001953125f, 3.0517578e-5f};
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      if (i < special.length) {
        out[i] = special[i];
      } else if (i % 3 == 0) {
        out[i] = Float.intBitsToFloat(r.nextInt()); // every bit pattern, NaNs included
      } else if (i % 3 == 1) {
        out[i] = (float) (r.nextGaussian() * Math.pow(2, r.nextInt(60) - 30));
      } else {
        // exact ties of bf16 and fp16 rounding: low bits 0x8000 or 0x1000
        int base = r.nextInt() & 0xFFFF0000;
        out[i] = Float.intBitsToFloat(r.nextBoolean() ? base | 0x8000 : (base & 0xFFFFE000) | 0x1000);
      }
    }
    return out;
  }

  static long[] randomShape(Random r, int rank, int max) {
    long[] shape = new long[rank];
    for (int i = 0; i < rank; i++) {
      shape[i] = 1 + r.nextInt(max);
    }
    return shape;
  }
}
