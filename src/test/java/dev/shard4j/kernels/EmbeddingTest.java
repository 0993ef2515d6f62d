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
 * The token + position embedding bit for bit against fp32 sums in Java, its gradients against fp32
 * sums in position order (repeated tokens among them) and against central differences in double;
 * F32 and BF16, I32 and I64 tokens, odd sizes, outputs poisoned with NaN first.
 */
class EmbeddingTest {
  private static final DType[] TYPES = {DType.F32, DType.BF16};
  private final KernelFixture f = new KernelFixture("embedding-test");

  @AfterEach
  void closeFixture() {
    f.close();
  }

  @Test
  void forwardAndBackwardMatchFp32SumsInPositionOrder() {
    Random r = new Random(51);
    for (DType dtype : TYPES) {
      for (int[] shape : new int[][] {{1, 1, 1, 1}, {2, 5, 7, 3}, {3, 17, 11, 129}}) {
        int b = shape[0];
        int t = shape[1];
        int v = shape[2];
        int c = shape[3];
        int p = t + 2; // more positions than the sequence uses
        double[] wte = Reference.values(r, dtype, v * c, 1);
        double[] wpe = Reference.values(r, dtype, p * c, 1);
        double[] g = Reference.values(r, dtype, b * t * c, 1);
        int[] ids = new int[b * t];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = r.nextInt(Math.max(1, v / 2)); // repeats
        }
        double[] out = new double[b * t * c];
        float[] dwte = new float[v * c];
        float[] dwpe = new float[p * c];
        for (int n = 0; n < b * t; n++) {
          for (int k = 0; k < c; k++) {
            out[n * c + k] = Reference.round(dtype, (float) wte[ids[n] * c + k] + (float) wpe[(n % t) * c + k]);
            dwte[ids[n] * c + k] += (float) g[n * c + k];
            dwpe[(n % t) * c + k] += (float) g[n * c + k];
          }
        }
        // accumulating goes on adding in position order from the first call's sums
        float[] dwte2 = dwte.clone();
        float[] dwpe2 = dwpe.clone();
        for (int n = 0; n < b * t; n++) {
          for (int k = 0; k < c; k++) {
            dwte2[ids[n] * c + k] += (float) g[n * c + k];
            dwpe2[(n % t) * c + k] += (float) g[n * c + k];
          }
        }
        String at = dtype + " " + b + "x" + t + "x" + c;
        for (DType tokenType : new DType[] {DType.I32, DType.I64}) {
          Tensor tokens = f.ints(ids, tokenType, b, t);
          Tensor y = f.poisoned(dtype, b, t, c);
          Embedding.forward(tokens, f.of(wte, dtype, v, c), f.of(wpe, dtype, p, c), y, null);
          assertArrayEquals(out, y.toDoubleArray(), "forward " + at);
          Tensor gradWte = f.poisoned(DType.F32, v, c);
          Tensor gradWpe = f.poisoned(DType.F32, p, c);
          Tensor gradOut = f.of(g, dtype, b, t, c);
          Embedding.backward(tokens, gradOut, gradWte, gradWpe, false, null);
          assertArrayEquals(doubles(dwte), gradWte.toDoubleArray(), "dwte " + at);
          assertArrayEquals(doubles(dwpe), gradWpe.toDoubleArray(), "dwpe " + at);
          Embedding.backward(tokens, gradOut, gradWte, gradWpe, true, null);
          assertArrayEquals(doubles(dwte2), gradWte.toDoubleArray(), "dwte accumulated " + at);
          assertArrayEquals(doubles(dwpe2), gradWpe.toDoubleArray(), "dwpe accumulated " + at);
        }
      }
    }
  }

  @Test
  void gradientsMatchFiniteDifferencesInDouble() {
    Random r = new Random(52);
    int b = 2;
    int t = 3;
    int v = 4;
    int c = 5;
    double[] wte = Reference.values(r, DType.F32, v * c, 1);
    double[] wpe = Reference.values(r, DType.F32, t * c, 1);
    double[] g = Reference.values(r, DType.F32, b * t * c, 1);
    int[] ids = {1, 3, 1, 1, 0, 3};
    Tensor gradWte = f.poisoned(DType.F32, v, c);
    Tensor gradWpe = f.poisoned(DType.F32, t, c);
    Embedding.backward(f.ints(ids, DType.I32, b, t), f.of(g, DType.F32, b, t, c), gradWte, gradWpe, false, null);
    close(numeric(wte, () -> loss(g, wte, wpe, ids, t, c)), gradWte.toDoubleArray(), 1e-5, 1e-5, "dwte");
    close(numeric(wpe, () -> loss(g, wte, wpe, ids, t, c)), gradWpe.toDoubleArray(), 1e-5, 1e-5, "dwpe");
  }

  @Test
  void tokensOutsideTheVocabularyAreRefusedByPosition() {
    Tensor wte = f.poisoned(DType.F32, 10, 4);
    Tensor wpe = f.poisoned(DType.F32, 3, 4);
    Tensor out = f.poisoned(DType.F32, 2, 3, 4);
    refused("tokens[1, 2] = 10 is not in [0, 10)", () -> Embedding.forward(
        f.ints(new int[] {0, 1, 2, 3, 4, 10}, DType.I64, 2, 3), wte, wpe, out, null));
    refused("tokens[0, 1] = -2 is not in [0, 10)", () -> Embedding.backward(
        f.ints(new int[] {0, -2, 2, 3, 4, 5}, DType.I32, 2, 3), out, wte, wpe, false, null));
  }

  @Test
  void badArgumentsAreRefusedByName() {
    Tensor tokens = f.ints(new int[6], DType.I32, 2, 3);
    Tensor wte = f.poisoned(DType.F32, 10, 4);
    Tensor wpe = f.poisoned(DType.F32, 3, 4);
    Tensor out = f.poisoned(DType.F32, 2, 3, 4);
    refused("tokens has dtype F32", () -> Embedding.forward(wpe, wte, wpe, out, null));
    refused("tokens must be [B, T]", () -> Embedding.forward(f.ints(new int[6], DType.I32, 6), wte, wpe, out, null));
    refused("wpe must be [P, 4] with P >= 3", () -> Embedding.forward(tokens, wte, f.poisoned(DType.F32, 2, 4), out,
        null));
    refused("wpe is BF16", () -> Embedding.forward(tokens, wte, f.poisoned(DType.BF16, 3, 4), out, null));
    refused("out has shape [2, 3, 5]", () -> Embedding.forward(tokens, wte, wpe, f.poisoned(DType.F32, 2, 3, 5),
        null));
    refused("gradWte has dtype BF16, expected F32", () -> Embedding.backward(tokens, out,
        f.poisoned(DType.BF16, 10, 4), wpe, false, null));
    refused("gradOut has dtype F16", () -> Embedding.backward(tokens, f.poisoned(DType.F16, 2, 3, 4), wte, wpe,
        false, null));
    refused("gradWpe overlaps gradWte", () -> Embedding.backward(tokens, out, wte, f.keep(wte.narrow(0, 0, 3)),
        false, null));
    refused("out overlaps wte", () -> Embedding.forward(tokens, wte, wpe, f.keep(f.keep(wte.narrow(0, 0, 6)).view(2, 3, 4)),
        null));
  }

  private static double loss(double[] g, double[] wte, double[] wpe, int[] ids, int t, int c) {
    double sum = 0;
    for (int n = 0; n < ids.length; n++) {
      for (int k = 0; k < c; k++) {
        sum += g[n * c + k] * (wte[ids[n] * c + k] + wpe[(n % t) * c + k]);
      }
    }
    return sum;
  }

  private static double[] numeric(double[] v, java.util.function.DoubleSupplier loss) {
    double[] grad = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      double keep = v[i];
      v[i] = keep + 1e-6;
      double up = loss.getAsDouble();
      v[i] = keep - 1e-6;
      double down = loss.getAsDouble();
      v[i] = keep;
      grad[i] = (up - down) / 2e-6;
    }
    return grad;
  }

  private static double[] doubles(float[] v) {
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      d[i] = v[i];
    }
    return d;
  }
}
