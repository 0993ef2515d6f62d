package dev.shard4j.kernels;

import static dev.shard4j.testing.KernelFixture.close;
import static dev.shard4j.testing.KernelFixture.refused;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.testing.KernelFixture;
import dev.shard4j.testing.Reference;
import java.util.Arrays;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * LayerNorm against its definition in double, and its three gradients against central differences
 * of that definition in double; F32 and BF16, odd sizes, outputs poisoned with NaN first.
 */
class LayerNormTest {
  private static final DType[] TYPES = {DType.F32, DType.BF16};
  private static final double EPS = 1e-5;
  private final KernelFixture f = new KernelFixture("layernorm-test");

  @AfterEach
  void closeFixture() {
    f.close();
  }

  /** The definition in double: out, and each row's mean and rstd appended as [out..., means..., rstds...]. */
  private static double[] reference(double[] x, double[] w, double[] b, int rows, int cols) {
    double[] out = new double[rows * cols + 2 * rows];
    for (int r = 0; r < rows; r++) {
      double mean = 0;
      for (int c = 0; c < cols; c++) {
        mean += x[r * cols + c];
      }
      mean /= cols;
      double var = 0;
      for (int c = 0; c < cols; c++) {
        double d = x[r * cols + c] - mean;
        var += d * d;
      }
      double rstd = 1 / Math.sqrt(var / cols + EPS);
      for (int c = 0; c < cols; c++) {
        out[r * cols + c] = (x[r * cols + c] - mean) * rstd * w[c] + b[c];
      }
      out[rows * cols + r] = mean;
      out[rows * cols + rows + r] = rstd;
    }
    return out;
  }

  /** sum of g * layerNorm(x, w, b), the scalar whose gradients the backward computes. */
  private static double loss(double[] g, double[] x, double[] w, double[] b, int rows, int cols) {
    double[] y = reference(x, w, b, rows, cols);
    double sum = 0;
    for (int i = 0; i < rows * cols; i++) {
      sum += g[i] * y[i];
    }
    return sum;
  }

  /** Central differences of the loss with respect to every element of v (changed and restored). */
  private static double[] numericGradient(double[] v, DoubleSupplier loss) {
    double[] grad = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      double keep = v[i];
      double h = 1e-6 * Math.max(1, Math.abs(keep));
      v[i] = keep + h;
      double up = loss.getAsDouble();
      v[i] = keep - h;
      double down = loss.getAsDouble();
      v[i] = keep;
      grad[i] = (up - down) / (2 * h);
    }
    return grad;
  }

  private static double[] part(double[] v, int from, int length) {
    return Arrays.copyOfRange(v, from, from + length);
  }

  @Test
  void forwardMatchesTheDefinition() {
    Random r = new Random(31);
    for (DType dtype : TYPES) {
      for (int[] rc : new int[][] {{1, 1}, {3, 7}, {65, 769}, {200, 33}}) {
        int rows = rc[0];
        int cols = rc[1];
        double[] x = Reference.values(r, dtype, rows * cols, 2);
        for (int i = 0; i < x.length; i++) {
          x[i] = Reference.round(dtype, x[i] + 0.5); // a mean away from zero
        }
        double[] w = Reference.values(r, dtype, cols, 1);
        double[] b = Reference.values(r, dtype, cols, 1);
        Tensor in = f.of(x, dtype, rows, cols);
        Tensor out = f.poisoned(dtype, rows, cols);
        Tensor mean = f.poisoned(DType.F32, rows);
        Tensor rstd = f.poisoned(DType.F32, rows);
        LayerNorm.forward(in, f.of(w, dtype, cols), f.of(b, dtype, cols), EPS, out, mean, rstd, null);
        double[] expected = reference(x, w, b, rows, cols);
        double tol = dtype == DType.BF16 ? 1e-2 : 2e-5;
        String at = dtype + " " + rows + "x" + cols;
        close(part(expected, 0, rows * cols), out.toDoubleArray(), tol, tol, "out " + at);
        close(part(expected, rows * cols, rows), mean.toDoubleArray(), 1e-6, 1e-6, "mean " + at);
        close(part(expected, rows * cols + rows, rows), rstd.toDoubleArray(), 1e-5, 1e-5, "rstd " + at);
        LayerNorm.forward(in, f.of(w, dtype, cols), f.of(b, dtype, cols), EPS, in, mean, rstd, null); // in place
        assertArrayEquals(out.toDoubleArray(), in.toDoubleArray(), "in place " + at);
      }
    }
  }

  @Test
  void backwardMatchesFiniteDifferencesInDouble() {
    Random r = new Random(32);
    for (DType dtype : TYPES) {
      for (int[] rc : new int[][] {{1, 2}, {3, 7}, {4, 37}}) {
        int rows = rc[0];
        int cols = rc[1];
        double[] x = Reference.values(r, dtype, rows * cols, 1.5);
        double[] w = Reference.values(r, dtype, cols, 1);
        double[] b = Reference.values(r, dtype, cols, 1);
        double[] g = Reference.values(r, dtype, rows * cols, 1);
        Tensor in = f.of(x, dtype, rows, cols);
        Tensor weight = f.of(w, dtype, cols);
        Tensor mean = f.poisoned(DType.F32, rows);
        Tensor rstd = f.poisoned(DType.F32, rows);
        LayerNorm.forward(in, weight, f.of(b, dtype, cols), EPS, f.poisoned(dtype, rows, cols), mean, rstd, null);
        double[] dx = numericGradient(x, () -> loss(g, x, w, b, rows, cols));
        double[] dw = numericGradient(w, () -> loss(g, x, w, b, rows, cols));
        double[] db = numericGradient(b, () -> loss(g, x, w, b, rows, cols));
        String at = dtype + " " + rows + "x" + cols;
        for (DType paramType : new DType[] {DType.F32, dtype}) {
          Tensor gradOut = f.of(g, dtype, rows, cols);
          Tensor gradIn = f.poisoned(dtype, rows, cols);
          Tensor gradWeight = f.poisoned(paramType, cols);
          Tensor gradBias = f.poisoned(paramType, cols);
          LayerNorm.backward(gradOut, in, weight, mean, rstd, gradIn, gradWeight, gradBias, false, null);
          double tol = dtype == DType.BF16 ? 2e-2 : 1e-4;
          double paramTol = paramType == DType.BF16 ? 2e-2 : 1e-4;
          close(dx, gradIn.toDoubleArray(), tol, tol, "dx " + at);
          close(dw, gradWeight.toDoubleArray(), paramTol, paramTol, "dweight " + at + " into " + paramType);
          close(db, gradBias.toDoubleArray(), paramTol, paramTol, "dbias " + at + " into " + paramType);
          double[] twiceW = gradWeight.toDoubleArray();
          double[] twiceB = gradBias.toDoubleArray();
          for (int c = 0; c < cols; c++) {
            twiceW[c] *= 2;
            twiceB[c] *= 2;
          }
          // accumulating, in place on gradOut: the same input gradient, parameter gradients doubled
          LayerNorm.backward(gradOut, in, weight, mean, rstd, gradOut, gradWeight, gradBias, true, null);
          assertArrayEquals(gradIn.toDoubleArray(), gradOut.toDoubleArray(), "dx in place " + at);
          close(twiceW, gradWeight.toDoubleArray(), 0, paramTol, "dweight accumulated " + at);
          close(twiceB, gradBias.toDoubleArray(), 0, paramTol, "dbias accumulated " + at);
        }
      }
    }
  }

  @Test
  void badArgumentsAreRefusedByName() {
    Tensor x = f.poisoned(DType.F32, 4, 6);
    Tensor y = f.poisoned(DType.F32, 4, 6);
    Tensor w = f.poisoned(DType.F32, 6);
    Tensor b = f.poisoned(DType.F32, 6);
    Tensor mean = f.poisoned(DType.F32, 4);
    Tensor rstd = f.poisoned(DType.F32, 4);
    Tensor shortStats = f.poisoned(DType.F32, 3);
    Tensor bf16Stats = f.poisoned(DType.BF16, 4);
    refused("weight has shape [4]", () -> LayerNorm.forward(x, mean, b, EPS, y, mean, rstd, null));
    refused("bias has dtype BF16", () -> LayerNorm.forward(x, w, f.poisoned(DType.BF16, 6), EPS, y, mean, rstd, null));
    refused("mean has 3 elements, expected 4", () -> LayerNorm.forward(x, w, b, EPS, y, shortStats, rstd, null));
    refused("rstd has dtype BF16, expected F32", () -> LayerNorm.forward(x, w, b, EPS, y, mean, bf16Stats, null));
    refused("eps must be finite", () -> LayerNorm.forward(x, w, b, Double.NaN, y, mean, rstd, null));
    refused("empty last dimension", () -> LayerNorm.forward(f.poisoned(DType.F32, 4, 0), w, b, EPS, y, mean, rstd,
        null));
    Tensor flat = f.poisoned(DType.F32, 30);
    Tensor out = f.keep(f.keep(flat.narrow(0, 0, 24)).view(4, 6));
    Tensor inside = f.keep(flat.narrow(0, 3, 6));
    refused("out overlaps weight", () -> LayerNorm.forward(x, inside, b, EPS, out, mean, rstd, null));
    refused("in has shape [6, 4]", () -> LayerNorm.backward(x, f.poisoned(DType.F32, 6, 4), w, mean, rstd, y, w, b,
        false, null));
    refused("gradWeight overlaps weight", () -> LayerNorm.backward(x, y, w, mean, rstd, x, w, b, false, null));
    refused("gradBias has dtype BF16, expected F32", () -> LayerNorm.backward(x, y, w, mean, rstd, x,
        f.poisoned(DType.F32, 6), f.poisoned(DType.BF16, 6), false, null));
    Tensor closed = f.poisoned(DType.F32, 4);
    closed.close();
    refused(IllegalStateException.class, "rstd is closed", () -> LayerNorm.forward(x, w, b, EPS, y, mean, closed,
        null));
  }
}
