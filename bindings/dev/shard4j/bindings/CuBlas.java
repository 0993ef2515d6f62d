package dev.shard4j.bindings;

import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * Row-major GEMM on a CUDA device through cuBLAS (the Bytedeco preset), over raw device
 * addresses. One cuBLAS handle per device, created on first use and kept for the JVM's life;
 * calls on a device are serialised on its handle. Only cuBLAS functions present in CUDA 13.0 are
 * called. Use only when {@link Cuda#probe()} reports cuBLAS loaded.
 */
public final class CuBlas {
  /** Element types, as the tensor layer's dtype codes name them. */
  private static final int F32 = 7;
  private static final int F64 = 8;
  private static final int F16 = 6;
  private static final int BF16 = 9;

  private static final ConcurrentHashMap<Integer, cublasContext> HANDLES = new ConcurrentHashMap<>();

  private CuBlas() {}


  private static cublasContext handle(int device) {
    if (!Cuda.probe().cublas().loaded()) {
      throw new CudaUnavailableException("cuBLAS is not loaded: " + Cuda.probe().cublas().detail());
    }
    return HANDLES.computeIfAbsent(device, d -> {
      NativeApi.cudaDeviceProperties(d); // makes the device current and checks it exists
      cublasContext h = new cublasContext();
      check(cublas.cublasCreate_v2(h), "cublasCreate");
      return h;
    });
  }

  /**
   * Batched C[i] = alpha * op(A[i]) * op(B[i]) + beta * C[i], row-major, fp32 accumulation (fp64
   * for F64), on a stream. A single product is a batch of one.
   *
   * @param device CUDA ordinal
   * @param stream stream handle
   * @param dtype dtype code of A, B and C (F32, F64, F16, BF16)
   * @param transA whether A is used transposed
   * @param transB whether B is used transposed
   * @param m rows of op(A) and C
   * @param n columns of op(B) and C
   * @param k columns of op(A), rows of op(B)
   * @param alpha factor of the product
   * @param a address of A[0]
   * @param lda row stride of A
   * @param strideA elements between A[i] and A[i + 1]
   * @param b address of B[0]
   * @param ldb row stride of B
   * @param strideB elements between B[i] and B[i + 1]
   * @param beta factor of C
   * @param c address of C[0]
   * @param ldc row stride of C
   * @param strideC elements between C[i] and C[i + 1]
   * @param batch number of products
   */
  public static void gemm(int device, long stream, int dtype, boolean transA, boolean transB, int m, int n,
      int k, double alpha, long a, int lda, long strideA, long b, int ldb, long strideB, double beta, long c,
      int ldc, long strideC, int batch) {
    cublasContext h = handle(device);
    int type = cudaType(dtype);
    boolean wide = dtype == F64;
    Pointer alphaP = wide ? new DoublePointer(alpha) : new FloatPointer((float) alpha);
    Pointer betaP = wide ? new DoublePointer(beta) : new FloatPointer((float) beta);
    try {
      synchronized (h) {
        check(cublas.cublasSetStream_v2(h, new CUstream_st(new RawPointer(stream))), "cublasSetStream");
        // Row-major C = A B is column-major C^T = B^T A^T: swap the operands and m with n.
        check(cublas.cublasGemmStridedBatchedEx(h, op(transB), op(transA), n, m, k, alphaP,
            new RawPointer(b), type, ldb, strideB, new RawPointer(a), type, lda, strideA, betaP, new RawPointer(c), type, ldc,
            strideC, batch, wide ? cublas.CUBLAS_COMPUTE_64F : cublas.CUBLAS_COMPUTE_32F,
            cublas.CUBLAS_GEMM_DEFAULT), "cublasGemmStridedBatchedEx");
      }
    } finally {
      alphaP.close();
      betaP.close();
    }
  }

  private static int op(boolean transpose) {
    return transpose ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N;
  }

  private static int cudaType(int dtype) {
    switch (dtype) {
      case F32:
        return cudart.CUDA_R_32F;
      case F64:
        return cudart.CUDA_R_64F;
      case F16:
        return cudart.CUDA_R_16F;
      case BF16:
        return cudart.CUDA_R_16BF;
      default:
        throw new IllegalArgumentException("cuBLAS GEMM takes F32, F64, F16 or BF16, not dtype code " + dtype);
    }
  }

  private static void check(int status, String call) {
    if (status != 0) {
      throw new CudaException(call + " failed with cublasStatus_t " + status);
    }
  }
}
