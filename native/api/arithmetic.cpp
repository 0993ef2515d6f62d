// Entry points of the public elementwise arithmetic: validate, then run on the host or CUDA.
#include "../common/dispatch.h"
#include "../cpu/arithmetic_cpu.h"
#include "cuda_backend.h"
#include "status.h"

extern "C" {

int s4j_elementwise(int device, s4j_stream_t stream, int op, int dtype, int64_t n, const void* a, const void* b,
                    void* out, double alpha, double beta) {
  S4J_REQUIRE(op == S4J_EW_ADD || op == S4J_EW_MUL || op == S4J_EW_AFFINE, "s4j_elementwise: op %d", op);
  S4J_REQUIRE(s4j::valid_dtype(dtype) && s4j::float_dtype(dtype), "s4j_elementwise: dtype %d is not a float dtype",
              dtype);
  S4J_REQUIRE(device >= S4J_HOST, "s4j_elementwise: device %d", device);
  S4J_REQUIRE(n >= 0, "s4j_elementwise: n = %lld is negative", (long long)n);
  if (n == 0) return S4J_OK;
  S4J_REQUIRE(a != nullptr && out != nullptr, "s4j_elementwise: a or out is null");
  S4J_REQUIRE(op == S4J_EW_AFFINE || b != nullptr, "s4j_elementwise: b is null");
  if (device != S4J_HOST) return s4j::cuda::elementwise(device, stream, op, dtype, n, a, b, out, alpha, beta);
  s4j::dispatch_dtype(dtype, [&](auto t) {
    using T = typename decltype(t)::type;
    if constexpr (s4j::is_floating<T>::value) {
      s4j::cpu::elementwise(op, n, static_cast<const T*>(a), static_cast<const T*>(b), static_cast<T*>(out),
                            alpha, beta);
    }
  });
  return S4J_OK;
}

}  // extern "C"
