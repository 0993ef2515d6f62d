// Host implementations of the fused kernels.
#pragma once

#include <stdint.h>

#include "../api/plan.h"
#include "../common/kernel_math.h"

namespace s4j::cpu {

void plan_run(const s4j_plan_s& plan, double scale);
void reduce(int n, const uint64_t* srcs, int src_dtype, int n_dst, const uint64_t* dsts, int dst_dtype,
            int64_t count, int op, double premul, double postmul);
void accumulate(void* dst, int dst_dtype, const void* src, int src_dtype, int64_t count, double scale);
void adamw(const AdamWScalars& s, float* param, const void* grad, int grad_dtype, float* exp_avg,
           float* exp_avg_sq, void* param_copy, int copy_dtype, int64_t count);

// The instruction set of the loops in use: base, avx2 or avx512.
const char* isa();

// Uses the loops of one instruction set ("auto": the widest this CPU runs); false when this
// library or CPU lacks it.
bool use_isa(const char* name);

}  // namespace s4j::cpu
