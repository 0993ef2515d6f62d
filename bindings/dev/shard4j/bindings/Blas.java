package dev.shard4j.bindings;

import org.bytedeco.javacpp.DoublePointer;
import java.nio.file.Path;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Row-major GEMM on the host through OpenBLAS (the Bytedeco preset), over raw addresses. The
 * caller validates shapes and keeps the memory alive. Thread-safe. fp32 products run through
 * libshard4j, which splits them over the host kernels' threads and keeps OpenBLAS to one thread:
 * two thread pools on few cores slowed each other down.
 */
public final class Blas {
  private static volatile boolean loaded;

  private Blas() {}

  private static void ensureLoaded() {
    if (!loaded) {
      synchronized (Blas.class) {
        if (!loaded) {
          String jni;
          try {
            jni = Loader.load(openblas_nolapack.class);
          } catch (Throwable t) {
            throw new NativeLibraryException("OpenBLAS could not be loaded: " + t, t);
          }
          // The preset's JNI library sits beside OpenBLAS itself, which libshard4j calls directly.
          String library = Path.of(jni).resolveSibling("libopenblas_nolapack.so.0").toString();
          NativeLibrary.ensureLoaded();
          Status.check(Shard4jNative.s4j_host_blas_init(library), "host BLAS");
          loaded = true;
        }
      }
    }
  }

  /**
   * A batch of fp32 products C_i = alpha * op(A_i) * op(B_i) + beta * C_i, row-major, matrix i at
   * element offset i * stride of each base address.
   *
   * @param transA whether each A is used transposed
   * @param transB whether each B is used transposed
   * @param m rows of op(A) and C
   * @param n columns of op(B) and C
   * @param k columns of op(A), rows of op(B)
   * @param alpha factor of the products
   * @param a address of the first A
   * @param lda row stride of A
   * @param strideA elements from one A to the next
   * @param b address of the first B
   * @param ldb row stride of B
   * @param strideB elements from one B to the next
   * @param beta factor of C
   * @param c address of the first C
   * @param ldc row stride of C
   * @param strideC elements from one C to the next
   * @param batch the number of products
   */
  public static void sgemmBatched(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda,
      long strideA, long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch) {
    ensureLoaded();
    Status.check(Shard4jNative.s4j_host_sgemm_batched(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, strideA,
        b, ldb, strideB, beta, c, ldc, strideC, batch), "sgemm batched");
  }

  /**
   * C = alpha * op(A) * op(B) + beta * C in fp64, row-major.
   *
   * @param transA whether A is used transposed
   * @param transB whether B is used transposed
   * @param m rows of op(A) and C
   * @param n columns of op(B) and C
   * @param k columns of op(A), rows of op(B)
   * @param alpha factor of the product
   * @param a address of A
   * @param lda row stride of A
   * @param b address of B
   * @param ldb row stride of B
   * @param beta factor of C
   * @param c address of C
   * @param ldc row stride of C
   */
  public static void dgemm(boolean transA, boolean transB, int m, int n, int k, double alpha, long a,
      int lda, long b, int ldb, double beta, long c, int ldc) {
    ensureLoaded();
    openblas_nolapack.cblas_dgemm(openblas_nolapack.CblasRowMajor, op(transA), op(transB), m, n, k, alpha,
        new DoublePointer(new RawPointer(a)), lda, new DoublePointer(new RawPointer(b)), ldb, beta,
        new DoublePointer(new RawPointer(c)), ldc);
  }

  private static int op(boolean transpose) {
    return transpose ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans;
  }
}
