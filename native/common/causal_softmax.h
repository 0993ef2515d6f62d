// Element math of the fused scale + causal mask + softmax of attention scores, shared by the CPU
// and CUDA kernels: row i of a [T, T] score matrix keeps columns j <= i, p = softmax(scale * s);
// masked columns are exactly 0, in fp32.
#pragma once

#include <math.h>

#include "elements.h"

namespace s4j {

S4J_HD float causal_prob(float score, float scale, float max, float inv_sum) {
  return expf(score * scale - max) * inv_sum;
}

// The same from exp(scale * score - max), computed once for the row's sum.
S4J_HD float causal_prob_of(float exp_shifted, float inv_sum) { return exp_shifted * inv_sum; }

// One element of the scores' gradient: scale * p * (dp - sum over the row of p * dp).
S4J_HD float causal_softmax_grad(float p, float dp, float dot, float scale) { return scale * p * (dp - dot); }

}  // namespace s4j
