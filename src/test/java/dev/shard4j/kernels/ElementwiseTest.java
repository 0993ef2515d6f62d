package dev.shard4j.kernels;

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
 * The public elementwise arithmetic against a plain Java reference that rounds as the kernels do
 * (fp32 arithmetic, one rounding to the dtype): bit for bit, every float dtype, odd sizes, outputs
 * poisoned with NaN first, in place and out of place.
 */
class ElementwiseTest {
  private static final DType[] FLOATS = {DType.F32, DType.BF16, DType.F16, DType.F64};
  private final KernelFixture f = new KernelFixture("elementwise-test");

  @AfterEach
  void close() {
    f.close();
  }

  /** The arithmetic type's value of a double: fp32, or itself for F64. */
  private static double m(DType dtype, double v) {
    return dtype == DType.F64 ? v : (float) v;
  }

  /** The reference of one op on arrays, written with separate roundings as the kernels run it. */
  private static double[] expected(DType dtype, char op, double[] a, double[] b, double alpha, double beta) {
    double[] out = new double[a.length];
    double fa = m(dtype, alpha);
    double fb = m(dtype, beta);
    for (int i = 0; i < a.length; i++) {
      double r = switch (op) {
        case '+' -> m(dtype, a[i] + m(dtype, fa * b[i]));
        case '*' -> m(dtype, a[i] * b[i]);
        default -> m(dtype, m(dtype, fa * a[i]) + fb);
      };
      out[i] = Reference.round(dtype, r);
    }
    return out;
  }

  @Test
  void everyOpMatchesTheReferenceBitForBit() {
    Random r = new Random(5);
    for (DType dtype : FLOATS) {
      for (int n : new int[] {1, 7, 1023, 70_001}) {
        double[] a = Reference.values(r, dtype, n, 3);
        double[] b = Reference.values(r, dtype, n, 3);
        Tensor ta = f.of(a, dtype, n);
        Tensor tb = f.of(b, dtype, n);
        double alpha = r.nextGaussian();
        double beta = r.nextGaussian();
        String at = dtype + " n=" + n;

        Tensor out = f.poisoned(dtype, n);
        Elementwise.add(ta, tb, out, null);
        assertArrayEquals(expected(dtype, '+', a, b, 1, 0), out.toDoubleArray(), "add " + at);
        Elementwise.add(ta, tb, alpha, out, null);
        assertArrayEquals(expected(dtype, '+', a, b, alpha, 0), out.toDoubleArray(), "add alpha " + at);
        Elementwise.sub(ta, tb, out, null);
        assertArrayEquals(expected(dtype, '+', a, b, -1, 0), out.toDoubleArray(), "sub " + at);
        Elementwise.mul(ta, tb, out, null);
        assertArrayEquals(expected(dtype, '*', a, b, 1, 0), out.toDoubleArray(), "mul " + at);
        Elementwise.scale(ta, alpha, out, null);
        assertArrayEquals(expected(dtype, 'a', a, b, alpha, 0), out.toDoubleArray(), "scale " + at);
        Elementwise.addScalar(ta, beta, out, null);
        assertArrayEquals(expected(dtype, 'a', a, b, 1, beta), out.toDoubleArray(), "addScalar " + at);
        Elementwise.affine(ta, alpha, beta, out, null);
        assertArrayEquals(expected(dtype, 'a', a, b, alpha, beta), out.toDoubleArray(), "affine " + at);

        Tensor y = f.of(b, dtype, n);
        Elementwise.axpy(alpha, ta, y, null);
        assertArrayEquals(expected(dtype, '+', b, a, alpha, 0), y.toDoubleArray(), "axpy " + at);
        Elementwise.mul(ta, tb, tb, null); // in place on the second operand
        assertArrayEquals(expected(dtype, '*', a, b, 1, 0), tb.toDoubleArray(), "mul in place " + at);
        Elementwise.scale(ta, alpha, ta, null); // in place on the first
        assertArrayEquals(expected(dtype, 'a', a, b, alpha, 0), ta.toDoubleArray(), "scale in place " + at);
      }
    }
  }

  @Test
  void fillAndZeroWriteEveryElementOfAStridedView() {
    Tensor t = f.poisoned(DType.BF16, 5, 7);
    try (Tensor column = t.select(1, 3)) {
      Elementwise.fill(column, 2.5, null);
    }
    double[] v = t.toDoubleArray();
    for (int i = 0; i < v.length; i++) {
      assertArrayEquals(new double[] {i % 7 == 3 ? 2.5 : Double.NaN}, new double[] {v[i]}, "element " + i);
    }
    Elementwise.zero(t, null);
    assertArrayEquals(new double[35], t.toDoubleArray());
    Tensor ints = f.ints(new int[3], DType.I32, 3);
    Elementwise.fill(ints, 1e20, null);
    assertArrayEquals(new double[] {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE}, ints.toDoubleArray());
  }

  @Test
  void badArgumentsAreRefusedByName() {
    Tensor a = f.poisoned(DType.F32, 4, 5);
    Tensor b = f.poisoned(DType.F32, 4, 5);
    Tensor wrongShape = f.poisoned(DType.F32, 5, 4);
    Tensor wrongType = f.poisoned(DType.BF16, 4, 5);
    Tensor ints = f.ints(new int[20], DType.I32, 4, 5);
    Tensor flat = f.poisoned(DType.F32, 30);
    refused("b has shape [5, 4]", () -> Elementwise.add(a, wrongShape, b, null));
    refused("out is BF16", () -> Elementwise.add(a, b, wrongType, null));
    refused("a has dtype I32", () -> Elementwise.mul(ints, ints, ints, null));
    refused(NullPointerException.class, "b", () -> Elementwise.add(a, null, b, null));
    refused(NullPointerException.class, "out", () -> Elementwise.scale(a, 2, null, null));
    Tensor head = f.keep(f.keep(flat.narrow(0, 0, 20)).view(4, 5));
    Tensor shifted = f.keep(f.keep(flat.narrow(0, 3, 20)).view(4, 5));
    Tensor strided = f.keep(head.transpose(0, 1));
    refused("must be contiguous", () -> Elementwise.add(strided, strided, strided, null));
    refused("out partially overlaps a", () -> Elementwise.add(head, b, shifted, null));
    refused("y overlaps x", () -> Elementwise.axpy(1, head, head, null));
    Tensor closed = f.poisoned(DType.F32, 4, 5);
    closed.close();
    refused(IllegalStateException.class, "a is closed", () -> Elementwise.add(closed, b, b, null));
  }
}
