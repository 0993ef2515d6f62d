// CUDA element kernels: strided copy with conversion, and fill. The element math is
// common/elements.h, the same the host kernels use.
#include "../api/cuda_backend.h"
#include "../common/activation.h"
#include "../common/dispatch.h"
#include "cuda_check.h"

namespace s4j::cuda {

namespace {

constexpr int kThreads = 256;

// Element offsets of linear index i in the destination and the source.
__device__ __forceinline__ void offsets(const StridedLayout& l, int64_t i, int64_t& dst, int64_t& src) {
  dst = 0;
  src = 0;
  for (int d = l.ndim - 1; d >= 0; d--) {
    int64_t index = i % l.sizes[d];
    i /= l.sizes[d];
    dst += index * l.dst_strides[d];
    src += index * l.src_strides[d];
  }
}

template <class D, class S>
__global__ void copy_kernel(StridedLayout l, int64_t n, D* dst, const S* src) {
  const bool contiguous = l.contiguous();
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x) {
    if (contiguous) {
      dst[i] = convert<D>(src[i]);
    } else {
      int64_t d, s;
      offsets(l, i, d, s);
      dst[d] = convert<D>(src[s]);
    }
  }
}

template <class T>
__global__ void relu_kernel(int64_t n, const T* in, T* out) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    out[i] = relu_value(in[i]);
  }
}

template <class T>
__global__ void relu_backward_kernel(int64_t n, const T* grad_out, const T* out, T* grad_in) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    grad_in[i] = relu_grad(grad_out[i], out[i]);
  }
}

template <class T>
__global__ void fill_kernel(StridedLayout l, int64_t n, T* dst, T value) {
  const bool contiguous = l.contiguous();
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x) {
    if (contiguous) {
      dst[i] = value;
    } else {
      int64_t d, s;
      offsets(l, i, d, s);
      dst[d] = value;
    }
  }
}

unsigned blocks_for(int64_t n) {
  int64_t blocks = (n + kThreads - 1) / kThreads;
  return (unsigned)(blocks < 65535 * 16 ? blocks : 65535 * 16);
}

}  // namespace

int copy_strided(int device, s4j_stream_t stream, const StridedLayout& layout, void* dst,
                 int dst_dtype, const void* src, int src_dtype) {
  S4J_CUDA(make_current(device));
  cudaStream_t s = reinterpret_cast<cudaStream_t>(stream);
  const int64_t n = layout.numel();
  if (dst_dtype == src_dtype && layout.contiguous()) {
    S4J_CUDA(cudaMemcpyAsync(dst, src, (size_t)n * dtype_size(dst_dtype), cudaMemcpyDeviceToDevice, s));
    return S4J_OK;
  }
  dispatch_dtype(dst_dtype, [&](auto d) {
    using D = typename decltype(d)::type;
    dispatch_dtype(src_dtype, [&](auto t) {
      using S = typename decltype(t)::type;
      copy_kernel<D, S><<<blocks_for(n), kThreads, 0, s>>>(layout, n, static_cast<D*>(dst),
                                                          static_cast<const S*>(src));
    });
  });
  S4J_CUDA(cudaGetLastError());
  return S4J_OK;
}

int fill(int device, s4j_stream_t stream, const StridedLayout& layout, void* dst, int dtype,
         double float_value, int64_t int_value) {
  S4J_CUDA(make_current(device));
  cudaStream_t s = reinterpret_cast<cudaStream_t>(stream);
  const int64_t n = layout.numel();
  dispatch_dtype(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    fill_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(layout, n, static_cast<T*>(dst),
                                                      fill_value<T>(float_value, int_value));
  });
  S4J_CUDA(cudaGetLastError());
  return S4J_OK;
}

int relu(int device, s4j_stream_t stream, int dtype, int64_t n, const void* in, void* out) {
  S4J_CUDA(make_current(device));
  cudaStream_t s = reinterpret_cast<cudaStream_t>(stream);
  dispatch_dtype(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    relu_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(n, static_cast<const T*>(in), static_cast<T*>(out));
  });
  S4J_CUDA(cudaGetLastError());
  return S4J_OK;
}

int relu_backward(int device, s4j_stream_t stream, int dtype, int64_t n, const void* grad_out, const void* out,
                  void* grad_in) {
  S4J_CUDA(make_current(device));
  cudaStream_t s = reinterpret_cast<cudaStream_t>(stream);
  dispatch_dtype(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    relu_backward_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(n, static_cast<const T*>(grad_out),
                                                                static_cast<const T*>(out), static_cast<T*>(grad_in));
  });
  S4J_CUDA(cudaGetLastError());
  return S4J_OK;
}

}  // namespace s4j::cuda
