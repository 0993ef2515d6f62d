// Element math of the public elementwise kernels (add, mul, affine), shared by the CPU and CUDA
// loops: fp32 arithmetic for F32, BF16 and F16 (fp64 for F64), one rounding to the output dtype.
#pragma once

#include "elements.h"
#include "shard4j.h"

namespace s4j {

// The arithmetic type of an element type: double for F64, float for every other float.
template <class T>
using math_t = typename std::conditional<std::is_same<T, double>::value, double, float>::type;

// One element of op; alpha and beta are already in the arithmetic type. Separate multiplies and
// adds (no fused multiply-add on either side), so the host and the device round alike.
template <class T>
S4J_HD T elementwise_value(int op, T a, T b, math_t<T> alpha, math_t<T> beta) {
  using M = math_t<T>;
  const M x = convert<M>(a);
  switch (op) {
    case S4J_EW_ADD: return convert<T>(x + alpha * convert<M>(b));
    case S4J_EW_MUL: return convert<T>(x * convert<M>(b));
    default: return convert<T>(alpha * x + beta);  // S4J_EW_AFFINE
  }
}

}  // namespace s4j
