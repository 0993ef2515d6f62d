package dev.shard4j.kernels;

import dev.shard4j.bindings.Blas;
import dev.shard4j.bindings.CuBlas;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;

/**
 * Matrix products of row-major tensors: cuBLAS on a GPU (fp32 accumulation for F16 and BF16),
 * OpenBLAS on the CPU (F16 and BF16 through fp32 copies). 2-D matrices, or 3-D batches of them
 * (batched strided, as torch.bmm). Thread-safe.
 */
public final class Gemm {
  private Gemm() {}

  /**
   * out = a @ b as a new tensor from a's allocator.
   *
   * @param a [M, K] or [B, M, K]
   * @param b [K, N] or [B, K, N]
   * @return [M, N] or [B, M, N], owned by the caller
   */
  public static Tensor matmul(Tensor a, Tensor b) {
    Checks.open(a, "a");
    Checks.open(b, "b");
    int r = a.rank();
    long[] shape = a.shape().toArray();
    if (b.rank() >= 2 && r >= 2) {
      shape[r - 1] = b.shape().dim(-1);
    }
    Tensor out = Tensors.empty(a.allocator(), a.dtype(), a.device(), shape);
    try {
      matmul(a, b, out, false, false, 1.0, 0.0, null);
      return out;
    } catch (RuntimeException e) {
      out.close();
      throw e;
    }
  }

  /**
   * out = alpha * op(a) @ op(b) + beta * out, where op transposes the last two dimensions when asked.
   *
   * @param a contiguous [M, K] ([K, M] when transA), or 3-D with a leading batch dimension
   * @param b contiguous [K, N] ([N, K] when transB), same rank and batch
   * @param out contiguous [M, N] (or [B, M, N]), same dtype and device; must not overlap a or b
   * @param transA use a transposed
   * @param transB use b transposed
   * @param alpha factor of the product
   * @param beta factor of out's previous contents (0 ignores them, NaN included)
   * @param stream a stream of the tensors' device, or null for its default stream (on the CPU the
   *     product runs on the calling thread whatever the stream)
   */
  public static void matmul(Tensor a, Tensor b, Tensor out, boolean transA, boolean transB, double alpha,
      double beta, Stream stream) {
    Checks.contiguous(a, "a");
    Checks.contiguous(b, "b");
    Checks.contiguous(out, "out");
    Checks.dtype(a, "a", Checks.FLOATS);
    if (b.dtype() != a.dtype() || out.dtype() != a.dtype()) {
      throw new IllegalArgumentException("dtypes differ: a " + a.dtype() + ", b " + b.dtype() + ", out " + out.dtype());
    }
    Checks.sameDevice(b, a.device(), "b");
    Checks.sameDevice(out, a.device(), "out");
    int rank = a.rank();
    if ((rank != 2 && rank != 3) || b.rank() != rank || out.rank() != rank) {
      throw new IllegalArgumentException("matmul takes 2-D or 3-D tensors of one rank, got a " + a.shape()
          + ", b " + b.shape() + ", out " + out.shape());
    }
    long batch = rank == 3 ? a.shape().dim(0) : 1;
    long m = transA ? a.shape().dim(-1) : a.shape().dim(-2);
    long k = transA ? a.shape().dim(-2) : a.shape().dim(-1);
    long kb = transB ? b.shape().dim(-1) : b.shape().dim(-2);
    long n = transB ? b.shape().dim(-2) : b.shape().dim(-1);
    if (k != kb || out.shape().dim(-2) != m || out.shape().dim(-1) != n
        || (rank == 3 && (b.shape().dim(0) != batch || out.shape().dim(0) != batch))) {
      throw new IllegalArgumentException("shapes do not multiply: a " + a.shape() + (transA ? "^T" : "") + ", b "
          + b.shape() + (transB ? "^T" : "") + ", out " + out.shape());
    }
    if (Math.max(Math.max(m, n), Math.max(k, batch)) > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("matrix dimensions must fit in an int");
    }
    if (Checks.overlap(Checks.span(out), Checks.span(a)) || Checks.overlap(Checks.span(out), Checks.span(b))) {
      throw new IllegalArgumentException("out must not overlap a or b");
    }
    // Checked on the CPU too, where the product runs on the caller's thread: a stream of another
    // device is a mistake there as anywhere.
    long streamHandle = Checks.stream(stream, a.device());
    if (m == 0 || n == 0) {
      return;
    }
    Problem p = new Problem(transA, transB, (int) m, (int) n, (int) k, (int) batch,
        (int) a.shape().dim(-1), (int) b.shape().dim(-1), (int) n, alpha, beta);
    long profiled = KernelProfile.start();
    if (a.device().isCuda()) {
      CuBlas.gemm(a.device().index(), streamHandle, a.dtype().nativeCode(), transA, transB,
          p.m, p.n, p.k, alpha, a.dataAddress(), p.lda, m * k, b.dataAddress(), p.ldb, k * n, beta,
          out.dataAddress(), p.ldc, m * n, p.batch);
    } else if (a.dtype() == DType.F32 || a.dtype() == DType.F64) {
      hostGemm(a, b, out, p);
    } else {
      // OpenBLAS has no F16/BF16 GEMM with this output: go through fp32 copies.
      try (Tensor a32 = a.cast(DType.F32); Tensor b32 = b.cast(DType.F32);
          Tensor out32 = beta == 0 ? Tensors.empty(out.allocator(), DType.F32, Device.CPU, out.shape().toArray())
              : out.cast(DType.F32)) {
        hostGemm(a32, b32, out32, p);
        out.copyFrom(out32);
      }
    }
    KernelProfile.stop(batch > 1 ? "gemm.batched" : "gemm", profiled);
  }

  private record Problem(boolean transA, boolean transB, int m, int n, int k, int batch, int lda, int ldb, int ldc,
      double alpha, double beta) {}

  private static void hostGemm(Tensor a, Tensor b, Tensor out, Problem p) {
    long size = a.dtype().byteSize();
    if (a.dtype() == DType.F32) {
      Blas.sgemmBatched(p.transA, p.transB, p.m, p.n, p.k, (float) p.alpha, a.dataAddress(), p.lda,
          (long) p.m * p.k, b.dataAddress(), p.ldb, (long) p.k * p.n, (float) p.beta, out.dataAddress(), p.ldc,
          (long) p.m * p.n, p.batch);
      return;
    }
    for (int i = 0; i < p.batch; i++) { // F64
      long aAt = a.dataAddress() + i * (long) p.m * p.k * size;
      long bAt = b.dataAddress() + i * (long) p.k * p.n * size;
      long cAt = out.dataAddress() + i * (long) p.m * p.n * size;
      Blas.dgemm(p.transA, p.transB, p.m, p.n, p.k, p.alpha, aAt, p.lda, bAt, p.ldb, p.beta, cAt, p.ldc);
    }
  }

}
