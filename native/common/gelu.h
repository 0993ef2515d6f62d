// Element math of GPT-2's GELU (the tanh approximation) and of the bias add and its gradient,
// shared by the CPU and CUDA loops. fp32 arithmetic for F32 and BF16 alike.
#pragma once

#include <math.h>

#include "elements.h"

namespace s4j {

constexpr float kGeluScale = 0.7978845608028654f;  // sqrt(2 / pi)
constexpr float kGeluCubic = 0.044715f;

// e^x for x in [0, 20]: x = k ln2 + r with |r| <= ln2 / 2, e^r by its Taylor polynomial to r^7
// (relative error below 1e-8) and 2^k written into the exponent bits. Plain arithmetic with no
// call and no branch, so that the host loops vectorise; the device computes the same bits.
S4J_HD float exp_small_range(float x) {
  x = x >= 0.0f ? (x <= 20.0f ? x : 20.0f) : 0.0f;  // NaN too: the exponent below stays in range
  const float kRound = 12582912.0f;  // 1.5 * 2^23: adding and subtracting it rounds to an integer
  const float k = (x * 1.44269504088896341f + kRound) - kRound;
  const float r = (x - k * 0.693145751953125f) - k * 1.42860682030941723e-6f;  // ln 2, high and low parts
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  return p * bits_float((uint32_t)((int32_t)k + 127) << 23);
}

// tanh(u) within a few fp32 ulps: near 0 its odd Taylor series (to u^9, error below 1e-7 of the
// value for |u| < 0.3), elsewhere 1 - 2 / (e^(2|u|) + 1), |u| clamped at 10, past which tanh rounds to 1 in fp32.
// libm's tanhf is a call per element that keeps the loops scalar; this is a few multiplies.
S4J_HD float tanh_value(float u) {
  const float a = fabsf(u) > 10.0f ? 10.0f : fabsf(u);  // NaN stays NaN
  const float a2 = a * a;
  const float series = a * (1.0f + a2 * (-1.0f / 3.0f + a2 * (2.0f / 15.0f + a2 * (-17.0f / 315.0f +
      a2 * (62.0f / 2835.0f)))));
  const float exact = 1.0f - 2.0f / (exp_small_range(2.0f * a) + 1.0f);
  const float t = a >= 0.3f ? exact : series;  // NaN takes the series, which keeps it
  return u < 0.0f ? -t : t;
}

// gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as PyTorch's gelu(approximate="tanh").
S4J_HD float gelu_value(float x) {
  const float u = kGeluScale * (x + kGeluCubic * x * x * x);
  return 0.5f * x * (1.0f + tanh_value(u));
}

// d gelu / dx at x, times the incoming gradient.
S4J_HD float gelu_grad(float grad_out, float x) {
  const float x2 = x * x;
  const float u = kGeluScale * (x + kGeluCubic * x2 * x);
  const float t = tanh_value(u);
  const float du = kGeluScale * (1.0f + 3.0f * kGeluCubic * x2);
  const float local = 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du;
  return grad_out * local;
}

}  // namespace s4j
