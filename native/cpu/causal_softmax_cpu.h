// Host loops of the fused scale + causal mask + softmax over [batch, T, T] scores and its
// backward: rows spread over the thread pool, each read in order.
#pragma once

#include "../common/causal_softmax.h"
#include "thread_pool.h"

namespace s4j::cpu {

// Rows up to this long keep their exponentials on the stack between the two passes.
constexpr int64_t kKeptRow = 2048;

template <class T>
void causal_softmax(int64_t batch, int64_t seq, float scale, const T* in, T* out) {
  const int64_t grain = seq >= (1 << 12) ? 1 : (1 << 12) / seq;
  parallel_for(batch * seq, grain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; r++) {
      const int64_t keep = r % seq + 1;  // columns j <= i
      const T* s = in + r * seq;
      float max = -INFINITY;
      for (int64_t j = 0; j < keep; j++) {
        const float v = convert<float>(s[j]) * scale;
        max = v > max ? v : max;
      }
      // Each exponential once, kept in fp32 for the normalisation: the bits of causal_prob, which
      // the device computes.
      float e[kKeptRow];
      const bool kept = keep <= kKeptRow;
      float sum = 0;
      for (int64_t j = 0; j < keep; j++) {
        const float v = expf(convert<float>(s[j]) * scale - max);
        if (kept) e[j] = v;
        sum += v;
      }
      const float inv_sum = 1.0f / sum;
      T* p = out + r * seq;
      for (int64_t j = 0; j < seq; j++) {
        p[j] = j >= keep ? convert<T>(0.0f)
               : kept    ? convert<T>(causal_prob_of(e[j], inv_sum))
                         : convert<T>(causal_prob(convert<float>(s[j]), scale, max, inv_sum));
      }
    }
  });
}

template <class T>
void causal_softmax_backward(int64_t batch, int64_t seq, float scale, const T* probs, const T* grad_probs,
                             T* grad_scores) {
  const int64_t grain = seq >= (1 << 12) ? 1 : (1 << 12) / seq;
  parallel_for(batch * seq, grain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; r++) {
      const int64_t keep = r % seq + 1;
      const T* p = probs + r * seq;
      const T* dp = grad_probs + r * seq;
      float dot = 0;
      for (int64_t j = 0; j < keep; j++) dot += convert<float>(p[j]) * convert<float>(dp[j]);
      T* ds = grad_scores + r * seq;
      for (int64_t j = 0; j < seq; j++) {
        ds[j] = j < keep ? convert<T>(causal_softmax_grad(convert<float>(p[j]), convert<float>(dp[j]), dot, scale))
                         : convert<T>(0.0f);
      }
    }
  });
}

}  // namespace s4j::cpu
