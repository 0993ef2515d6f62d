// The ReLU of the demo model and its gradient, shared by the CPU and CUDA kernels.
#pragma once

#include "elements.h"

namespace s4j {

// max(x, 0) as PyTorch's relu: NaN stays NaN, negative values and -0 become +0.
template <class T>
S4J_HD T relu_value(T x) {
  const double v = convert<double>(x);
  if (v != v || v > 0) return x;
  return convert<T>(0.0);
}

// The gradient of relu from its output, as PyTorch's threshold_backward: the incoming gradient
// where the output is not <= 0 (so a NaN output passes it on), +0 elsewhere.
template <class T>
S4J_HD T relu_grad(T grad_out, T out) {
  return convert<double>(out) <= 0 ? convert<T>(0.0) : grad_out;
}

}  // namespace s4j
