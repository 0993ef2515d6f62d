// Element math of the fused kernels, shared by the CPU and CUDA implementations.
#pragma once

#include <math.h>

#include "elements.h"
#include "shard4j.h"

namespace s4j {

// The type arithmetic happens in: fp64 when either side is F64, fp32 for the other floats.
template <class D, class S>
using compute_t = typename std::conditional<std::is_same<D, double>::value || std::is_same<S, double>::value,
                                            double, float>::type;

// Accumulator of a reduction: fp32 for halves and F32, fp64 for F64, int64 for integers.
template <class T>
using accumulate_t = typename std::conditional<
    std::is_same<T, double>::value, double,
    typename std::conditional<is_floating<T>::value, float, int64_t>::type>::type;

// dst = convert(src * scale) in the compute type; Scaled=false is the exact conversion.
template <class D, class S, bool Scaled>
S4J_HD D scaled_convert(S s, compute_t<D, S> scale) {
  if constexpr (Scaled) {
    return convert<D>(convert<compute_t<D, S>>(s) * scale);
  } else {
    return convert<D>(s);
  }
}

// Sum and product in an accumulator type. Integers wrap, as the ABI promises (in unsigned
// arithmetic: signed overflow is undefined behaviour in C++, which a compiler may exploit).
template <class A>
S4J_HD A add(A a, A b) {
  if constexpr (std::is_integral<A>::value) return (A)((uint64_t)a + (uint64_t)b);
  else return a + b;
}

template <class A>
S4J_HD A mul(A a, A b) {
  if constexpr (std::is_integral<A>::value) return (A)((uint64_t)a * (uint64_t)b);
  else return a * b;
}

template <class A>
S4J_HD A combine(int op, A a, A b) {
  switch (op) {
    case S4J_OP_PROD: return mul(a, b);
    case S4J_OP_MAX: return a > b ? a : b;  // NaN ordering aside, as NCCL does
    case S4J_OP_MIN: return a < b ? a : b;
    default: return add(a, b);
  }
}

// The scalars of one AdamW step, computed once on the host in double precision (api/kernels.cpp).
struct AdamWScalars {
  float lr, beta1, beta2, one_minus_beta1, one_minus_beta2, eps;
  float decay;              // 1 - lr * weight_decay
  float step_size;          // lr / (1 - beta1^t)
  float inv_sqrt_bc2;       // 1 / sqrt(1 - beta2^t)
  float grad_scale;
};

// One element of AdamW (REFERENCE.md): p *= 1 - lr*wd; m, v updated; p -= step * m / (sqrt(v)/sqrt(bc2) + eps).
S4J_HD void adamw_element(const AdamWScalars& s, float g, float& p, float& m, float& v) {
  g *= s.grad_scale;
  p *= s.decay;
  m = s.beta1 * m + s.one_minus_beta1 * g;
  v = s.beta2 * v + s.one_minus_beta2 * g * g;
  float denom = sqrtf(v) * s.inv_sqrt_bc2 + s.eps;
  p -= s.step_size * m / denom;
}

}  // namespace s4j
