// CUDA kernels of the fused scale + causal mask + softmax of attention scores and its backward:
// one warp per row (lane sums, then a shuffle tree), so the results may differ from the host's
// in the last bits; masked columns are exactly 0 on both.
#include "../api/cuda_backend.h"
#include "../api/model_dtypes.h"
#include "../common/causal_softmax.h"
#include "cuda_check.h"
#include "warp_reduce.cuh"

namespace s4j::cuda {

namespace {

constexpr int kThreads = 256;
constexpr int kRowsPerBlock = kThreads / 32;

unsigned row_blocks(int64_t rows) {
  int64_t blocks = (rows + kRowsPerBlock - 1) / kRowsPerBlock;
  return (unsigned)(blocks < 65535 * 16 ? blocks : 65535 * 16);
}

template <class T>
__global__ void causal_softmax_kernel(int64_t rows, int64_t seq, float scale, const T* in, T* out) {
  const int lane = threadIdx.x % 32;
  for (int64_t r = blockIdx.x * (int64_t)kRowsPerBlock + threadIdx.x / 32; r < rows;
       r += (int64_t)gridDim.x * kRowsPerBlock) {
    const int64_t keep = r % seq + 1;
    const T* s = in + r * seq;
    float max = -INFINITY;
    for (int64_t j = lane; j < keep; j += 32) max = fmaxf(max, convert<float>(s[j]) * scale);
    max = warp_max(max);
    float sum = 0;
    for (int64_t j = lane; j < keep; j += 32) sum += expf(convert<float>(s[j]) * scale - max);
    const float inv_sum = 1.0f / warp_sum(sum);
    T* p = out + r * seq;
    for (int64_t j = lane; j < seq; j += 32) {
      p[j] = j < keep ? convert<T>(causal_prob(convert<float>(s[j]), scale, max, inv_sum)) : convert<T>(0.0f);
    }
  }
}

template <class T>
__global__ void causal_softmax_backward_kernel(int64_t rows, int64_t seq, float scale, const T* probs,
                                               const T* grad_probs, T* grad_scores) {
  const int lane = threadIdx.x % 32;
  for (int64_t r = blockIdx.x * (int64_t)kRowsPerBlock + threadIdx.x / 32; r < rows;
       r += (int64_t)gridDim.x * kRowsPerBlock) {
    const int64_t keep = r % seq + 1;
    const T* p = probs + r * seq;
    const T* dp = grad_probs + r * seq;
    float dot = 0;
    for (int64_t j = lane; j < keep; j += 32) dot += convert<float>(p[j]) * convert<float>(dp[j]);
    dot = warp_sum(dot);
    T* ds = grad_scores + r * seq;
    for (int64_t j = lane; j < seq; j += 32) {
      ds[j] = j < keep ? convert<T>(causal_softmax_grad(convert<float>(p[j]), convert<float>(dp[j]), dot, scale))
                       : convert<T>(0.0f);
    }
  }
}

}  // namespace

int causal_softmax(int device, s4j_stream_t stream, int dtype, int64_t batch, int64_t seq, float scale,
                   const void* scores, void* probs) {
  S4J_CUDA(make_current(device));
  cudaStream_t s = reinterpret_cast<cudaStream_t>(stream);
  dispatch_model(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    causal_softmax_kernel<T><<<row_blocks(batch * seq), kThreads, 0, s>>>(
        batch * seq, seq, scale, static_cast<const T*>(scores), static_cast<T*>(probs));
  });
  S4J_CUDA(cudaGetLastError());
  return S4J_OK;
}

int causal_softmax_backward(int device, s4j_stream_t stream, int dtype, int64_t batch, int64_t seq, float scale,
                            const void* probs, const void* grad_probs, void* grad_scores) {
  S4J_CUDA(make_current(device));
  cudaStream_t s = reinterpret_cast<cudaStream_t>(stream);
  dispatch_model(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    causal_softmax_backward_kernel<T><<<row_blocks(batch * seq), kThreads, 0, s>>>(
        batch * seq, seq, scale, static_cast<const T*>(probs), static_cast<const T*>(grad_probs),
        static_cast<T*>(grad_scores));
  });
  S4J_CUDA(cudaGetLastError());
  return S4J_OK;
}

}  // namespace s4j::cuda
