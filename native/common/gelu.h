// Element math of GPT-2's GELU (the tanh approximation) and of the bias add and its gradient,
// shared by the CPU and CUDA loops. fp32 arithmetic for F32 and BF16 alike.
#pragma once

#include <math.h>

#include "elements.h"

namespace s4j {

constexpr float kGeluScale = 0.7978845608028654f;  // sqrt(2 / pi)
constexpr float kGeluCubic = 0.044715f;

// gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as PyTorch's gelu(approximate="tanh").
S4J_HD float gelu_value(float x) {
  const float u = kGeluScale * (x + kGeluCubic * x * x * x);
  return 0.5f * x * (1.0f + tanhf(u));
}

// d gelu / dx at x, times the incoming gradient.
S4J_HD float gelu_grad(float grad_out, float x) {
  const float x2 = x * x;
  const float u = kGeluScale * (x + kGeluCubic * x2 * x);
  const float t = tanhf(u);
  const float du = kGeluScale * (1.0f + 3.0f * kGeluCubic * x2);
  const float local = 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du;
  return grad_out * local;
}

}  // namespace s4j
