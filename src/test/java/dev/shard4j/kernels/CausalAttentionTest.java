package dev.shard4j.kernels;

import static dev.shard4j.testing.KernelFixture.close;
import static dev.shard4j.testing.KernelFixture.refused;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.testing.KernelFixture;
import dev.shard4j.testing.Reference;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The fused causal softmax and the attention built on it against their definitions in double, and
 * their gradients against central differences in double; F32 and BF16, odd sizes, outputs
 * poisoned with NaN first, masked probabilities exactly zero.
 */
class CausalAttentionTest {
  private static final DType[] TYPES = {DType.F32, DType.BF16};
  private final KernelFixture f = new KernelFixture("causal-attention-test");

  @AfterEach
  void closeFixture() {
    f.close();
  }

  /** softmax over j <= i of scale * s, 0 beyond, for every [t, t] matrix of s. */
  private static double[] softmax(double[] s, int n, int t, double scale) {
    double[] p = new double[s.length];
    for (int row = 0; row < n * t; row++) {
      int keep = row % t + 1;
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < keep; j++) {
        max = Math.max(max, scale * s[row * t + j]);
      }
      double sum = 0;
      for (int j = 0; j < keep; j++) {
        sum += Math.exp(scale * s[row * t + j] - max);
      }
      for (int j = 0; j < keep; j++) {
        p[row * t + j] = Math.exp(scale * s[row * t + j] - max) / sum;
      }
    }
    return p;
  }

  /** out = softmax(mask(q k^T / sqrt(hs))) v in double. */
  private static double[] attention(double[] q, double[] k, double[] v, int n, int t, int hs) {
    double[] s = new double[n * t * t];
    for (int b = 0; b < n; b++) {
      for (int i = 0; i < t; i++) {
        for (int j = 0; j < t; j++) {
          double dot = 0;
          for (int d = 0; d < hs; d++) {
            dot += q[(b * t + i) * hs + d] * k[(b * t + j) * hs + d];
          }
          s[(b * t + i) * t + j] = dot;
        }
      }
    }
    double[] p = softmax(s, n, t, 1 / Math.sqrt(hs));
    double[] out = new double[n * t * hs];
    for (int b = 0; b < n; b++) {
      for (int i = 0; i < t; i++) {
        for (int d = 0; d < hs; d++) {
          double sum = 0;
          for (int j = 0; j < t; j++) {
            sum += p[(b * t + i) * t + j] * v[(b * t + j) * hs + d];
          }
          out[(b * t + i) * hs + d] = sum;
        }
      }
    }
    return out;
  }

  private static double dot(double[] a, double[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += a[i] * b[i];
    }
    return sum;
  }

  private static double[] numeric(double[] x, DoubleSupplier loss) {
    double[] grad = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      double keep = x[i];
      x[i] = keep + 1e-6;
      double up = loss.getAsDouble();
      x[i] = keep - 1e-6;
      double down = loss.getAsDouble();
      x[i] = keep;
      grad[i] = (up - down) / 2e-6;
    }
    return grad;
  }

  @Test
  void causalSoftmaxMatchesItsDefinitionAndItsGradientTheFiniteDifferences() {
    Random r = new Random(61);
    for (DType dtype : TYPES) {
      for (int[] nt : new int[][] {{1, 1}, {3, 5}, {2, 67}}) {
        int n = nt[0];
        int t = nt[1];
        double scale = 0.37;
        double[] s = Reference.values(r, dtype, n * t * t, 3);
        double[] g = Reference.values(r, dtype, n * t * t, 1);
        Tensor scores = f.of(s, dtype, n, t, t);
        Tensor probs = f.poisoned(dtype, n, t, t);
        CausalSoftmax.forward(scores, scale, probs, null);
        double[] p = probs.toDoubleArray();
        double tol = dtype == DType.BF16 ? 8e-3 : 1e-6;
        String at = dtype + " " + n + "x" + t;
        close(softmax(s, n, t, scale), p, tol, tol, "probs " + at);
        for (int i = 0; i < p.length; i++) {
          if (i % t > (i / t) % t) {
            assertEquals(0.0, p[i], "masked " + i); // exactly +0
          }
        }
        Tensor gradScores = f.poisoned(dtype, n, t, t);
        Tensor gradProbs = f.of(g, dtype, n, t, t);
        CausalSoftmax.backward(probs, gradProbs, scale, gradScores, null);
        double[] expected = numeric(s, () -> dot(g, softmax(s, n, t, scale)));
        close(expected, gradScores.toDoubleArray(), tol * 5, tol * 5, "softmax gradient " + at);
        CausalSoftmax.backward(probs, gradProbs, scale, gradProbs, null); // in place
        assertArrayEquals(gradScores.toDoubleArray(), gradProbs.toDoubleArray(), "backward in place " + at);
        CausalSoftmax.forward(scores, scale, scores, null); // in place
        assertArrayEquals(p, scores.toDoubleArray(), "forward in place " + at);
      }
    }
  }

  @Test
  void attentionMatchesItsDefinitionAndItsGradientsTheFiniteDifferences() {
    Random r = new Random(62);
    for (DType dtype : TYPES) {
      for (int[] nth : new int[][] {{1, 1, 1}, {2, 5, 3}, {3, 9, 8}}) {
        int n = nth[0];
        int t = nth[1];
        int hs = nth[2];
        double[] q = Reference.values(r, dtype, n * t * hs, 1);
        double[] k = Reference.values(r, dtype, n * t * hs, 1);
        double[] v = Reference.values(r, dtype, n * t * hs, 1);
        double[] g = Reference.values(r, dtype, n * t * hs, 1);
        Tensor tq = f.of(q, dtype, n, t, hs);
        Tensor tk = f.of(k, dtype, n, t, hs);
        Tensor tv = f.of(v, dtype, n, t, hs);
        Tensor probs = f.poisoned(dtype, n, t, t);
        Tensor out = f.poisoned(dtype, n, t, hs);
        CausalSelfAttention.forward(tq, tk, tv, probs, out, null);
        double tol = dtype == DType.BF16 ? 3e-2 : 1e-5;
        String at = dtype + " " + n + "x" + t + "x" + hs;
        close(attention(q, k, v, n, t, hs), out.toDoubleArray(), tol, tol, "attention " + at);
        Tensor dq = f.poisoned(dtype, n, t, hs);
        Tensor dk = f.poisoned(dtype, n, t, hs);
        Tensor dv = f.poisoned(dtype, n, t, hs);
        CausalSelfAttention.backward(tq, tk, tv, probs, f.of(g, dtype, n, t, hs), dq, dk, dv,
            f.poisoned(dtype, n, t, t), null);
        DoubleSupplier loss = () -> dot(g, attention(q, k, v, n, t, hs));
        close(numeric(q, loss), dq.toDoubleArray(), tol * 3, tol * 3, "dq " + at);
        close(numeric(k, loss), dk.toDoubleArray(), tol * 3, tol * 3, "dk " + at);
        close(numeric(v, loss), dv.toDoubleArray(), tol * 3, tol * 3, "dv " + at);
      }
    }
  }

  @Test
  void badArgumentsAreRefusedByName() {
    Tensor q = f.poisoned(DType.F32, 2, 4, 3);
    Tensor k = f.poisoned(DType.F32, 2, 4, 3);
    Tensor probs = f.poisoned(DType.F32, 2, 4, 4);
    Tensor out = f.poisoned(DType.F32, 2, 4, 3);
    refused("scores must be [N, T, T]", () -> CausalSoftmax.forward(q, 1, q, null));
    refused("scale must be finite", () -> CausalSoftmax.forward(probs, Double.POSITIVE_INFINITY, probs, null));
    refused("gradScores overlaps probs", () -> CausalSoftmax.backward(probs, probs, 1, probs, null));
    refused("k has shape [2, 4, 4]", () -> CausalSelfAttention.forward(q, probs, q, probs, out, null));
    refused("probs has shape [2, 4, 3], expected [2, 4, 4]", () -> CausalSelfAttention.forward(q, k, k, out, out,
        null));
    refused("out overlaps q", () -> CausalSelfAttention.forward(q, k, k, probs, q, null));
    refused("q has dtype F16", () -> CausalSelfAttention.forward(f.poisoned(DType.F16, 2, 4, 3), k, k, probs, out,
        null));
    refused("gradK overlaps gradQ", () -> CausalSelfAttention.backward(q, k, k, probs, k, out, out, f.poisoned(
        DType.F32, 2, 4, 3), f.poisoned(DType.F32, 2, 4, 4), null));
  }
}
