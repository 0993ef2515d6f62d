// Element math of LayerNorm over the last dimension, shared by the CPU and CUDA kernels. The
// statistics are fp32 for F32 and BF16 alike; only the order of the row sums differs between the
// host (sequential) and the device (a warp's lanes, then a shuffle tree).
#pragma once

#include <math.h>

#include "elements.h"

namespace s4j {

// rstd = 1 / sqrt(var + eps), var the biased variance, as torch.nn.LayerNorm.
S4J_HD float layernorm_rstd(float var, float eps) { return 1.0f / sqrtf(var + eps); }

// One output element: (x - mean) * rstd * weight + bias.
S4J_HD float layernorm_value(float x, float mean, float rstd, float weight, float bias) {
  return (x - mean) * rstd * weight + bias;
}

// One element of the input gradient, given the row's mean of dnorm = grad_out * weight and of
// dnorm * xhat: (dnorm - mean(dnorm) - xhat * mean(dnorm * xhat)) * rstd.
S4J_HD float layernorm_grad(float dnorm, float xhat, float dnorm_mean, float dnorm_xhat_mean, float rstd) {
  return (dnorm - dnorm_mean - xhat * dnorm_xhat_mean) * rstd;
}

}  // namespace s4j
