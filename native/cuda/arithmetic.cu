// CUDA loops of the public elementwise kernels; the element math is common/arithmetic.h, the
// same the host loops run, so both round alike.
#include "../api/cuda_backend.h"
#include "../common/arithmetic.h"
#include "../common/dispatch.h"
#include "cuda_check.h"

namespace s4j::cuda {

namespace {

constexpr int kThreads = 256;

template <class T>
__global__ void elementwise_kernel(int op, int64_t n, const T* a, const T* b, T* out, math_t<T> alpha,
                                   math_t<T> beta) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    out[i] = elementwise_value(op, a[i], b != nullptr ? b[i] : a[i], alpha, beta);
  }
}

unsigned blocks_for(int64_t n) {
  int64_t blocks = (n + kThreads - 1) / kThreads;
  return (unsigned)(blocks < 65535 * 16 ? blocks : 65535 * 16);
}

}  // namespace

int elementwise(int device, s4j_stream_t stream, int op, int dtype, int64_t n, const void* a, const void* b,
                void* out, double alpha, double beta) {
  S4J_CUDA(make_current(device));
  cudaStream_t s = reinterpret_cast<cudaStream_t>(stream);
  dispatch_dtype(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    if constexpr (is_floating<T>::value) {
      elementwise_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(op, n, static_cast<const T*>(a),
                                                              static_cast<const T*>(b), static_cast<T*>(out),
                                                              (math_t<T>)alpha, (math_t<T>)beta);
    }
  });
  S4J_CUDA(cudaGetLastError());
  return S4J_OK;
}

}  // namespace s4j::cuda
