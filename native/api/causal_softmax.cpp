// Entry points of the fused scale + causal mask + softmax of attention: validate, then run on the
// host or CUDA.
#include <math.h>

#include "../cpu/causal_softmax_cpu.h"
#include "cuda_backend.h"
#include "model_dtypes.h"
#include "status.h"

extern "C" {

int s4j_causal_softmax(int device, s4j_stream_t stream, int dtype, int64_t batch, int64_t seq, double scale,
                       const void* scores, void* probs) {
  const char* fn = "s4j_causal_softmax";
  S4J_TRY(s4j::check_model_call(fn, device, dtype, batch));
  S4J_REQUIRE(seq >= 0, "%s: seq = %lld is negative", fn, (long long)seq);
  S4J_REQUIRE(isfinite(scale), "%s: scale = %g", fn, scale);
  if (batch == 0 || seq == 0) return S4J_OK;
  S4J_REQUIRE(scores && probs, "%s: null pointer", fn);
  if (device != S4J_HOST) return s4j::cuda::causal_softmax(device, stream, dtype, batch, seq, (float)scale, scores, probs);
  s4j::dispatch_model(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    s4j::cpu::causal_softmax(batch, seq, (float)scale, static_cast<const T*>(scores), static_cast<T*>(probs));
  });
  return S4J_OK;
}

int s4j_causal_softmax_backward(int device, s4j_stream_t stream, int dtype, int64_t batch, int64_t seq, double scale,
                                const void* probs, const void* grad_probs, void* grad_scores) {
  const char* fn = "s4j_causal_softmax_backward";
  S4J_TRY(s4j::check_model_call(fn, device, dtype, batch));
  S4J_REQUIRE(seq >= 0, "%s: seq = %lld is negative", fn, (long long)seq);
  S4J_REQUIRE(isfinite(scale), "%s: scale = %g", fn, scale);
  if (batch == 0 || seq == 0) return S4J_OK;
  S4J_REQUIRE(probs && grad_probs && grad_scores, "%s: null pointer", fn);
  if (device != S4J_HOST) {
    return s4j::cuda::causal_softmax_backward(device, stream, dtype, batch, seq, (float)scale, probs, grad_probs,
                                              grad_scores);
  }
  s4j::dispatch_model(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    s4j::cpu::causal_softmax_backward(batch, seq, (float)scale, static_cast<const T*>(probs),
                                      static_cast<const T*>(grad_probs), static_cast<T*>(grad_scores));
  });
  return S4J_OK;
}

}  // extern "C"
