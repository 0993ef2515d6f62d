package dev.shard4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import dev.shard4j.testing.Reference;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/** Reduce, accumulate, AdamW and GEMM against plain Java references. */
class ArithmeticKernelsTest {
  private final Allocator allocator = Allocator.root("arithmetic-kernels-test");
  private final List<Tensor> open = new ArrayList<>();

  @AfterEach
  void close() {
    open.forEach(Tensor::close);
    assertEquals(0, allocator.allocatedBytes());
    allocator.close();
  }

  private Tensor tensor(double[] values, DType dtype, long... shape) {
    Tensor t = Tensors.fromArray(allocator, values, dtype, Device.CPU, shape);
    open.add(t);
    return t;
  }

  /** A view made in a test, closed after it like the tensors it views. */
  private Tensor opened(Tensor view) {
    open.add(view);
    return view;
  }

  /** The kernel's accumulation, in Java: fp32 (fp64 for F64) in input order, integers in long. */
  private static double reduceReference(double[][] in, int k, DType type, ReduceOp op, double pre, double post) {
    if (!type.isFloatingPoint()) {
      long acc = 0;
      for (int i = 0; i < in.length; i++) {
        long x = (long) in[i][k];
        acc = i == 0 ? x : switch (op) {
          case SUM -> acc + x;
          case PROD -> acc * x;
          case MAX -> Math.max(acc, x);
          case MIN -> Math.min(acc, x);
        };
      }
      return acc;
    }
    if (type == DType.F64) {
      double acc = 0;
      for (int i = 0; i < in.length; i++) {
        double x = pre == 1 ? in[i][k] : in[i][k] * pre;
        acc = i == 0 ? x : combine(op, acc, x);
      }
      return post == 1 ? acc : acc * post;
    }
    float acc = 0;
    for (int i = 0; i < in.length; i++) {
      float x = pre == 1 ? (float) in[i][k] : (float) in[i][k] * (float) pre;
      acc = i == 0 ? x : (float) combine(op, acc, x);
    }
    return post == 1 ? acc : acc * (float) post;
  }

  private static double combine(ReduceOp op, double a, double b) {
    return switch (op) {
      case SUM -> a + b;
      case PROD -> a * b;
      case MAX -> a > b ? a : b;
      case MIN -> a < b ? a : b;
    };
  }

  @RepeatedTest(40)
  void reduceMatchesTheReferenceBitForBit(RepetitionInfo info) {
    Random r = new Random(info.getCurrentRepetition());
    DType type = DType.values()[r.nextInt(DType.values().length)];
    ReduceOp op = ReduceOp.values()[r.nextInt(ReduceOp.values().length)];
    int n = 1 + r.nextInt(8);
    int count = r.nextInt(4) == 0 ? 1 + r.nextInt(7) : 1 + r.nextInt(200_000);
    boolean floats = type.isFloatingPoint();
    double pre = floats && r.nextBoolean() ? 0.5 + r.nextDouble() : 1.0;
    double post = floats && r.nextBoolean() ? 1.0 / n : 1.0;
    double[][] in = new double[n][];
    List<Tensor> inputs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      in[i] = new double[count];
      for (int k = 0; k < count; k++) {
        in[i][k] = floats ? Reference.round(type, r.nextGaussian() * 4) : r.nextInt(7) - (type == DType.U8 ? 0 : 3);
      }
      inputs.add(tensor(in[i], type, count));
    }
    DType outType = floats ? Reference.floatType(r) : type;
    Tensor out = Tensors.full(allocator, outType, Device.CPU, -999, count);
    open.add(out);
    ReduceKernel.reduce(inputs, out, op, pre, post, null);
    double[] expected = new double[count];
    for (int k = 0; k < count; k++) {
      double v = reduceReference(in, k, type, op, pre, post);
      expected[k] = floats ? Reference.round(outType, v) : wrap(type, (long) v);
    }
    assertArrayEquals(expected, out.toDoubleArray(), type + " " + op + " n=" + n + " -> " + outType);
  }

  private static double wrap(DType type, long v) {
    return switch (type) {
      case I8 -> (byte) v;
      case U8 -> v & 0xFF;
      case I32 -> (int) v;
      default -> v;
    };
  }

  @Test
  void largeOutputsStreamAndKeepEveryBit() {
    // Outputs of more than 1 MiB per call of the loop take streaming stores, one output or two;
    // serial, the whole range is one call (as each rank's slice in the in-process collectives),
    // with the pool it is split. Odd counts leave a tail after the last whole vector.
    Random r = new Random(33);
    int count = 1_500_001;
    for (boolean serial : new boolean[] {true, false}) {
      NativeApi.cpuSerial(serial);
      try {
        reduceLargeOutputs(r, count);
      } finally {
        NativeApi.cpuSerial(false);
      }
    }
  }

  private void reduceLargeOutputs(Random r, int count) {
    // f32 sums of 2, 3, 4 or 8 inputs take a one-pass loop of their own when the outputs are
    // aligned alike (5 inputs do not); the inputs sit one element into their tensors (unaligned
    // loads), and a second output one element off the first's alignment makes the loop fall back
    // to the blocked reduce.
    for (int n : new int[] {2, 3, 4, 5}) {
      for (DType type : new DType[] {DType.F32, DType.BF16}) {
        double[][] in = new double[n][];
        List<Tensor> inputs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          in[i] = Reference.values(r, type, count, 4);
          double[] padded = new double[count + 1];
          System.arraycopy(in[i], 0, padded, 1, count);
          inputs.add(opened(tensor(padded, type, count + 1).narrow(0, 1, count)));
        }
        for (double post : new double[] {1, 0.25}) {
          double[] expected = new double[count];
          for (int k = 0; k < count; k++) {
            expected[k] = Reference.round(type, reduceReference(in, k, type, ReduceOp.SUM, 1, post));
          }
          String what = n + " " + type + " inputs, post " + post;
          Tensor one = tensor(new double[count], type, count);
          ReduceKernel.reduce(inputs, one, ReduceOp.SUM, 1, post, null);
          assertArrayEquals(expected, one.toDoubleArray(), what + ", one output");
          List<Tensor> two = List.of(tensor(new double[count], type, count), tensor(new double[count], type, count));
          ReduceKernel.reduce(inputs, two, ReduceOp.SUM, 1, post, null);
          for (Tensor o : two) {
            assertArrayEquals(expected, o.toDoubleArray(), what + ", two outputs");
          }
          List<Tensor> unlike = List.of(tensor(new double[count], type, count),
              opened(tensor(new double[count + 1], type, count + 1).narrow(0, 1, count)));
          ReduceKernel.reduce(inputs, unlike, ReduceOp.SUM, 1, post, null);
          for (Tensor o : unlike) {
            assertArrayEquals(expected, o.toDoubleArray(), what + ", outputs aligned unlike");
          }
        }
      }
    }
  }

  @Test
  void reduceInPlaceIntoTheFirstInput() {
    Tensor a = tensor(new double[] {1, 2, 3}, DType.F32, 3);
    Tensor b = tensor(new double[] {10, 20, 30}, DType.F32, 3);
    ReduceKernel.sum(List.of(a, b), a);
    assertArrayEquals(new double[] {11, 22, 33}, a.toDoubleArray());
  }

  @Test
  void reduceWritesEveryOutputEvenWhenTheyAreTheInputs() {
    Random r = new Random(21);
    int count = 10_007;
    for (int n : new int[] {1, 3, 5}) {
      double[][] in = new double[n][];
      List<Tensor> inputs = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        in[i] = Reference.values(r, DType.BF16, count, 4);
        inputs.add(tensor(in[i], DType.BF16, count));
      }
      double[] expected = new double[count];
      for (int k = 0; k < count; k++) {
        expected[k] = Reference.round(DType.BF16, reduceReference(in, k, DType.BF16, ReduceOp.SUM, 1, 1));
      }
      Tensor extra = tensor(new double[count], DType.BF16, count);
      List<Tensor> outs = new ArrayList<>(inputs); // in place: every input also receives the result
      outs.add(extra);
      ReduceKernel.reduce(inputs, outs, ReduceOp.SUM, 1, 1, null);
      for (Tensor o : outs) {
        assertArrayEquals(expected, o.toDoubleArray(), "n=" + n);
      }
    }
  }

  @RepeatedTest(20)
  void accumulateAddsTheScaledSource(RepetitionInfo info) {
    Random r = new Random(500 + info.getCurrentRepetition());
    DType dstType = Reference.floatType(r);
    DType srcType = Reference.floatType(r);
    int count = 1 + r.nextInt(150_000);
    double scale = r.nextGaussian();
    double[] d = Reference.values(r, dstType, count, 2);
    double[] s = Reference.values(r, srcType, count, 2);
    Tensor dst = tensor(d, dstType, count);
    AccumulateKernel.accumulate(dst, tensor(s, srcType, count), scale, null);
    double[] expected = new double[count];
    boolean wide = dstType == DType.F64 || srcType == DType.F64;
    for (int k = 0; k < count; k++) {
      double sum = wide ? d[k] + scale * s[k] : (float) d[k] + (float) scale * (float) s[k];
      expected[k] = Reference.round(dstType, wide ? sum : (float) sum);
    }
    assertArrayEquals(expected, dst.toDoubleArray(), srcType + " into " + dstType);
  }

  @Test
  void adamwFollowsTorchWithinOneMillionth() {
    Random r = new Random(9);
    int count = 100_003;
    AdamW opt = new AdamW(3e-3, 0.9, 0.95, 1e-8, 0.1);
    double[] p = Reference.values(r, DType.F32, count, 1);
    double[] m = new double[count];
    double[] v = new double[count];
    Tensor param = tensor(p, DType.F32, count);
    Tensor expAvg = tensor(m, DType.F32, count);
    Tensor expAvgSq = tensor(v, DType.F32, count);
    Tensor copy = tensor(new double[count], DType.BF16, count);
    double[] refP = p.clone();
    for (int step = 1; step <= 5; step++) {
      boolean bf16Grad = step % 2 == 0;
      DType gradType = bf16Grad ? DType.BF16 : DType.F32;
      double[] g = Reference.values(r, gradType, count, 0.1);
      double gradScale = step == 3 ? 0.5 : 1.0;
      try (Tensor grad = Tensors.fromArray(allocator, g, gradType, Device.CPU, count)) {
        opt.step(param, grad, expAvg, expAvgSq, copy, step, gradScale, null);
      }
      double bc1 = 1 - Math.pow(opt.beta1(), step);
      double bc2 = 1 - Math.pow(opt.beta2(), step);
      double[] before = refP.clone();
      for (int k = 0; k < count; k++) {
        double gk = g[k] * gradScale;
        refP[k] *= 1 - opt.lr() * opt.weightDecay();
        m[k] = opt.beta1() * m[k] + (1 - opt.beta1()) * gk;
        v[k] = opt.beta2() * v[k] + (1 - opt.beta2()) * gk * gk;
        refP[k] -= (opt.lr() / bc1) * m[k] / (Math.sqrt(v[k]) / Math.sqrt(bc2) + opt.eps());
      }
      float[] actual = param.toFloatArray();
      for (int k = 0; k < count; k++) {
        // Relative 1e-6 of the magnitudes the step combines: the parameter before and after, and the step size.
        double tolerance = 1e-6 * (Math.abs(refP[k]) + Math.abs(before[k]) + opt.lr() / bc1);
        assertTrue(Math.abs(actual[k] - refP[k]) <= tolerance,
            "step " + step + " element " + k + ": " + actual[k] + " vs " + refP[k]);
      }
      try (Tensor expected = param.cast(DType.BF16)) {
        assertArrayEquals(expected.toShortArray(), copy.toShortArray(), "the bf16 copy is the updated shard");
      }
    }
  }

  @RepeatedTest(12)
  void gemmMatchesTheNaiveProduct(RepetitionInfo info) {
    Random r = new Random(300 + info.getCurrentRepetition());
    DType type = Reference.floatType(r);
    boolean batched = r.nextBoolean();
    boolean ta = r.nextBoolean();
    boolean tb = r.nextBoolean();
    int batch = batched ? 1 + r.nextInt(3) : 1;
    int m = 1 + r.nextInt(40);
    int n = 1 + r.nextInt(40);
    int k = 1 + r.nextInt(70);
    double alpha = r.nextBoolean() ? 1 : 0.5;
    double beta = r.nextBoolean() ? 0 : 2;
    double[] av = Reference.values(r, type, batch * m * k, 1);
    double[] bv = Reference.values(r, type, batch * k * n, 1);
    double[] cv = Reference.values(r, type, batch * m * n, 1);
    long[] aShape = ta ? new long[] {k, m} : new long[] {m, k};
    long[] bShape = tb ? new long[] {n, k} : new long[] {k, n};
    Tensor a = tensor(av, type, batched ? new long[] {batch, aShape[0], aShape[1]} : aShape);
    Tensor b = tensor(bv, type, batched ? new long[] {batch, bShape[0], bShape[1]} : bShape);
    Tensor c = tensor(cv, type, batched ? new long[] {batch, m, n} : new long[] {m, n});
    Gemm.matmul(a, b, c, ta, tb, alpha, beta, null);
    double[] actual = c.toDoubleArray();
    double tolerance = type == DType.F64 ? 1e-12 : type == DType.F32 ? 1e-5 : type == DType.BF16 ? 2e-2 : 3e-3;
    for (int q = 0; q < batch; q++) {
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          double sum = 0;
          for (int t = 0; t < k; t++) {
            double x = av[q * m * k + (ta ? t * m + i : i * k + t)];
            double y = bv[q * k * n + (tb ? j * k + t : t * n + j)];
            sum += x * y;
          }
          double expected = alpha * sum + beta * cv[q * m * n + i * n + j];
          double got = actual[q * m * n + i * n + j];
          assertTrue(Math.abs(got - expected) <= tolerance * (1 + Math.abs(expected)) * Math.sqrt(k),
              type + " [" + q + "," + i + "," + j + "]: " + got + " vs " + expected);
        }
      }
    }
  }

  @Test
  void matmulAllocatesItsResult() {
    Tensor a = tensor(new double[] {1, 2, 3, 4, 5, 6}, DType.F32, 2, 3);
    Tensor b = tensor(new double[] {1, 0, 0, 1, 1, 1}, DType.F32, 3, 2);
    try (Tensor c = Gemm.matmul(a, b)) {
      assertArrayEquals(new double[] {4, 5, 10, 11}, c.toDoubleArray());
    }
  }
}
