// Entry points of the token + position embedding: validate (host tokens included), then run on
// the host or CUDA.
#include "../cpu/embedding_cpu.h"
#include "cuda_backend.h"
#include "model_dtypes.h"
#include "status.h"

namespace {

int check(const char* fn, int device, int dtype, int64_t batch, int64_t seq, int64_t channels, int64_t vocab,
          int64_t positions, int token_dtype) {
  S4J_TRY(s4j::check_model_call(fn, device, dtype, batch));
  S4J_REQUIRE(seq >= 0 && channels >= 0, "%s: seq %lld, channels %lld", fn, (long long)seq, (long long)channels);
  S4J_REQUIRE(vocab > 0 && positions >= seq, "%s: vocab %lld, positions %lld for seq %lld", fn, (long long)vocab,
              (long long)positions, (long long)seq);
  S4J_REQUIRE(token_dtype == S4J_I32 || token_dtype == S4J_I64, "%s: token_dtype %d is neither I32 nor I64", fn,
              token_dtype);
  return S4J_OK;
}

template <class I>
int check_tokens(const char* fn, int64_t n, int64_t seq, int64_t vocab, const I* tokens) {
  for (int64_t i = 0; i < n; i++) {
    S4J_REQUIRE(s4j::token_in_range(tokens[i], vocab), "%s: tokens[%lld, %lld] = %lld is not in [0, %lld)", fn,
                (long long)(i / seq), (long long)(i % seq), (long long)tokens[i], (long long)vocab);
  }
  return S4J_OK;
}

template <class F>
void dispatch_token(int token_dtype, F&& f) {
  if (token_dtype == S4J_I64) f(s4j::type_tag<int64_t>{});
  else f(s4j::type_tag<int32_t>{});
}

}  // namespace

extern "C" {

int s4j_embedding(int device, s4j_stream_t stream, int dtype, int64_t batch, int64_t seq, int64_t channels,
                  int64_t vocab, int64_t positions, const void* tokens, int token_dtype, const void* wte,
                  const void* wpe, void* out) {
  const char* fn = "s4j_embedding";
  S4J_TRY(check(fn, device, dtype, batch, seq, channels, vocab, positions, token_dtype));
  if (batch == 0 || seq == 0 || channels == 0) return S4J_OK;
  S4J_REQUIRE(tokens && wte && wpe && out, "%s: null pointer", fn);
  if (device != S4J_HOST) {
    return s4j::cuda::embedding(device, stream, dtype, batch, seq, channels, vocab, tokens, token_dtype, wte, wpe,
                                out);
  }
  int status = S4J_OK;
  dispatch_token(token_dtype, [&](auto i) {
    using I = typename decltype(i)::type;
    const I* t = static_cast<const I*>(tokens);
    status = check_tokens(fn, batch * seq, seq, vocab, t);
    if (status != S4J_OK) return;
    s4j::dispatch_model(dtype, [&](auto x) {
      using T = typename decltype(x)::type;
      s4j::cpu::embedding(batch, seq, channels, t, static_cast<const T*>(wte), static_cast<const T*>(wpe),
                          static_cast<T*>(out));
    });
  });
  return status;
}

int s4j_embedding_backward(int device, s4j_stream_t stream, int dtype, int64_t batch, int64_t seq, int64_t channels,
                           int64_t vocab, int64_t positions, const void* tokens, int token_dtype,
                           const void* grad_out, float* grad_wte, float* grad_wpe, int accumulate) {
  const char* fn = "s4j_embedding_backward";
  S4J_TRY(check(fn, device, dtype, batch, seq, channels, vocab, positions, token_dtype));
  if (channels == 0) return S4J_OK;
  S4J_REQUIRE(grad_wte && (positions == 0 || grad_wpe), "%s: null gradient", fn);
  S4J_REQUIRE(batch * seq == 0 || (tokens && grad_out), "%s: null pointer", fn);
  if (device != S4J_HOST) {
    return s4j::cuda::embedding_backward(device, stream, dtype, batch, seq, channels, vocab, positions, tokens,
                                         token_dtype, grad_out, grad_wte, grad_wpe, accumulate);
  }
  int status = S4J_OK;
  dispatch_token(token_dtype, [&](auto i) {
    using I = typename decltype(i)::type;
    const I* t = static_cast<const I*>(tokens);
    status = check_tokens(fn, batch * seq, seq, vocab, t);
    if (status != S4J_OK) return;
    s4j::dispatch_model(dtype, [&](auto x) {
      using T = typename decltype(x)::type;
      s4j::cpu::embedding_backward(batch, seq, channels, vocab, positions, t, static_cast<const T*>(grad_out),
                                   grad_wte, grad_wpe, accumulate != 0);
    });
  });
  return status;
}

}  // extern "C"
