package dev.shard4j.kernels;

import static dev.shard4j.testing.KernelFixture.close;
import static dev.shard4j.testing.KernelFixture.refused;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.testing.KernelFixture;
import dev.shard4j.testing.Reference;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The fused softmax + cross-entropy against logsumexp in double, its gradient against central
 * differences of that loss in double; F32 and BF16 logits, I32 and I64 targets, odd vocabularies up
 * to GPT-2's, outputs poisoned with NaN first, the gradient in place over the logits.
 */
class CrossEntropyTest {
  private static final DType[] TYPES = {DType.F32, DType.BF16};
  private final KernelFixture f = new KernelFixture("cross-entropy-test");

  @AfterEach
  void closeFixture() {
    f.close();
  }

  private static double loss(double[] x, int row, int vocab, int target) {
    double max = Double.NEGATIVE_INFINITY;
    for (int v = 0; v < vocab; v++) {
      max = Math.max(max, x[row * vocab + v]);
    }
    double sum = 0;
    for (int v = 0; v < vocab; v++) {
      sum += Math.exp(x[row * vocab + v] - max);
    }
    return Math.log(sum) + max - x[row * vocab + target];
  }

  private static int[] targets(Random r, int rows, int vocab) {
    int[] t = new int[rows];
    for (int i = 0; i < rows; i++) {
      t[i] = r.nextInt(vocab);
    }
    return t;
  }

  private Tensor targetTensor(int[] t, DType dtype) {
    return f.ints(t, dtype, t.length);
  }

  @Test
  void lossesAndTheirMeanMatchLogSumExpInDouble() {
    Random r = new Random(41);
    for (DType dtype : TYPES) {
      for (int[] rv : new int[][] {{1, 1}, {5, 7}, {33, 1001}, {3, 50257}}) {
        int rows = rv[0];
        int vocab = rv[1];
        double[] x = Reference.values(r, dtype, rows * vocab, 3);
        int[] t = targets(r, rows, vocab);
        double[] expected = new double[rows];
        double mean = 0;
        for (int i = 0; i < rows; i++) {
          expected[i] = loss(x, i, vocab, t[i]);
          mean += expected[i] / rows;
        }
        for (DType targetType : new DType[] {DType.I32, DType.I64}) {
          Tensor losses = f.poisoned(DType.F32, rows);
          Tensor meanLoss = f.poisoned(DType.F32, 1);
          CrossEntropy.forward(f.of(x, dtype, rows, vocab), targetTensor(t, targetType), losses, meanLoss, null);
          String at = dtype + " " + rows + "x" + vocab + " " + targetType;
          close(expected, losses.toDoubleArray(), 1e-4, 1e-5, "losses " + at);
          close(new double[] {mean}, meanLoss.toDoubleArray(), 1e-4, 1e-5, "mean " + at);
        }
      }
    }
  }

  @Test
  void gradientMatchesFiniteDifferencesInDouble() {
    Random r = new Random(42);
    for (DType dtype : TYPES) {
      for (int[] rv : new int[][] {{1, 1}, {3, 11}, {4, 97}}) {
        int rows = rv[0];
        int vocab = rv[1];
        double[] x = Reference.values(r, dtype, rows * vocab, 2);
        int[] t = targets(r, rows, vocab);
        double[] g = new double[rows];
        for (int i = 0; i < rows; i++) {
          g[i] = (float) r.nextGaussian();
        }
        double scale = 0.75;
        double[] numeric = new double[x.length];
        for (int i = 0; i < x.length; i++) {
          int row = i / vocab;
          double keep = x[i];
          double h = 1e-6;
          x[i] = keep + h;
          double up = loss(x, row, vocab, t[row]);
          x[i] = keep - h;
          double down = loss(x, row, vocab, t[row]);
          x[i] = keep;
          numeric[i] = scale * g[row] * (up - down) / (2 * h);
        }
        String at = dtype + " " + rows + "x" + vocab;
        double tol = dtype == DType.BF16 ? 1e-2 : 1e-5;
        Tensor logits = f.of(x, dtype, rows, vocab);
        Tensor targets = targetTensor(t, DType.I32);
        Tensor gradLosses = f.of(g, DType.F32, rows);
        Tensor grad = f.poisoned(dtype, rows, vocab);
        CrossEntropy.backward(logits, targets, gradLosses, scale, grad, null);
        close(numeric, grad.toDoubleArray(), tol, tol, "gradient " + at);
        // the mean loss's gradient: no per-row gradients, scale 1 / rows
        double[] meanNumeric = new double[x.length];
        for (int i = 0; i < x.length; i++) {
          meanNumeric[i] = numeric[i] / (scale * g[i / vocab]) / rows;
        }
        Tensor meanGrad = f.poisoned(dtype, rows, vocab);
        CrossEntropy.backward(logits, targetTensor(t, DType.I64), null, 1.0 / rows, meanGrad, null);
        close(meanNumeric, meanGrad.toDoubleArray(), tol, tol, "mean gradient " + at);
        CrossEntropy.backward(logits, targets, gradLosses, scale, logits, null); // over the logits
        assertArrayEquals(grad.toDoubleArray(), logits.toDoubleArray(), "in place " + at);
      }
    }
  }

  @Test
  void targetsOutsideTheVocabularyAreRefusedByPosition() {
    Tensor logits = f.poisoned(DType.F32, 2, 3, 11);
    Tensor losses = f.poisoned(DType.F32, 6);
    Tensor bad = f.ints(new int[] {0, 1, 2, 10, 11, 3}, DType.I64, 2, 3);
    Tensor negative = f.ints(new int[] {0, -1, 2, 10, 1, 3}, DType.I32, 2, 3);
    refused("targets[4] = 11 is not in [0, 11)", () -> CrossEntropy.forward(logits, bad, losses, null, null));
    refused("targets[1] = -1 is not in [0, 11)", () -> CrossEntropy.backward(logits, negative, null, 1, logits,
        null));
    for (double v : losses.toDoubleArray()) {
      if (!Double.isNaN(v)) {
        throw new AssertionError("a refused call wrote a loss");
      }
    }
  }

  @Test
  void badArgumentsAreRefusedByName() {
    Tensor logits = f.poisoned(DType.F32, 4, 9);
    Tensor losses = f.poisoned(DType.F32, 4);
    Tensor targets = f.ints(new int[4], DType.I32, 4);
    refused("targets has dtype F32", () -> CrossEntropy.forward(logits, losses, losses, null, null));
    refused("targets has 3 elements, expected 4", () -> CrossEntropy.forward(logits, f.ints(new int[3], DType.I32, 3),
        losses, null, null));
    refused("losses has dtype BF16", () -> CrossEntropy.forward(logits, targets, f.poisoned(DType.BF16, 4), null,
        null));
    refused("mean has 4 elements, expected 1", () -> CrossEntropy.forward(logits, targets, losses, losses, null));
    refused("logits has dtype F16", () -> CrossEntropy.forward(f.poisoned(DType.F16, 4, 9), targets, losses, null,
        null));
    refused("empty vocabulary", () -> CrossEntropy.forward(f.poisoned(DType.F32, 4, 0), targets, losses, null, null));
    refused("gradLogits is BF16", () -> CrossEntropy.backward(logits, targets, null, 1, f.poisoned(DType.BF16, 4, 9),
        null));
    refused("gradLosses has 3 elements", () -> CrossEntropy.backward(logits, targets, f.poisoned(DType.F32, 3), 1,
        logits, null));
    Tensor flat = f.poisoned(DType.F32, 40);
    Tensor head = f.keep(f.keep(flat.narrow(0, 0, 36)).view(4, 9));
    Tensor inside = f.keep(flat.narrow(0, 2, 4));
    refused("losses overlaps logits", () -> CrossEntropy.forward(head, targets, inside, null, null));
    refused(NullPointerException.class, "targets", () -> CrossEntropy.forward(logits, null, losses, null, null));
  }
}
