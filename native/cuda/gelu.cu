// CUDA kernels of GELU and the bias add and its gradient. The element math is common/gelu.h, the
// same the host runs, tanh included (a polynomial of our own, no libm call).
#include "../api/cuda_backend.h"
#include "../api/model_dtypes.h"
#include "../common/gelu.h"
#include "cuda_check.h"

namespace s4j::cuda {

namespace {

constexpr int kThreads = 256;

unsigned blocks_for(int64_t n) {
  int64_t blocks = (n + kThreads - 1) / kThreads;
  return (unsigned)(blocks < 65535 * 16 ? blocks : 65535 * 16);
}

template <class T>
__global__ void gelu_kernel(int64_t n, const T* in, T* out) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    out[i] = convert<T>(gelu_value(convert<float>(in[i])));
  }
}

template <class T>
__global__ void gelu_backward_kernel(int64_t n, const T* grad_out, const T* in, T* grad_in) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    grad_in[i] = convert<T>(gelu_grad(convert<float>(grad_out[i]), convert<float>(in[i])));
  }
}

template <class T>
__global__ void bias_add_kernel(int64_t n, int64_t cols, const T* in, const T* bias, T* out) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    out[i] = convert<T>(convert<float>(in[i]) + convert<float>(bias[i % cols]));
  }
}

// One thread per column, summing the rows in order as the host does: the same bits, and
// neighbouring threads read neighbouring elements of a row.
template <class T, class G>
__global__ void bias_grad_kernel(int64_t rows, int64_t cols, const T* grad_out, G* grad_bias, bool accumulate) {
  for (int64_t c = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; c < cols; c += (int64_t)gridDim.x * blockDim.x) {
    float sum = 0;
    for (int64_t r = 0; r < rows; r++) sum += convert<float>(grad_out[r * cols + c]);
    grad_bias[c] = convert<G>(accumulate ? convert<float>(grad_bias[c]) + sum : sum);
  }
}

}  // namespace

int gelu(int device, s4j_stream_t stream, int dtype, int64_t n, const void* in, void* out) {
  S4J_CUDA(make_current(device));
  cudaStream_t s = reinterpret_cast<cudaStream_t>(stream);
  dispatch_model(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    gelu_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(n, static_cast<const T*>(in), static_cast<T*>(out));
  });
  S4J_CUDA(cudaGetLastError());
  return S4J_OK;
}

int gelu_backward(int device, s4j_stream_t stream, int dtype, int64_t n, const void* grad_out, const void* in,
                  void* grad_in) {
  S4J_CUDA(make_current(device));
  cudaStream_t s = reinterpret_cast<cudaStream_t>(stream);
  dispatch_model(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    gelu_backward_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(n, static_cast<const T*>(grad_out),
                                                                static_cast<const T*>(in), static_cast<T*>(grad_in));
  });
  S4J_CUDA(cudaGetLastError());
  return S4J_OK;
}

int bias_add(int device, s4j_stream_t stream, int dtype, int64_t rows, int64_t cols, const void* in,
             const void* bias, void* out) {
  S4J_CUDA(make_current(device));
  cudaStream_t s = reinterpret_cast<cudaStream_t>(stream);
  const int64_t n = rows * cols;
  dispatch_model(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    bias_add_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(n, cols, static_cast<const T*>(in),
                                                           static_cast<const T*>(bias), static_cast<T*>(out));
  });
  S4J_CUDA(cudaGetLastError());
  return S4J_OK;
}

int bias_grad(int device, s4j_stream_t stream, int dtype, int64_t rows, int64_t cols, const void* grad_out,
              void* grad_bias, int grad_bias_dtype, int accumulate) {
  S4J_CUDA(make_current(device));
  cudaStream_t s = reinterpret_cast<cudaStream_t>(stream);
  dispatch_model(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    dispatch_model(grad_bias_dtype, [&](auto g) {
      using G = typename decltype(g)::type;
      bias_grad_kernel<T, G><<<blocks_for(cols), kThreads, 0, s>>>(rows, cols, static_cast<const T*>(grad_out),
                                                                    static_cast<G*>(grad_bias), accumulate != 0);
    });
  });
  S4J_CUDA(cudaGetLastError());
  return S4J_OK;
}

}  // namespace s4j::cuda
