// Element math of softmax + cross-entropy over a vocabulary, shared by the CPU and CUDA kernels:
// loss = logsumexp(logits) - logits[target], its gradient softmax - onehot(target), in fp32. A
// target outside [0, vocab) makes its row's loss and gradient NaN (the entry points refuse such
// targets where they can read them: on the host).
#pragma once

#include <math.h>

#include "elements.h"

namespace s4j {

template <class I>
S4J_HD bool target_in_range(I target, int64_t vocab) {
  return (int64_t)target >= 0 && (int64_t)target < vocab;
}

// A row's loss from its max, its sum of exp(logit - max) and its target's logit.
S4J_HD float cross_entropy_loss(float max, float sum, float target_logit) {
  return logf(sum) + max - target_logit;
}

// One element of the gradient of scale * loss, (softmax - onehot) * scale, from exp(logit - max).
S4J_HD float cross_entropy_grad_of(float exp_shifted, float inv_sum, bool is_target, float scale) {
  const float p = exp_shifted * inv_sum;
  return (is_target ? p - 1.0f : p) * scale;
}

// The same from the logit.
S4J_HD float cross_entropy_grad(float logit, float max, float inv_sum, bool is_target, float scale) {
  return cross_entropy_grad_of(expf(logit - max), inv_sum, is_target, scale);
}

}  // namespace s4j
