// Host loops of the token + position embedding. The backward splits the channels among the
// threads; each walks every position in order, so a token that repeats adds its gradients in
// position order, the order the CUDA kernel uses too.
#pragma once

#include <string.h>

#include "../common/embedding.h"
#include "thread_pool.h"

namespace s4j::cpu {

template <class T, class I>
void embedding(int64_t batch, int64_t seq, int64_t channels, const I* tokens, const T* wte, const T* wpe, T* out) {
  const int64_t grain = channels >= (1 << 14) ? 1 : (1 << 14) / channels;
  parallel_for(batch * seq, grain, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; n++) {
      const T* tok = wte + (int64_t)tokens[n] * channels;
      const T* pos = wpe + (n % seq) * channels;
      T* o = out + n * channels;
      for (int64_t c = 0; c < channels; c++) o[c] = embedding_value(tok[c], pos[c]);
    }
  });
}

template <class T, class I>
void embedding_backward(int64_t batch, int64_t seq, int64_t channels, int64_t vocab, int64_t positions,
                        const I* tokens, const T* grad_out, float* grad_wte, float* grad_wpe, bool accumulate) {
  if (!accumulate) {
    memset(grad_wte, 0, (size_t)(vocab * channels) * sizeof(float));
    if (positions > 0) memset(grad_wpe, 0, (size_t)(positions * channels) * sizeof(float));
  }
  constexpr int64_t kPiece = 64;
  parallel_for((channels + kPiece - 1) / kPiece, 1, [&](int64_t first, int64_t last) {
    for (int64_t p = first; p < last; p++) {
      const int64_t c0 = p * kPiece, c1 = c0 + kPiece < channels ? c0 + kPiece : channels;
      for (int64_t n = 0; n < batch * seq; n++) {
        const T* g = grad_out + n * channels;
        float* tok = grad_wte + (int64_t)tokens[n] * channels;
        float* pos = grad_wpe + (n % seq) * channels;
        for (int64_t c = c0; c < c1; c++) {
          const float v = convert<float>(g[c]);
          tok[c] += v;
          pos[c] += v;
        }
      }
    }
  });
}

}  // namespace s4j::cpu
