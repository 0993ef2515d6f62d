package dev.shard4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The host's fp32 GEMM, split over the thread pool by rows or by columns (products large enough)
 * and by batch entries: against a double-precision reference for every transposition, odd sizes,
 * alpha and beta, and the same bits on one thread as on several.
 */
class HostGemmTest {
  private final Allocator a = Allocator.root("host-gemm");
  private final int threads = NativeApi.cpuThreads();

  @AfterEach
  void close() {
    NativeApi.setCpuThreads(threads);
    a.close();
  }

  @Test
  void splitProductsMatchTheReferenceAndOneThread() {
    // m >= n splits rows, m < n columns; both above the size that is split.
    int[][] shapes = {{301, 129, 97}, {67, 131, 403}, {5, 7, 3}};
    for (int[] s : shapes) {
      for (boolean ta : new boolean[] {false, true}) {
        for (boolean tb : new boolean[] {false, true}) {
          check(1, s[0], s[1], s[2], ta, tb);
        }
      }
    }
  }

  @Test
  void batchesMatchTheReferenceAndOneThread() {
    check(9, 33, 17, 65, false, true);
    check(9, 33, 17, 65, true, false);
    check(3, 160, 160, 160, false, false); // each product of the batch large enough to split
  }

  private void check(int batch, int m, int k, int n, boolean ta, boolean tb) {
    long[] aShape = batch == 1 ? (ta ? new long[] {k, m} : new long[] {m, k})
        : (ta ? new long[] {batch, k, m} : new long[] {batch, m, k});
    long[] bShape = batch == 1 ? (tb ? new long[] {n, k} : new long[] {k, n})
        : (tb ? new long[] {batch, n, k} : new long[] {batch, k, n});
    long[] cShape = batch == 1 ? new long[] {m, n} : new long[] {batch, m, n};
    try (Tensor x = Tensors.normal(a, DType.F32, Device.CPU, 1, 0, 1, aShape);
        Tensor y = Tensors.normal(a, DType.F32, Device.CPU, 2, 0, 1, bShape);
        Tensor c0 = Tensors.normal(a, DType.F32, Device.CPU, 3, 0, 1, cShape);
        Tensor many = c0.copy(); Tensor one = c0.copy()) {
      NativeApi.setCpuThreads(Math.max(2, threads));
      Gemm.matmul(x, y, many, ta, tb, 0.75, 0.5, null);
      NativeApi.setCpuThreads(1);
      Gemm.matmul(x, y, one, ta, tb, 0.75, 0.5, null);
      String what = batch + "x" + m + "x" + k + "x" + n + (ta ? " A^T" : "") + (tb ? " B^T" : "");
      assertArrayEquals(one.toFloatArray(), many.toFloatArray(), what + ": threads change the bits");
      float[] av = x.toFloatArray();
      float[] bv = y.toFloatArray();
      float[] cv = c0.toFloatArray();
      float[] got = many.toFloatArray();
      for (int q = 0; q < batch; q++) {
        for (int i = 0; i < m; i++) {
          for (int j = 0; j < n; j++) {
            double sum = 0;
            for (int p = 0; p < k; p++) {
              double ai = ta ? av[q * k * m + p * m + i] : av[q * m * k + i * k + p];
              double bj = tb ? bv[q * n * k + j * k + p] : bv[q * k * n + p * n + j];
              sum += ai * bj;
            }
            int at = q * m * n + i * n + j;
            double expected = 0.75 * sum + 0.5 * cv[at];
            assertEquals(expected, got[at], 1e-4 * (Math.sqrt(k) + Math.abs(expected)), what + " at " + at);
          }
        }
      }
    }
  }
}
