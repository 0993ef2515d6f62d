// CUDA kernels of the fused softmax + cross-entropy: one block per row, its max and sum of
// exponentials reduced in shared memory, then the loss or the gradient written in one more pass.
// Device targets cannot be checked before the launch: one outside [0, vocab) gives its row a NaN
// loss and a NaN gradient.
#include "../api/cuda_backend.h"
#include "../api/model_dtypes.h"
#include "../common/cross_entropy.h"
#include "cuda_check.h"

namespace s4j::cuda {

namespace {

constexpr int kThreads = 512;

// Reduces v over the block (max or sum); every thread gets the result.
template <bool Max>
__device__ float block_reduce(float v, float* shared) {
  for (int offset = 16; offset > 0; offset >>= 1) {
    const float o = __shfl_xor_sync(0xFFFFFFFFu, v, offset);
    v = Max ? fmaxf(v, o) : v + o;
  }
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();  // shared may still be read by a previous reduction
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  v = lane < (int)(blockDim.x / 32) ? shared[lane] : (Max ? -INFINITY : 0.0f);
  for (int offset = 16; offset > 0; offset >>= 1) {
    const float o = __shfl_xor_sync(0xFFFFFFFFu, v, offset);
    v = Max ? fmaxf(v, o) : v + o;
  }
  return v;
}

template <class T>
__device__ void row_stats(const T* x, int64_t vocab, float* shared, float& max, float& sum) {
  float m = -INFINITY;
  for (int64_t v = threadIdx.x; v < vocab; v += blockDim.x) m = fmaxf(m, convert<float>(x[v]));
  max = block_reduce<true>(m, shared);
  float s = 0;
  for (int64_t v = threadIdx.x; v < vocab; v += blockDim.x) s += expf(convert<float>(x[v]) - max);
  sum = block_reduce<false>(s, shared);
}

template <class T, class I>
__global__ void cross_entropy_kernel(int64_t rows, int64_t vocab, const T* logits, const I* targets, float* losses) {
  __shared__ float shared[32];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* x = logits + r * vocab;
    float max, sum;
    row_stats(x, vocab, shared, max, sum);
    if (threadIdx.x == 0) {
      const I t = targets[r];
      losses[r] = target_in_range(t, vocab) ? cross_entropy_loss(max, sum, convert<float>(x[t])) : NAN;
    }
  }
}

// The mean of the losses by one thread, in row order as the host sums them.
__global__ void mean_kernel(int64_t rows, const float* losses, float* mean) {
  float total = 0;
  for (int64_t r = 0; r < rows; r++) total += losses[r];
  *mean = total / (float)rows;
}

template <class T, class I>
__global__ void cross_entropy_backward_kernel(int64_t rows, int64_t vocab, const T* logits, const I* targets,
                                              const float* grad_losses, float scale, T* grad_logits) {
  __shared__ float shared[32];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* x = logits + r * vocab;
    float max, sum;
    row_stats(x, vocab, shared, max, sum);
    const I t = targets[r];
    const float g = grad_losses != nullptr ? grad_losses[r] * scale : scale;
    const float inv_sum = target_in_range(t, vocab) ? 1.0f / sum : NAN;
    T* dx = grad_logits + r * vocab;
    for (int64_t v = threadIdx.x; v < vocab; v += blockDim.x) {
      dx[v] = convert<T>(cross_entropy_grad(convert<float>(x[v]), max, inv_sum, v == (int64_t)t, g));
    }
  }
}

unsigned row_blocks(int64_t rows) { return (unsigned)(rows < 65535 * 16 ? rows : 65535 * 16); }

template <class F>
void dispatch_target(int target_dtype, F&& f) {
  if (target_dtype == S4J_I64) f(type_tag<int64_t>{});
  else f(type_tag<int32_t>{});
}

}  // namespace

int cross_entropy(int device, s4j_stream_t stream, int dtype, int64_t rows, int64_t vocab, const void* logits,
                  const void* targets, int target_dtype, float* losses, float* mean) {
  S4J_CUDA(make_current(device));
  cudaStream_t s = reinterpret_cast<cudaStream_t>(stream);
  dispatch_model(dtype, [&](auto x) {
    using T = typename decltype(x)::type;
    dispatch_target(target_dtype, [&](auto i) {
      using I = typename decltype(i)::type;
      cross_entropy_kernel<T, I><<<row_blocks(rows), kThreads, 0, s>>>(rows, vocab, static_cast<const T*>(logits),
                                                                       static_cast<const I*>(targets), losses);
    });
  });
  if (mean != nullptr) mean_kernel<<<1, 1, 0, s>>>(rows, losses, mean);
  S4J_CUDA(cudaGetLastError());
  return S4J_OK;
}

int cross_entropy_backward(int device, s4j_stream_t stream, int dtype, int64_t rows, int64_t vocab, const void* logits,
                           const void* targets, int target_dtype, const float* grad_losses, float scale,
                           void* grad_logits) {
  S4J_CUDA(make_current(device));
  cudaStream_t s = reinterpret_cast<cudaStream_t>(stream);
  dispatch_model(dtype, [&](auto x) {
    using T = typename decltype(x)::type;
    dispatch_target(target_dtype, [&](auto i) {
      using I = typename decltype(i)::type;
      cross_entropy_backward_kernel<T, I><<<row_blocks(rows), kThreads, 0, s>>>(
          rows, vocab, static_cast<const T*>(logits), static_cast<const I*>(targets), grad_losses, scale,
          static_cast<T*>(grad_logits));
    });
  });
  S4J_CUDA(cudaGetLastError());
  return S4J_OK;
}

}  // namespace s4j::cuda
