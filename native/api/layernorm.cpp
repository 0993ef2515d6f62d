// Entry points of LayerNorm over the last dimension: validate, then run on the host or CUDA.
#include <math.h>

#include "../cpu/layernorm_cpu.h"
#include "cuda_backend.h"
#include "model_dtypes.h"
#include "status.h"

extern "C" {

int s4j_layernorm(int device, s4j_stream_t stream, int dtype, int64_t rows, int64_t cols, const void* in,
                  const void* weight, const void* bias, double eps, void* out, float* mean, float* rstd) {
  S4J_TRY(s4j::check_model_call("s4j_layernorm", device, dtype, rows));
  S4J_REQUIRE(cols > 0, "s4j_layernorm: cols = %lld is not positive", (long long)cols);
  S4J_REQUIRE(isfinite(eps) && eps >= 0, "s4j_layernorm: eps = %g", eps);
  if (rows == 0) return S4J_OK;
  S4J_REQUIRE(in && weight && bias && out, "s4j_layernorm: null pointer");
  if (device != S4J_HOST) {
    return s4j::cuda::layernorm(device, stream, dtype, rows, cols, in, weight, bias, (float)eps, out, mean, rstd);
  }
  s4j::dispatch_model(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    s4j::cpu::layernorm(rows, cols, static_cast<const T*>(in), static_cast<const T*>(weight),
                        static_cast<const T*>(bias), (float)eps, static_cast<T*>(out), mean, rstd);
  });
  return S4J_OK;
}

int s4j_layernorm_backward(int device, s4j_stream_t stream, int dtype, int64_t rows, int64_t cols,
                           const void* grad_out, const void* in, const void* weight, const float* mean,
                           const float* rstd, void* grad_in, void* grad_weight, void* grad_bias, int param_grad_dtype,
                           int accumulate) {
  S4J_TRY(s4j::check_model_call("s4j_layernorm_backward", device, dtype, rows));
  S4J_REQUIRE(cols > 0, "s4j_layernorm_backward: cols = %lld is not positive", (long long)cols);
  S4J_REQUIRE(param_grad_dtype == S4J_F32 || param_grad_dtype == dtype,
              "s4j_layernorm_backward: param_grad_dtype %d is neither F32 nor dtype %d", param_grad_dtype, dtype);
  S4J_REQUIRE(grad_weight && grad_bias, "s4j_layernorm_backward: null parameter gradient");
  S4J_REQUIRE(rows == 0 || (grad_out && in && weight && mean && rstd && grad_in),
              "s4j_layernorm_backward: null pointer");
  if (device != S4J_HOST) {
    return s4j::cuda::layernorm_backward(device, stream, dtype, rows, cols, grad_out, in, weight, mean, rstd,
                                         grad_in, grad_weight, grad_bias, param_grad_dtype, accumulate);
  }
  s4j::dispatch_model(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    s4j::dispatch_model(param_grad_dtype, [&](auto g) {
      using G = typename decltype(g)::type;
      // The parameter gradients first: grad_in may be grad_out itself.
      s4j::cpu::layernorm_grad_params(rows, cols, static_cast<const T*>(grad_out), static_cast<const T*>(in), mean,
                                      rstd, static_cast<G*>(grad_weight), static_cast<G*>(grad_bias),
                                      accumulate != 0);
    });
    if (rows > 0) {
      s4j::cpu::layernorm_grad_in(rows, cols, static_cast<const T*>(grad_out), static_cast<const T*>(in),
                                  static_cast<const T*>(weight), mean, rstd, static_cast<T*>(grad_in));
    }
  });
  return S4J_OK;
}

}  // extern "C"
