// The dtypes of the model kernels (GELU, LayerNorm, cross-entropy, embedding, attention): F32, and
// BF16 computed in fp32. One dispatch and one check for all of them.
#pragma once

#include "../common/dispatch.h"
#include "shard4j.h"
#include "status.h"

namespace s4j {

static inline bool model_dtype(int dtype) { return dtype == S4J_F32 || dtype == S4J_BF16; }

// Calls f(type_tag<T>{}) for float or bf16; the caller has checked model_dtype(dtype).
template <class F>
static inline void dispatch_model(int dtype, F&& f) {
  if (dtype == S4J_BF16) f(type_tag<bf16>{});
  else f(type_tag<float>{});
}

// The checks every model kernel starts with: a model dtype, a device, a count that is not negative.
static inline int check_model_call(const char* fn, int device, int dtype, int64_t n) {
  S4J_REQUIRE(model_dtype(dtype), "%s: dtype %d is neither F32 nor BF16", fn, dtype);
  S4J_REQUIRE(device >= S4J_HOST, "%s: device %d", fn, device);
  S4J_REQUIRE(n >= 0, "%s: count %lld is negative", fn, (long long)n);
  return S4J_OK;
}

}  // namespace s4j
