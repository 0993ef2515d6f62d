// Host loops of the public elementwise kernels, spread over the thread pool when large.
#pragma once

#include "../common/arithmetic.h"
#include "thread_pool.h"

namespace s4j::cpu {

template <class T>
void elementwise(int op, int64_t n, const T* a, const T* b, T* out, double alpha, double beta) {
  const math_t<T> ma = (math_t<T>)alpha, mb = (math_t<T>)beta;
  parallel_for(n, 1 << 15, [&](int64_t begin, int64_t end) {
    // b is unused by the affine op and may be null: read a in its place.
    const T* second = b != nullptr ? b : a;
    for (int64_t i = begin; i < end; i++) out[i] = elementwise_value(op, a[i], second[i], ma, mb);
  });
}

}  // namespace s4j::cpu
