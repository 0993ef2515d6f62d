// Element kernel entry points: validate, merge dimensions, dispatch to the host or CUDA.
#include "../common/dispatch.h"
#include "../cpu/elementwise_cpu.h"
#include "cuda_backend.h"
#include "status.h"

namespace {

int check_shape(const char* fn, int ndim, const int64_t* sizes) {
  S4J_REQUIRE(ndim >= 0 && ndim <= S4J_MAX_DIMS, "%s: ndim %d not in [0, %d]", fn, ndim, S4J_MAX_DIMS);
  S4J_REQUIRE(ndim == 0 || sizes != nullptr, "%s: sizes is null", fn);
  for (int d = 0; d < ndim; d++) {
    S4J_REQUIRE(sizes[d] >= 0, "%s: sizes[%d] = %lld is negative", fn, d, (long long)sizes[d]);
  }
  return S4J_OK;
}

bool empty(int ndim, const int64_t* sizes) {
  for (int d = 0; d < ndim; d++) {
    if (sizes[d] == 0) return true;
  }
  return false;
}

}  // namespace

extern "C" {

int s4j_copy_strided(int device, s4j_stream_t stream, int ndim, const int64_t* sizes, void* dst,
                     int dst_dtype, const int64_t* dst_strides, const void* src, int src_dtype,
                     const int64_t* src_strides) {
  S4J_TRY(check_shape("s4j_copy_strided", ndim, sizes));
  S4J_REQUIRE(s4j::valid_dtype(dst_dtype), "s4j_copy_strided: dst_dtype %d is not a dtype", dst_dtype);
  S4J_REQUIRE(s4j::valid_dtype(src_dtype), "s4j_copy_strided: src_dtype %d is not a dtype", src_dtype);
  S4J_REQUIRE(device >= S4J_HOST, "s4j_copy_strided: device %d", device);
  if (empty(ndim, sizes)) return S4J_OK;
  S4J_REQUIRE(dst != nullptr && src != nullptr, "s4j_copy_strided: null pointer");
  S4J_REQUIRE(ndim == 0 || (dst_strides != nullptr && src_strides != nullptr),
              "s4j_copy_strided: strides are null");
  auto layout = s4j::StridedLayout::collapse(ndim, sizes, dst_strides, src_strides);
  if (device != S4J_HOST) {
    return s4j::cuda::copy_strided(device, stream, layout, dst, dst_dtype, src, src_dtype);
  }
  s4j::dispatch_dtype(dst_dtype, [&](auto d) {
    using D = typename decltype(d)::type;
    s4j::dispatch_dtype(src_dtype, [&](auto s) {
      using S = typename decltype(s)::type;
      s4j::cpu::copy_strided(layout, static_cast<D*>(dst), static_cast<const S*>(src));
    });
  });
  return S4J_OK;
}

int s4j_fill(int device, s4j_stream_t stream, int ndim, const int64_t* sizes, void* dst, int dtype,
             const int64_t* strides, double float_value, int64_t int_value) {
  S4J_TRY(check_shape("s4j_fill", ndim, sizes));
  S4J_REQUIRE(s4j::valid_dtype(dtype), "s4j_fill: dtype %d is not a dtype", dtype);
  S4J_REQUIRE(device >= S4J_HOST, "s4j_fill: device %d", device);
  if (empty(ndim, sizes)) return S4J_OK;
  S4J_REQUIRE(dst != nullptr, "s4j_fill: dst is null");
  S4J_REQUIRE(ndim == 0 || strides != nullptr, "s4j_fill: strides are null");
  auto layout = s4j::StridedLayout::collapse(ndim, sizes, strides, strides);
  if (device != S4J_HOST) {
    return s4j::cuda::fill(device, stream, layout, dst, dtype, float_value, int_value);
  }
  s4j::dispatch_dtype(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    s4j::cpu::fill(layout, static_cast<T*>(dst), s4j::fill_value<T>(float_value, int_value));
  });
  return S4J_OK;
}

int s4j_relu(int device, s4j_stream_t stream, int dtype, int64_t n, const void* in, void* out) {
  S4J_REQUIRE(s4j::valid_dtype(dtype) && s4j::float_dtype(dtype), "s4j_relu: dtype %d is not a float dtype", dtype);
  S4J_REQUIRE(device >= S4J_HOST, "s4j_relu: device %d", device);
  S4J_REQUIRE(n >= 0, "s4j_relu: n = %lld is negative", (long long)n);
  if (n == 0) return S4J_OK;
  S4J_REQUIRE(in != nullptr && out != nullptr, "s4j_relu: null pointer");
  if (device != S4J_HOST) return s4j::cuda::relu(device, stream, dtype, n, in, out);
  s4j::dispatch_dtype(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    s4j::cpu::relu(n, static_cast<const T*>(in), static_cast<T*>(out));
  });
  return S4J_OK;
}

int s4j_relu_backward(int device, s4j_stream_t stream, int dtype, int64_t n, const void* grad_out,
                      const void* out, void* grad_in) {
  S4J_REQUIRE(s4j::valid_dtype(dtype) && s4j::float_dtype(dtype), "s4j_relu_backward: dtype %d is not a float dtype",
              dtype);
  S4J_REQUIRE(device >= S4J_HOST, "s4j_relu_backward: device %d", device);
  S4J_REQUIRE(n >= 0, "s4j_relu_backward: n = %lld is negative", (long long)n);
  if (n == 0) return S4J_OK;
  S4J_REQUIRE(grad_out != nullptr && out != nullptr && grad_in != nullptr, "s4j_relu_backward: null pointer");
  if (device != S4J_HOST) return s4j::cuda::relu_backward(device, stream, dtype, n, grad_out, out, grad_in);
  s4j::dispatch_dtype(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    s4j::cpu::relu_backward(n, static_cast<const T*>(grad_out), static_cast<const T*>(out), static_cast<T*>(grad_in));
  });
  return S4J_OK;
}

}  // extern "C"
