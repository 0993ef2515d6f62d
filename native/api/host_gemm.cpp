// fp32 GEMM on the host: OpenBLAS's cblas_sgemm, found in the OpenBLAS that the Java side loaded,
// run one-threaded in pieces of rows on shard4j's own thread pool. One pool for every host kernel:
// OpenBLAS's own threads spin after each product, and on a machine with few cores they took the
// cores from the kernels that ran between two products.
#include <dlfcn.h>

#include <atomic>

#include "../cpu/thread_pool.h"
#include "status.h"

namespace {

// cblas_sgemm's signature, with CBLAS's enums as ints (row-major 101, no-trans 111, trans 112).
using Sgemm = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*,
                       int);
using SetThreads = void (*)(int);

std::atomic<Sgemm> sgemm{nullptr};

constexpr int kRowMajor = 101;
constexpr int kNoTrans = 111;
constexpr int kTrans = 112;
// Products smaller than this run in one piece: splitting them costs more than it saves.
constexpr double kSplitFlops = 4e6;

}  // namespace

extern "C" {

int s4j_host_blas_init(const char* library) {
  S4J_REQUIRE(library != nullptr, "s4j_host_blas_init: null library path");
  void* handle = dlopen(library, RTLD_NOW | RTLD_NOLOAD);
  if (handle == nullptr) handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
  S4J_REQUIRE(handle != nullptr, "s4j_host_blas_init: cannot open %s: %s", library, dlerror());
  auto fn = reinterpret_cast<Sgemm>(dlsym(handle, "cblas_sgemm"));
  S4J_REQUIRE(fn != nullptr, "s4j_host_blas_init: %s has no cblas_sgemm", library);
  // The pieces run on the pool's threads: OpenBLAS must not start threads of its own.
  if (auto set = reinterpret_cast<SetThreads>(dlsym(handle, "openblas_set_num_threads"))) set(1);
  sgemm.store(fn);
  return S4J_OK;
}

int s4j_host_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float* a, int lda,
                   const float* b, int ldb, float beta, float* c, int ldc) {
  Sgemm fn = sgemm.load();
  S4J_REQUIRE(fn != nullptr, "s4j_host_sgemm: call s4j_host_blas_init first");
  S4J_REQUIRE(m >= 0 && n >= 0 && k >= 0, "s4j_host_sgemm: m=%d n=%d k=%d", m, n, k);
  S4J_REQUIRE(m == 0 || n == 0 || (a != nullptr && b != nullptr && c != nullptr), "s4j_host_sgemm: null pointer");
  if (m == 0 || n == 0) return S4J_OK;
  const int ta = trans_a ? kTrans : kNoTrans, tb = trans_b ? kTrans : kNoTrans;
  const double flops = 2.0 * m * n * k;
  const int threads = s4j::cpu::thread_count();
  if (threads <= 1 || flops < kSplitFlops || (m < 2 * threads && n < 2 * threads)) {
    fn(kRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return S4J_OK;
  }
  // One piece per thread, of C's rows or of its columns, whichever are more: each piece packs
  // its own share of one operand and all of the other. Row i of C depends on row i of op(A) alone
  // and column j on column j of op(B), so every element is computed as the whole product would.
  const bool by_rows = m >= n;
  const int64_t extent = by_rows ? m : n;
  const int64_t size = (extent + threads - 1) / threads;
  s4j::cpu::parallel_for(threads, 1, [&](int64_t first, int64_t last) {
    for (int64_t p = first; p < last; p++) {
      const int64_t i0 = p * size;
      const int64_t i1 = i0 + size < extent ? i0 + size : extent;
      if (i0 >= i1) continue;
      const int len = (int)(i1 - i0);
      if (by_rows) {
        const float* a_piece = trans_a ? a + i0 : a + i0 * lda;
        fn(kRowMajor, ta, tb, len, n, k, alpha, a_piece, lda, b, ldb, beta, c + i0 * ldc, ldc);
      } else {
        const float* b_piece = trans_b ? b + i0 * ldb : b + i0;
        fn(kRowMajor, ta, tb, m, len, k, alpha, a, lda, b_piece, ldb, beta, c + i0, ldc);
      }
    }
  });
  return S4J_OK;
}

int s4j_host_sgemm_batched(int trans_a, int trans_b, int m, int n, int k, float alpha, const float* a, int lda,
                           int64_t stride_a, const float* b, int ldb, int64_t stride_b, float beta, float* c, int ldc,
                           int64_t stride_c, int batch) {
  S4J_REQUIRE(batch >= 0, "s4j_host_sgemm_batched: batch %d", batch);
  if (batch == 1) return s4j_host_sgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  Sgemm fn = sgemm.load();
  S4J_REQUIRE(fn != nullptr, "s4j_host_sgemm_batched: call s4j_host_blas_init first");
  S4J_REQUIRE(m >= 0 && n >= 0 && k >= 0, "s4j_host_sgemm_batched: m=%d n=%d k=%d", m, n, k);
  if (m == 0 || n == 0 || batch == 0) return S4J_OK;
  S4J_REQUIRE(a != nullptr && b != nullptr && c != nullptr, "s4j_host_sgemm_batched: null pointer");
  const int ta = trans_a ? kTrans : kNoTrans, tb = trans_b ? kTrans : kNoTrans;
  // The products of a batch (attention's heads) are small: a share of them per thread.
  const double flops = 2.0 * m * n * k;
  const int64_t grain = flops >= kSplitFlops ? 1 : (int64_t)(kSplitFlops / (flops + 1)) + 1;
  s4j::cpu::parallel_for(batch, grain, [&](int64_t first, int64_t last) {
    for (int64_t i = first; i < last; i++) {
      fn(kRowMajor, ta, tb, m, n, k, alpha, a + i * stride_a, lda, b + i * stride_b, ldb, beta, c + i * stride_c, ldc);
    }
  });
  return S4J_OK;
}

}  // extern "C"
