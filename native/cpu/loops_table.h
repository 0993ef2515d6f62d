// The table of host loops, one per instruction set the library is built for.
#pragma once

#include <stdint.h>

#include "../common/kernel_math.h"

namespace s4j::cpu {

struct Loops {
  // dst = convert(src * scale) over n elements; src null writes zeros. Streaming stores bypass
  // the cache (the caller fences before anyone reads dst).
  void (*convert)(int dst_dtype, int src_dtype, void* dst, const void* src, int64_t n, double scale,
                  bool streaming);
  // dsts[j][k] = postmul * op_i(premul * srcs[i][k]) for every output j and k in [begin, end).
  void (*reduce)(int n, const void* const* srcs, int src_dtype, int n_dst, void* const* dsts, int dst_dtype,
                 int64_t begin, int64_t end, int op, double premul, double postmul);
  // dst[k] += scale * src[k] for k in [begin, end).
  void (*accumulate)(void* dst, int dst_dtype, const void* src, int src_dtype, int64_t begin, int64_t end,
                     double scale);
  // One AdamW step over [begin, end).
  void (*adamw)(const AdamWScalars& s, float* param, const void* grad, int grad_dtype, float* exp_avg,
                float* exp_avg_sq, void* copy, int copy_dtype, int64_t begin, int64_t end);
  // GELU of fp32 over [begin, end), and its gradient: the element math of common/gelu.h, which is
  // plain arithmetic, so that each instruction set's build runs it in its widest vectors.
  void (*gelu)(const float* in, float* out, int64_t begin, int64_t end);
  void (*gelu_backward)(const float* grad_out, const float* in, float* grad_in, int64_t begin, int64_t end);
  const char* isa;
};

extern const Loops loops_base;
#if defined(SHARD4J_X86_VARIANTS)
extern const Loops loops_avx2;
extern const Loops loops_avx512;
#endif

// The widest table this CPU runs.
const Loops& loops();

}  // namespace s4j::cpu
