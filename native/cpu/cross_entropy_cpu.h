// Host loops of the fused softmax + cross-entropy: rows spread over the thread pool, each row read
// in three passes (max, sum of exponentials, then the loss or the gradient); nothing but the
// logits (and the per-row losses) is ever stored.
#pragma once

#include "../common/cross_entropy.h"
#include "thread_pool.h"

namespace s4j::cpu {

// The row's max and sum of exp(x - max), in fp32, in column order; each exponential also into
// exps when given.
template <class T>
void softmax_stats(const T* x, int64_t vocab, float& max, float& sum, float* exps = nullptr) {
  max = -INFINITY;
  for (int64_t v = 0; v < vocab; v++) {
    const float f = convert<float>(x[v]);
    max = f > max ? f : max;
  }
  sum = 0;
  for (int64_t v = 0; v < vocab; v++) {
    const float e = expf(convert<float>(x[v]) - max);
    if (exps != nullptr) exps[v] = e;
    sum += e;
  }
}

// Vocabularies up to this size keep a row's exponentials on the stack between the passes.
constexpr int64_t kKeptVocab = 4096;

inline int64_t vocab_grain(int64_t vocab) { return vocab >= (1 << 14) ? 1 : (1 << 14) / vocab; }

template <class T, class I>
void cross_entropy(int64_t rows, int64_t vocab, const T* logits, const I* targets, float* losses, float* mean) {
  parallel_for(rows, vocab_grain(vocab), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; r++) {
      const T* x = logits + r * vocab;
      float max, sum;
      softmax_stats(x, vocab, max, sum);
      const I t = targets[r];
      losses[r] = target_in_range(t, vocab) ? cross_entropy_loss(max, sum, convert<float>(x[t])) : NAN;
    }
  });
  if (mean != nullptr) {
    float total = 0;
    for (int64_t r = 0; r < rows; r++) total += losses[r];
    *mean = total / (float)rows;
  }
}

template <class T, class I>
void cross_entropy_backward(int64_t rows, int64_t vocab, const T* logits, const I* targets, const float* grad_losses,
                            float scale, T* grad_logits) {
  parallel_for(rows, vocab_grain(vocab), [&](int64_t begin, int64_t end) {
    float e[kKeptVocab];  // a row's exponentials, when it fits: each computed once
    const bool kept = vocab <= kKeptVocab;
    for (int64_t r = begin; r < end; r++) {
      const T* x = logits + r * vocab;
      float max, sum;
      softmax_stats(x, vocab, max, sum, kept ? e : nullptr);
      const I t = targets[r];
      const float g = grad_losses != nullptr ? grad_losses[r] * scale : scale;
      const float inv_sum = target_in_range(t, vocab) ? 1.0f / sum : NAN;
      T* dx = grad_logits + r * vocab;
      for (int64_t v = 0; v < vocab; v++) {
        const bool is_target = v == (int64_t)t;
        // The kept exponential gives the bits of cross_entropy_grad, which the device computes.
        dx[v] = convert<T>(kept ? cross_entropy_grad_of(e[v], inv_sum, is_target, g)
                                : cross_entropy_grad(convert<float>(x[v]), max, inv_sum, is_target, g));
      }
    }
  });
}

}  // namespace s4j::cpu
