package dev.shard4j.bindings;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Row-major GEMM on the host through OpenBLAS (the Bytedeco preset), over raw addresses. The
 * caller validates shapes and keeps the memory alive. Thread-safe; OpenBLAS uses every core.
 */
public final class Blas {
  private static volatile boolean loaded;

  private Blas() {}

  /**
   * Sets how many threads OpenBLAS runs a product on (by default every core, or
   * OPENBLAS_NUM_THREADS).
   *
   * @param threads 1 or more
   */
  public static void setThreads(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, got " + threads);
    }
    ensureLoaded();
    openblas_nolapack.blas_set_num_threads(threads);
  }

  /**
   * How many threads OpenBLAS runs a product on.
   *
   * @return the count
   */
  public static int threads() {
    ensureLoaded();
    return openblas_nolapack.blas_get_num_threads();
  }

  private static void ensureLoaded() {
    if (!loaded) {
      synchronized (Blas.class) {
        if (!loaded) {
          try {
            Loader.load(openblas_nolapack.class);
          } catch (Throwable t) {
            throw new NativeLibraryException("OpenBLAS could not be loaded: " + t, t);
          }
          loaded = true;
        }
      }
    }
  }

  /**
   * C = alpha * op(A) * op(B) + beta * C in fp32, row-major.
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
  public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a,
      int lda, long b, int ldb, float beta, long c, int ldc) {
    ensureLoaded();
    openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, op(transA), op(transB), m, n, k, alpha,
        new FloatPointer(new RawPointer(a)), lda, new FloatPointer(new RawPointer(b)), ldb, beta,
        new FloatPointer(new RawPointer(c)), ldc);
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
