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
 * GELU against the formula in double, its gradient against central differences of that formula,
 * and the bias add and gradient bit for bit against fp32 sums in row order; F32 and BF16, odd
 * sizes, outputs poisoned with NaN first.
 */
class GeluBiasTest {
  private static final DType[] TYPES = {DType.F32, DType.BF16};
  private final KernelFixture f = new KernelFixture("gelu-bias-test");

  @AfterEach
  void closeFixture() {
    f.close();
  }

  private static double gelu(double x) {
    return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
  }

  /** Tolerance of a result computed in fp32 and rounded to the dtype. */
  private static double tolerance(DType dtype) {
    return dtype == DType.BF16 ? 8e-3 : 2e-6;
  }

  @Test
  void geluMatchesTheFormulaAndItsGradientTheFiniteDifferences() {
    Random r = new Random(7);
    for (DType dtype : TYPES) {
      for (int n : new int[] {1, 13, 40_001}) {
        double[] x = Reference.values(r, dtype, n, 3);
        double[] g = Reference.values(r, dtype, n, 1);
        Tensor in = f.of(x, dtype, n);
        Tensor grad = f.of(g, dtype, n);
        Tensor out = f.poisoned(dtype, n);
        Tensor gradIn = f.poisoned(dtype, n);
        Gelu.forward(in, out, null);
        Gelu.backward(grad, in, gradIn, null);
        double[] y = new double[n];
        double[] dx = new double[n];
        double h = 1e-5;
        for (int i = 0; i < n; i++) {
          y[i] = gelu(x[i]);
          dx[i] = g[i] * (gelu(x[i] + h) - gelu(x[i] - h)) / (2 * h);
        }
        double tol = tolerance(dtype);
        close(y, out.toDoubleArray(), tol, tol, "gelu " + dtype + " n=" + n);
        close(dx, gradIn.toDoubleArray(), tol * 5, tol, "gelu backward " + dtype + " n=" + n);
        Gelu.backward(grad, in, grad, null); // in place on the gradient
        assertArrayEquals(gradIn.toDoubleArray(), grad.toDoubleArray(), "backward in place " + dtype);
        Gelu.forward(in, in, null); // in place
        assertArrayEquals(out.toDoubleArray(), in.toDoubleArray(), "forward in place " + dtype);
      }
    }
  }

  @Test
  void biasAddAndGradientMatchFp32SumsInRowOrder() {
    Random r = new Random(8);
    for (DType dtype : TYPES) {
      for (int[] rc : new int[][] {{1, 1}, {3, 5}, {37, 300}, {1025, 7}}) {
        int rows = rc[0];
        int cols = rc[1];
        double[] x = Reference.values(r, dtype, rows * cols, 2);
        double[] b = Reference.values(r, dtype, cols, 2);
        Tensor in = f.of(x, dtype, rows, cols);
        Tensor bias = f.of(b, dtype, cols);
        Tensor out = f.poisoned(dtype, rows, cols);
        Bias.add(in, bias, out, null);
        double[] expected = new double[rows * cols];
        float[] sums = new float[cols];
        for (int i = 0; i < rows * cols; i++) {
          expected[i] = Reference.round(dtype, (float) x[i] + (float) b[i % cols]);
          sums[i % cols] += (float) x[i];
        }
        assertArrayEquals(expected, out.toDoubleArray(), "bias add " + dtype);
        for (DType gradType : new DType[] {DType.F32, dtype}) {
          Tensor grad = f.poisoned(gradType, cols);
          Bias.backward(in, grad, false, null);
          double[] sum = new double[cols];
          double[] twice = new double[cols];
          for (int c = 0; c < cols; c++) {
            sum[c] = Reference.round(gradType, sums[c]);
            twice[c] = Reference.round(gradType, (float) sum[c] + sums[c]);
          }
          assertArrayEquals(sum, grad.toDoubleArray(), "bias grad " + dtype + " into " + gradType);
          Bias.backward(in, grad, true, null);
          assertArrayEquals(twice, grad.toDoubleArray(), "bias grad accumulated " + dtype + " into " + gradType);
        }
        Bias.add(in, bias, in, null); // in place
        assertArrayEquals(expected, in.toDoubleArray(), "bias add in place " + dtype);
      }
    }
  }

  @Test
  void badArgumentsAreRefusedByName() {
    Tensor x = f.poisoned(DType.F32, 4, 6);
    Tensor y = f.poisoned(DType.F32, 4, 6);
    Tensor half = f.poisoned(DType.F16, 4, 6);
    Tensor bias = f.poisoned(DType.F32, 6);
    Tensor bf16Bias = f.poisoned(DType.BF16, 6);
    Tensor shortBias = f.poisoned(DType.F32, 5);
    refused("in has dtype F16", () -> Gelu.forward(half, half, null));
    refused("out has shape [6]", () -> Gelu.forward(x, bias, null));
    refused("gradIn is BF16", () -> Gelu.backward(x, y, f.poisoned(DType.BF16, 4, 6), null));
    refused("bias has shape [5], expected [6]", () -> Bias.add(x, shortBias, y, null));
    refused("bias has dtype BF16", () -> Bias.add(x, bf16Bias, y, null));
    refused("gradBias has dtype BF16, expected F32", () -> Bias.backward(x, bf16Bias, false, null));
    Tensor flat = f.poisoned(DType.F32, 30);
    Tensor head = f.keep(f.keep(flat.narrow(0, 0, 24)).view(4, 6));
    Tensor shifted = f.keep(f.keep(flat.narrow(0, 2, 24)).view(4, 6));
    Tensor inside = f.keep(flat.narrow(0, 4, 6));
    refused("out partially overlaps in", () -> Gelu.forward(head, shifted, null));
    refused("out overlaps bias", () -> Bias.add(head, inside, head, null));
    refused("gradBias overlaps gradOut", () -> Bias.backward(head, inside, false, null));
    refused(NullPointerException.class, "bias", () -> Bias.add(x, null, y, null));
    Tensor closed = f.poisoned(DType.F32, 4, 6);
    closed.close();
    refused(IllegalStateException.class, "gradOut is closed", () -> Gelu.backward(closed, x, y, null));
  }
}
