package dev.shard4j.kernels;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.bindings.Shard4jNative;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;
import java.util.Objects;

/**
 * Elementwise arithmetic on contiguous float tensors, as torch.add, torch.mul and their in-place
 * forms, so that a trainer never loops over a tensor in Java: the residual add, gradient
 * accumulation and scaling, and stream-ordered fills.
 *
 * <p>Every operand has one dtype (F32, BF16, F16 or F64), shape and device. The arithmetic is fp32
 * (fp64 for F64) with one rounding of the result to the dtype, round to nearest even; the CPU and
 * the GPU give the same bits. An output may be one of the inputs exactly (in place), never part of
 * one. Work is ordered on the given stream (null: the device's default stream; on the CPU the
 * call returns when done). Thread-safe.
 */
public final class Elementwise {
  private Elementwise() {}

  /**
   * out = a + b (the residual add).
   *
   * @param a contiguous float tensor
   * @param b a's dtype, shape and device
   * @param out the same; may be a or b
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void add(Tensor a, Tensor b, Tensor out, Stream stream) {
    add(a, b, 1.0, out, stream);
  }

  /**
   * out = a + alpha * b, as torch.add(a, b, alpha=alpha).
   *
   * @param a contiguous float tensor
   * @param b a's dtype, shape and device
   * @param alpha factor of b, rounded to fp32 (kept for F64)
   * @param out the same; may be a or b
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void add(Tensor a, Tensor b, double alpha, Tensor out, Stream stream) {
    binary(Shard4jNative.S4J_EW_ADD, a, b, out, alpha, stream);
  }

  /**
   * out = a - b.
   *
   * @param a contiguous float tensor
   * @param b a's dtype, shape and device
   * @param out the same; may be a or b
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void sub(Tensor a, Tensor b, Tensor out, Stream stream) {
    add(a, b, -1.0, out, stream);
  }

  /**
   * out = a * b.
   *
   * @param a contiguous float tensor
   * @param b a's dtype, shape and device
   * @param out the same; may be a or b
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void mul(Tensor a, Tensor b, Tensor out, Stream stream) {
    binary(Shard4jNative.S4J_EW_MUL, a, b, out, 1.0, stream);
  }

  /**
   * y = y + alpha * x in place (BLAS axpy; torch's y.add_(x, alpha=alpha)), as when gradients of
   * micro-batches accumulate.
   *
   * @param alpha factor of x, rounded to fp32 (kept for F64)
   * @param x contiguous float tensor
   * @param y x's dtype, shape and device; must not overlap x
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void axpy(double alpha, Tensor x, Tensor y, Stream stream) {
    check(x, "x", y, "y");
    KernelArgs.apart(y, "y", x, "x");
    run(Shard4jNative.S4J_EW_ADD, y, x, y, alpha, 0, stream);
  }

  /**
   * out = factor * x, as torch.mul(x, factor).
   *
   * @param x contiguous float tensor
   * @param factor rounded to fp32 (kept for F64)
   * @param out x's dtype, shape and device; may be x
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void scale(Tensor x, double factor, Tensor out, Stream stream) {
    affine(x, factor, 0.0, out, stream);
  }

  /**
   * out = x + value, as torch.add(x, value).
   *
   * @param x contiguous float tensor
   * @param value rounded to fp32 (kept for F64)
   * @param out x's dtype, shape and device; may be x
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void addScalar(Tensor x, double value, Tensor out, Stream stream) {
    affine(x, 1.0, value, out, stream);
  }

  /**
   * out = factor * x + value, the product rounded to fp32 before the sum (no fused multiply-add).
   *
   * @param x contiguous float tensor
   * @param factor rounded to fp32 (kept for F64)
   * @param value rounded to fp32 (kept for F64)
   * @param out x's dtype, shape and device; may be x
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void affine(Tensor x, double factor, double value, Tensor out, Stream stream) {
    check(x, "x", out, "out");
    run(Shard4jNative.S4J_EW_AFFINE, x, null, out, factor, value, stream);
  }

  /**
   * Sets every element of t to value converted to its dtype, ordered on the stream (as
   * {@link Tensor#fill(double)}, which runs on the default stream); t may be strided.
   *
   * @param t an open tensor of any dtype
   * @param value the value (integers: truncated toward zero and saturated)
   * @param stream a stream of t's device, or null for its default stream
   */
  public static void fill(Tensor t, double value, Stream stream) {
    Checks.open(t, "t");
    long s = Checks.stream(stream, t.device());
    long intValue = t.dtype().isFloatingPoint() ? 0 : (long) value; // Java's cast saturates, NaN gives 0
    long profiled = KernelProfile.start();
    NativeApi.fill(t.device().nativeOrdinal(), s, t.shape().toArray(), t.dataAddress(), t.dtype().nativeCode(),
        t.strides(), value, intValue);
    KernelProfile.stop("fill", profiled);
  }

  /**
   * Sets every element of t to zero, ordered on the stream (torch's zero_).
   *
   * @param t an open tensor of any dtype; may be strided
   * @param stream a stream of t's device, or null for its default stream
   */
  public static void zero(Tensor t, Stream stream) {
    fill(t, 0.0, stream);
  }

  private static void binary(int op, Tensor a, Tensor b, Tensor out, double alpha, Stream stream) {
    check(a, "a", b, "b");
    check(a, "a", out, "out");
    KernelArgs.sameOrApart(out, "out", b, "b");
    run(op, a, b, out, alpha, 0, stream);
  }

  private static void check(Tensor a, String aName, Tensor b, String bName) {
    KernelArgs.input(a, aName, Checks.FLOATS);
    KernelArgs.like(b, bName, a, aName);
    KernelArgs.sameOrApart(b, bName, a, aName);
  }

  private static void run(int op, Tensor a, Tensor b, Tensor out, double alpha, double beta, Stream stream) {
    Objects.requireNonNull(out, "out");
    // The factors round to the arithmetic type here, where the Java reference sees them too.
    double fa = a.dtype() == DType.F64 ? alpha : (float) alpha;
    double fb = a.dtype() == DType.F64 ? beta : (float) beta;
    long profiled = KernelProfile.start();
    NativeApi.elementwise(a.device().nativeOrdinal(), Checks.stream(stream, a.device()), op, a.dtype().nativeCode(),
        a.numel(), a.dataAddress(), b == null ? 0 : b.dataAddress(), out.dataAddress(), fa, fb);
    KernelProfile.stop("elementwise", profiled);
  }
}
