// Entry points of the fused softmax + cross-entropy over a vocabulary: validate (host targets
// included), then run on the host or CUDA.
#include "../cpu/cross_entropy_cpu.h"
#include "cuda_backend.h"
#include "model_dtypes.h"
#include "status.h"

namespace {

int check(const char* fn, int device, int dtype, int64_t rows, int64_t vocab, int target_dtype) {
  S4J_TRY(s4j::check_model_call(fn, device, dtype, rows));
  S4J_REQUIRE(vocab > 0, "%s: vocab = %lld is not positive", fn, (long long)vocab);
  S4J_REQUIRE(target_dtype == S4J_I32 || target_dtype == S4J_I64, "%s: target_dtype %d is neither I32 nor I64", fn,
              target_dtype);
  return S4J_OK;
}

// Host targets are read before any work, so a bad one is an error and not a NaN.
template <class I>
int check_targets(const char* fn, int64_t rows, int64_t vocab, const I* targets) {
  for (int64_t r = 0; r < rows; r++) {
    S4J_REQUIRE(s4j::target_in_range(targets[r], vocab), "%s: targets[%lld] = %lld is not in [0, %lld)", fn,
                (long long)r, (long long)targets[r], (long long)vocab);
  }
  return S4J_OK;
}

template <class F>
void dispatch_target(int target_dtype, F&& f) {
  if (target_dtype == S4J_I64) f(s4j::type_tag<int64_t>{});
  else f(s4j::type_tag<int32_t>{});
}

}  // namespace

extern "C" {

int s4j_cross_entropy(int device, s4j_stream_t stream, int dtype, int64_t rows, int64_t vocab, const void* logits,
                      const void* targets, int target_dtype, float* losses, float* mean) {
  const char* fn = "s4j_cross_entropy";
  S4J_TRY(check(fn, device, dtype, rows, vocab, target_dtype));
  S4J_REQUIRE(rows > 0 || mean == nullptr, "%s: the mean of no rows", fn);
  if (rows == 0) return S4J_OK;
  S4J_REQUIRE(logits && targets && losses, "%s: null pointer", fn);
  if (device != S4J_HOST) {
    return s4j::cuda::cross_entropy(device, stream, dtype, rows, vocab, logits, targets, target_dtype, losses, mean);
  }
  int status = S4J_OK;
  dispatch_target(target_dtype, [&](auto i) {
    using I = typename decltype(i)::type;
    const I* t = static_cast<const I*>(targets);
    status = check_targets(fn, rows, vocab, t);
    if (status != S4J_OK) return;
    s4j::dispatch_model(dtype, [&](auto x) {
      using T = typename decltype(x)::type;
      s4j::cpu::cross_entropy(rows, vocab, static_cast<const T*>(logits), t, losses, mean);
    });
  });
  return status;
}

int s4j_cross_entropy_backward(int device, s4j_stream_t stream, int dtype, int64_t rows, int64_t vocab,
                               const void* logits, const void* targets, int target_dtype, const float* grad_losses,
                               double scale, void* grad_logits) {
  const char* fn = "s4j_cross_entropy_backward";
  S4J_TRY(check(fn, device, dtype, rows, vocab, target_dtype));
  if (rows == 0) return S4J_OK;
  S4J_REQUIRE(logits && targets && grad_logits, "%s: null pointer", fn);
  if (device != S4J_HOST) {
    return s4j::cuda::cross_entropy_backward(device, stream, dtype, rows, vocab, logits, targets, target_dtype,
                                             grad_losses, (float)scale, grad_logits);
  }
  int status = S4J_OK;
  dispatch_target(target_dtype, [&](auto i) {
    using I = typename decltype(i)::type;
    const I* t = static_cast<const I*>(targets);
    status = check_targets(fn, rows, vocab, t);
    if (status != S4J_OK) return;
    s4j::dispatch_model(dtype, [&](auto x) {
      using T = typename decltype(x)::type;
      s4j::cpu::cross_entropy_backward(rows, vocab, static_cast<const T*>(logits), t, grad_losses, (float)scale,
                                       static_cast<T*>(grad_logits));
    });
  });
  return status;
}

}  // extern "C"
