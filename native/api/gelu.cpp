// Entry points of GELU and the bias add and its gradient: validate, then run on the host or CUDA.
#include "../common/dispatch.h"
#include "../cpu/gelu_cpu.h"
#include "cuda_backend.h"
#include "model_dtypes.h"
#include "status.h"

extern "C" {

int s4j_gelu(int device, s4j_stream_t stream, int dtype, int64_t n, const void* in, void* out) {
  S4J_TRY(s4j::check_model_call("s4j_gelu", device, dtype, n));
  if (n == 0) return S4J_OK;
  S4J_REQUIRE(in != nullptr && out != nullptr, "s4j_gelu: null pointer");
  if (device != S4J_HOST) return s4j::cuda::gelu(device, stream, dtype, n, in, out);
  s4j::dispatch_model(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    s4j::cpu::gelu(n, static_cast<const T*>(in), static_cast<T*>(out));
  });
  return S4J_OK;
}

int s4j_gelu_backward(int device, s4j_stream_t stream, int dtype, int64_t n, const void* grad_out, const void* in,
                      void* grad_in) {
  S4J_TRY(s4j::check_model_call("s4j_gelu_backward", device, dtype, n));
  if (n == 0) return S4J_OK;
  S4J_REQUIRE(grad_out != nullptr && in != nullptr && grad_in != nullptr, "s4j_gelu_backward: null pointer");
  if (device != S4J_HOST) return s4j::cuda::gelu_backward(device, stream, dtype, n, grad_out, in, grad_in);
  s4j::dispatch_model(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    s4j::cpu::gelu_backward(n, static_cast<const T*>(grad_out), static_cast<const T*>(in), static_cast<T*>(grad_in));
  });
  return S4J_OK;
}

int s4j_bias_add(int device, s4j_stream_t stream, int dtype, int64_t rows, int64_t cols, const void* in,
                 const void* bias, void* out) {
  S4J_TRY(s4j::check_model_call("s4j_bias_add", device, dtype, rows));
  S4J_REQUIRE(cols >= 0, "s4j_bias_add: cols = %lld is negative", (long long)cols);
  if (rows == 0 || cols == 0) return S4J_OK;
  S4J_REQUIRE(in != nullptr && bias != nullptr && out != nullptr, "s4j_bias_add: null pointer");
  if (device != S4J_HOST) return s4j::cuda::bias_add(device, stream, dtype, rows, cols, in, bias, out);
  s4j::dispatch_model(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    s4j::cpu::bias_add(rows, cols, static_cast<const T*>(in), static_cast<const T*>(bias), static_cast<T*>(out));
  });
  return S4J_OK;
}

int s4j_bias_grad(int device, s4j_stream_t stream, int dtype, int64_t rows, int64_t cols, const void* grad_out,
                  void* grad_bias, int grad_bias_dtype, int accumulate) {
  S4J_TRY(s4j::check_model_call("s4j_bias_grad", device, dtype, rows));
  S4J_REQUIRE(cols >= 0, "s4j_bias_grad: cols = %lld is negative", (long long)cols);
  S4J_REQUIRE(grad_bias_dtype == S4J_F32 || grad_bias_dtype == dtype,
              "s4j_bias_grad: grad_bias_dtype %d is neither F32 nor dtype %d", grad_bias_dtype, dtype);
  if (cols == 0) return S4J_OK;
  S4J_REQUIRE(grad_bias != nullptr && (rows == 0 || grad_out != nullptr), "s4j_bias_grad: null pointer");
  if (device != S4J_HOST) {
    return s4j::cuda::bias_grad(device, stream, dtype, rows, cols, grad_out, grad_bias, grad_bias_dtype, accumulate);
  }
  s4j::dispatch_model(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    s4j::dispatch_model(grad_bias_dtype, [&](auto g) {
      using G = typename decltype(g)::type;
      s4j::cpu::bias_grad(rows, cols, static_cast<const T*>(grad_out), static_cast<G*>(grad_bias), accumulate != 0);
    });
  });
  return S4J_OK;
}

}  // extern "C"
