// CUDA kernels of LayerNorm over the last dimension: one warp per row for the output and the input
// gradient (lane sums, then a shuffle tree), one thread per column for the weight and bias
// gradients (rows summed in order, the same bits as the host).
#include "../api/cuda_backend.h"
#include "../api/model_dtypes.h"
#include "../common/layernorm.h"
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
__global__ void layernorm_kernel(int64_t rows, int64_t cols, const T* in, const T* weight, const T* bias, float eps,
                                 T* out, float* mean, float* rstd) {
  const int lane = threadIdx.x % 32;
  for (int64_t r = blockIdx.x * (int64_t)kRowsPerBlock + threadIdx.x / 32; r < rows;
       r += (int64_t)gridDim.x * kRowsPerBlock) {
    const T* x = in + r * cols;
    float sum = 0;
    for (int64_t c = lane; c < cols; c += 32) sum += convert<float>(x[c]);
    const float m = warp_sum(sum) / (float)cols;
    float sq = 0;
    for (int64_t c = lane; c < cols; c += 32) {
      const float d = convert<float>(x[c]) - m;
      sq += d * d;
    }
    const float s = layernorm_rstd(warp_sum(sq) / (float)cols, eps);
    T* y = out + r * cols;
    for (int64_t c = lane; c < cols; c += 32) {
      y[c] = convert<T>(layernorm_value(convert<float>(x[c]), m, s, convert<float>(weight[c]), convert<float>(bias[c])));
    }
    if (lane == 0 && mean != nullptr) mean[r] = m;
    if (lane == 0 && rstd != nullptr) rstd[r] = s;
  }
}

template <class T>
__global__ void layernorm_grad_in_kernel(int64_t rows, int64_t cols, const T* grad_out, const T* in, const T* weight,
                                         const float* mean, const float* rstd, T* grad_in) {
  const int lane = threadIdx.x % 32;
  for (int64_t r = blockIdx.x * (int64_t)kRowsPerBlock + threadIdx.x / 32; r < rows;
       r += (int64_t)gridDim.x * kRowsPerBlock) {
    const T* g = grad_out + r * cols;
    const T* x = in + r * cols;
    const float m = mean[r], s = rstd[r];
    float a = 0, b = 0;
    for (int64_t c = lane; c < cols; c += 32) {
      const float xhat = (convert<float>(x[c]) - m) * s;
      const float dnorm = convert<float>(g[c]) * convert<float>(weight[c]);
      a += dnorm;
      b += dnorm * xhat;
    }
    a = warp_sum(a) / (float)cols;
    b = warp_sum(b) / (float)cols;
    T* dx = grad_in + r * cols;
    for (int64_t c = lane; c < cols; c += 32) {
      const float xhat = (convert<float>(x[c]) - m) * s;
      const float dnorm = convert<float>(g[c]) * convert<float>(weight[c]);
      dx[c] = convert<T>(layernorm_grad(dnorm, xhat, a, b, s));
    }
  }
}

template <class T, class G>
__global__ void layernorm_grad_params_kernel(int64_t rows, int64_t cols, const T* grad_out, const T* in,
                                             const float* mean, const float* rstd, G* grad_weight, G* grad_bias,
                                             bool accumulate) {
  for (int64_t c = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; c < cols; c += (int64_t)gridDim.x * blockDim.x) {
    float dw = 0, db = 0;
    for (int64_t r = 0; r < rows; r++) {
      const float g = convert<float>(grad_out[r * cols + c]);
      const float xhat = (convert<float>(in[r * cols + c]) - mean[r]) * rstd[r];
      dw += g * xhat;
      db += g;
    }
    grad_weight[c] = convert<G>(accumulate ? convert<float>(grad_weight[c]) + dw : dw);
    grad_bias[c] = convert<G>(accumulate ? convert<float>(grad_bias[c]) + db : db);
  }
}

}  // namespace

int layernorm(int device, s4j_stream_t stream, int dtype, int64_t rows, int64_t cols, const void* in,
              const void* weight, const void* bias, float eps, void* out, float* mean, float* rstd) {
  S4J_CUDA(make_current(device));
  cudaStream_t s = reinterpret_cast<cudaStream_t>(stream);
  dispatch_model(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    layernorm_kernel<T><<<row_blocks(rows), kThreads, 0, s>>>(rows, cols, static_cast<const T*>(in),
                                                              static_cast<const T*>(weight),
                                                              static_cast<const T*>(bias), eps, static_cast<T*>(out),
                                                              mean, rstd);
  });
  S4J_CUDA(cudaGetLastError());
  return S4J_OK;
}

int layernorm_backward(int device, s4j_stream_t stream, int dtype, int64_t rows, int64_t cols, const void* grad_out,
                       const void* in, const void* weight, const float* mean, const float* rstd, void* grad_in,
                       void* grad_weight, void* grad_bias, int param_grad_dtype, int accumulate) {
  S4J_CUDA(make_current(device));
  cudaStream_t s = reinterpret_cast<cudaStream_t>(stream);
  const unsigned column_blocks = (unsigned)((cols + kThreads - 1) / kThreads);
  dispatch_model(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    dispatch_model(param_grad_dtype, [&](auto g) {
      using G = typename decltype(g)::type;
      // The parameter gradients first: grad_in may be grad_out itself.
      layernorm_grad_params_kernel<T, G><<<column_blocks, kThreads, 0, s>>>(
          rows, cols, static_cast<const T*>(grad_out), static_cast<const T*>(in), mean, rstd,
          static_cast<G*>(grad_weight), static_cast<G*>(grad_bias), accumulate != 0);
    });
    if (rows > 0) {
      layernorm_grad_in_kernel<T><<<row_blocks(rows), kThreads, 0, s>>>(
          rows, cols, static_cast<const T*>(grad_out), static_cast<const T*>(in), static_cast<const T*>(weight), mean,
          rstd, static_cast<T*>(grad_in));
    }
  });
  S4J_CUDA(cudaGetLastError());
  return S4J_OK;
}

}  // namespace s4j::cuda
